/** Every sentence the personality input rules say to users, in one place. */

const QUOTED_MAX = 40;
const LISTED_MAX = 10;

/** Thousands separators, so limits read as people write them (6,000). */
function count(value: number): string {
  return value.toLocaleString('en-US');
}

/**
 * A user-typed value echoed back: one line, at most {@link QUOTED_MAX} characters, and unable to render
 * as a mention (a zero-width space follows every `<` and `@`).
 */
function quoted(value: string): string {
  const line = value.replace(/\s+/gu, ' ').trim();
  const short = line.length > QUOTED_MAX ? `${line.slice(0, QUOTED_MAX - 1).trimEnd()}…` : line;
  return `“${short.replace(/([<@])/gu, '$1\u200B')}”`;
}

function choices(values: readonly string[]): string {
  const shown = values.slice(0, LISTED_MAX).join(', ');
  return values.length > LISTED_MAX ? `${shown}, …` : shown;
}

/** The rules' wording. Name rules take a label saying which value they judge: `nameLabel()` or `aliasLabel(…)`. */
export const PersonalityRuleMessages = {
  /** "Name". */
  nameLabel: () => 'Name',
  /** "Alias “Bobby”". */
  aliasLabel: (alias: string) => `Alias ${quoted(alias)}`,

  nameLength: (label: string, max: number, got: number) =>
    `${label} must be 1–${count(max)} characters (got ${count(got)}).`,
  nameControlCharacters: (label: string) =>
    `${label} cannot contain line breaks, control characters or invisible formatting characters.`,
  nameInvisible: (label: string) => `${label} must contain at least one visible character.`,
  nameLeadingAt: (label: string) => `${label} cannot start with “@” (people type the @ to address it).`,
  nameReserved: (label: string) => `${label} cannot be “everyone” or “here”: Discord uses those names.`,
  nameForbiddenWord: (label: string, word: string) =>
    `${label} cannot contain “${word}”, in any case: Discord refuses it in webhook names.`,
  nameTaken: (label: string, name: string) =>
    `${label} is taken: you already have a personality or alias called ${quoted(name)}.`,

  aliasSameAsName: (alias: string) => `Alias ${quoted(alias)} is the same as the name.`,
  aliasRepeated: (alias: string) => `Alias ${quoted(alias)} is listed more than once.`,
  tooManyAliases: (max: number, got: number) => `A personality can have at most ${max} aliases (got ${got}).`,

  promptLength: (max: number, got: number) =>
    `Prompt must be 1–${count(max)} characters (got ${count(got)}).`,

  avatarNotImageUrl: () =>
    'Avatar must be an https:// link to a .png, .jpg, .jpeg, .webp or .gif image (a query string after the extension is fine).',
  avatarTooLong: (max: number, got: number) =>
    `Avatar link must be at most ${count(max)} characters (got ${count(got)}).`,

  temperatureRange: (got: number) => `Temperature must be a number from 0 to 2 (got ${got}).`,

  providerRequired: (available: readonly string[]) => `Choose a provider: ${choices(available)}.`,
  providerUnknown: (provider: string, available: readonly string[]) =>
    `Provider ${quoted(provider)} is not configured. Choose one of: ${choices(available)}.`,
  modelUnknown: (model: string, provider: string, available: readonly string[]) =>
    `Model ${quoted(model)} is not available from provider ${quoted(provider)}. Choose one of: ${choices(available)}.`,

  visibilityInvalid: () => 'Visibility must be “public” or “private”.',
  contextModeInvalid: () => 'Context must be “room” or “personal”.',
  memoryScopeInvalid: () => 'Memory must be “conversation” or “user”.',
  streamRepliesInvalid: () => 'Stream must be “on”, “off” or “default”.',

  tooManyFallbacks: (max: number, got: number) =>
    `A personality can have at most ${max} fallback models (got ${got}).`,
  fallbackNotModelRef: (entry: string, providers: readonly string[]) =>
    `Fallback ${quoted(entry)} is not provider/model with a configured provider (${choices(providers)}).`,
  fallbackModelUnknown: (entry: string, provider: string, available: readonly string[]) =>
    `Fallback ${quoted(entry)}: that model is not available from provider ${quoted(provider)}. Choose one of: ${choices(available)}.`,
  fallbackIsPrimary: (entry: string) =>
    `Fallback ${quoted(entry)} is the personality's own model: list other models.`,
  fallbackRepeated: (entry: string) => `Fallback ${quoted(entry)} is listed more than once.`,

  invalidInput: (problems: readonly string[]) =>
    problems.length === 1
      ? problems[0]!
      : `Please fix these:\n${problems.map((problem) => `• ${problem}`).join('\n')}`,
} as const;
