/** What users read when a card is refused or imported: one place for the wording. */
export const CardMessages = {
  tooLarge: (maxBytes: number, bytes: number) =>
    `That card is ${formatKb(bytes)}; cards may be at most ${formatKb(maxBytes)}.`,
  charxNotSupported: () =>
    'CHARX archives (.charx) are not supported: export the character as a PNG or JSON card (V2 or V3) instead.',
  unsupportedFile: (filename: string) =>
    `\`${filename}\` is not a card Chorus reads: attach a Character Card V2/V3 as a .json or .png file.`,
  invalidJson: () => 'The card is not valid JSON.',
  corruptPng: () => 'The PNG is corrupt or truncated: its chunks could not be read.',
  noCardInPng: () =>
    'The PNG holds no character card: it has no `ccv3` or `chara` text chunk (is it a plain image?).',
  invalidChunk: (chunk: string) => `The PNG's \`${chunk}\` chunk is not base64-encoded card JSON.`,
  unknownSpec: (spec: string) =>
    `Unsupported card spec \`${spec}\`: Chorus reads \`chara_card_v2\` and \`chara_card_v3\` (V1 cards: re-save them in a V2 editor).`,
  invalidField: (field: string, problem: string) => `The card's \`${field}\` field is invalid: ${problem}.`,
  promptTooLong: (max: number, length: number) =>
    `The card's prompt (system_prompt, description, personality, scenario, mes_example and post_history_instructions together) is ${length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')}.`,
  emptyPrompt: () =>
    'The card has nothing to make a prompt from: description, personality, scenario and system_prompt are all empty.',
  fieldTooLong: (field: string, max: number, length: number) =>
    `The card's \`${field}\` is ${length.toLocaleString('en-US')} characters; at most ${max.toLocaleString('en-US')}.`,
  keptTooLarge: (largestField: string, max: number, bytes: number) =>
    `The card's fields take ${formatKb(bytes)} besides its name and greeting; at most ${formatKb(max)}. The largest is \`${largestField}\`.`,
} as const;

function formatKb(bytes: number): string {
  return `${Math.ceil(bytes / 1024).toLocaleString('en-US')} KB`;
}
