/** Who the macros name in one prompt. */
export interface CardMacroValues {
  /** `{{char}}`: the personality's name. */
  readonly char: string;
  /** `{{user}}`: the display name of the person it answers. */
  readonly user: string;
}

const MACRO = /\{\{(char|user)\}\}/gi;

/**
 * Replaces `{{char}}` and `{{user}}` (any case) in a prompt, at prompt time: applied to every personality's prompt,
 * imported or typed, so a typed prompt may use them too (docs/character-cards.md). Other `{{…}}` stay as written.
 */
export function substituteCardMacros(text: string, values: CardMacroValues): string {
  if (!text.includes('{{')) return text;
  return text.replace(MACRO, (_, name: string) =>
    name.toLowerCase() === 'char' ? values.char : values.user,
  );
}

/**
 * A greeting as posted: macros substituted, cut to `maxChars` (Discord's message length) with an ellipsis. The
 * stored greeting stays whole, for export.
 */
export function buildGreetingText(greeting: string, values: CardMacroValues, maxChars: number): string {
  const text = substituteCardMacros(greeting, values).trim();
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1).trimEnd()}…`;
}
