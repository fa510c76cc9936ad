import { DiscordLimits } from '../discord/discord-limits.js';
import { ChorusErrorCode, UserFacingError } from '../errors/chorus-error.js';
import {
  type ContextMode,
  ContextModeSchema,
  MAX_FALLBACK_MODELS,
  type MemoryScope,
  MemoryScopeSchema,
  type ModelRef,
  normalizePersonalityName,
  type PersonalityDraft,
  type Visibility,
  VisibilitySchema,
} from '../state/personality.js';
import { PersonalityRuleMessages as Messages } from './messages.js';

/** The personality fields a slash command sets. */
export type PersonalityField =
  | 'name'
  | 'aliases'
  | 'systemPrompt'
  | 'avatarUrl'
  | 'temperature'
  | 'provider'
  | 'model'
  | 'visibility'
  | 'contextMode'
  | 'memoryScope'
  | 'fallbackModels'
  | 'streamReplies';

/** One broken rule: which field, and a sentence for the user saying which rule. */
export interface FieldError {
  readonly field: PersonalityField;
  readonly message: string;
}

/** A validated (and tidied) value, or every rule it broke. */
export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

/** What a user typed into `/personality create` (or the changed fields of an edit, merged by the caller). */
export interface PersonalityInput {
  readonly name: string;
  readonly aliases?: readonly string[] | null;
  readonly systemPrompt: string;
  readonly avatarUrl?: string | null;
  /** Omitted → the context's `defaultProvider`. */
  readonly provider?: string | null;
  /** Omitted → the provider's default model. */
  readonly model?: string | null;
  readonly temperature?: number | null;
  /** Omitted → `public`. */
  readonly visibility?: string | null;
}

/** A personality's user-supplied fields once every rule passed. */
export type ValidPersonalityInput = Omit<PersonalityDraft, 'ownerId' | 'aliases'> & { aliases: string[] };

/** The providers an operator configured, by name (`Config['ai']['providers']` fits). */
export interface ProviderChoice {
  readonly models: readonly string[];
  readonly defaultModel: string;
}

/** What the rules compare input against. */
export interface PersonalityRulesContext {
  readonly providers: ReadonlyMap<string, ProviderChoice>;
  /** Used when the input names no provider (`Config['ai']['defaultProvider']`). */
  readonly defaultProvider?: string;
  /**
   * The owner's personality names and aliases, as {@link normalizePersonalityName} keys. For an edit, leave
   * out the edited personality's own name and aliases.
   */
  readonly existingNames: ReadonlySet<string>;
}

/** Longest name or alias: the schema's limit, which is Discord's webhook username limit. */
export const PERSONALITY_NAME_MAX_LENGTH = DiscordLimits.webhookUsername;
/** Longest system prompt: what one slash command string option carries. */
export const SYSTEM_PROMPT_MAX_LENGTH = DiscordLimits.stringOption;
/** Aliases one personality may have; each is another Redis name key. */
export const MAX_ALIASES = 10;
/** Longest avatar URL accepted. */
export const AVATAR_URL_MAX_LENGTH = 2048;

/**
 * Control characters anywhere, and invisible format characters (zero-width space, word joiner, BOM, bidi
 * marks and overrides, soft hyphen). Zero-width (non-)joiners and tag characters stay: emoji sequences and
 * several scripts need them.
 */
const FORBIDDEN_CHARACTERS = /[\p{Cc}\p{Cs}\u2028\u2029]|(?!\u200C|\u200D|[\u{E0020}-\u{E007F}])\p{Cf}/u;
/** A character that shows something: not whitespace, a joiner or combining mark alone, or a blank glyph. */
const VISIBLE = /[^\s\p{Cf}\p{M}\u115F\u1160\u17B4\u17B5\u2800\u3164\uFFA0]/u;
const RESERVED_NAMES: ReadonlySet<string> = new Set(['everyone', 'here']);
/** Discord refuses webhook names containing these, in any case. */
const FORBIDDEN_WORDS = ['discord', 'clyde'] as const;
const IMAGE_PATH = /\.(?:png|jpe?g|webp|gif)$/iu;

/**
 * Checks a name (or, with an alias label, an alias): 1–80 characters once trimmed, no line breaks, control
 * or invisible formatting characters, at least one visible character, no leading `@`, not `everyone`/`here`,
 * no "discord"/"clyde" in any case, and not already one of the owner's names or aliases. The value returned
 * is trimmed with inner whitespace collapsed.
 */
export function validatePersonalityName(
  name: string,
  existingNames: ReadonlySet<string>,
): ValidationResult<string> {
  return checkNameRules(name, existingNames, Messages.nameLabel(), 'name');
}

/**
 * Checks one alias with the name rules, plus: not the personality's own name (`nameKey`, when known).
 * `existingNames` should hold the owner's names and aliases, this personality's included.
 */
export function validateAlias(
  alias: string,
  existingNames: ReadonlySet<string>,
  nameKey: string | null = null,
): ValidationResult<string> {
  if (nameKey !== null && normalizePersonalityName(alias) === nameKey) {
    return { ok: false, errors: [{ field: 'aliases', message: Messages.aliasSameAsName(alias) }] };
  }
  return checkNameRules(alias, existingNames, Messages.aliasLabel(alias), 'aliases');
}

/** A non-empty system prompt of at most 6,000 characters, trimmed. */
export function validateSystemPrompt(prompt: string): ValidationResult<string> {
  const value = prompt.trim();
  if (value.length === 0 || value.length > SYSTEM_PROMPT_MAX_LENGTH) {
    return fail('systemPrompt', Messages.promptLength(SYSTEM_PROMPT_MAX_LENGTH, value.length));
  }
  return { ok: true, value };
}

/**
 * An avatar: none (null or blank), or an `https://` URL whose path ends in .png, .jpg, .jpeg, .webp or
 * .gif (a query string or fragment may follow), without credentials or whitespace.
 */
export function validateAvatarUrl(url: string | null | undefined): ValidationResult<string | null> {
  const value = url?.trim() ?? '';
  if (value === '') return { ok: true, value: null };
  if (value.length > AVATAR_URL_MAX_LENGTH) {
    return fail('avatarUrl', Messages.avatarTooLong(AVATAR_URL_MAX_LENGTH, value.length));
  }
  // The URL parser silently drops tabs and newlines, so whitespace is refused before parsing.
  const parsed = /\s/u.test(value) || !URL.canParse(value) ? null : new URL(value);
  const ok =
    parsed !== null &&
    parsed.protocol === 'https:' &&
    parsed.hostname !== '' &&
    parsed.username === '' &&
    parsed.password === '' &&
    IMAGE_PATH.test(parsed.pathname);
  return ok ? { ok: true, value } : fail('avatarUrl', Messages.avatarNotImageUrl());
}

/** A sampling temperature from 0 to 2, or null (the provider's default). */
export function validateTemperature(temperature: number | null | undefined): ValidationResult<number | null> {
  if (temperature === null || temperature === undefined) return { ok: true, value: null };
  if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
    return fail('temperature', Messages.temperatureRange(temperature));
  }
  return { ok: true, value: temperature };
}

/**
 * A configured provider (the context's default when omitted) and one of its models (its default model when
 * omitted).
 */
export function validateProviderModel(
  provider: string | null | undefined,
  model: string | null | undefined,
  context: Pick<PersonalityRulesContext, 'providers' | 'defaultProvider'>,
): ValidationResult<{ provider: string; model: string }> {
  const available = [...context.providers.keys()];
  const providerName = provider?.trim() || context.defaultProvider;
  if (providerName === undefined) return fail('provider', Messages.providerRequired(available));
  const choice = context.providers.get(providerName);
  if (choice === undefined) return fail('provider', Messages.providerUnknown(providerName, available));
  const modelName = model?.trim() || choice.defaultModel;
  if (!choice.models.includes(modelName)) {
    return fail('model', Messages.modelUnknown(modelName, providerName, choice.models));
  }
  return { ok: true, value: { provider: providerName, model: modelName } };
}

/** `public` or `private`; `public` when omitted. */
export function validateVisibility(visibility: string | null | undefined): ValidationResult<Visibility> {
  if (visibility === null || visibility === undefined || visibility.trim() === '')
    return { ok: true, value: 'public' };
  const parsed = VisibilitySchema.safeParse(visibility.trim().toLowerCase());
  return parsed.success ? { ok: true, value: parsed.data } : fail('visibility', Messages.visibilityInvalid());
}

/** A `/personality edit memory:` value: `conversation` or `user`. */
export function validateMemoryScope(value: string): ValidationResult<MemoryScope> {
  const parsed = MemoryScopeSchema.safeParse(value.trim().toLowerCase());
  return parsed.success
    ? { ok: true, value: parsed.data }
    : fail('memoryScope', Messages.memoryScopeInvalid());
}

/** A `/personality edit context:` value: `room` or `personal`. */
export function validateContextMode(value: string): ValidationResult<ContextMode> {
  const parsed = ContextModeSchema.safeParse(value.trim().toLowerCase());
  return parsed.success
    ? { ok: true, value: parsed.data }
    : fail('contextMode', Messages.contextModeInvalid());
}

/** The `fallbacks:` value that clears the list (an option cannot be set to empty). */
export const NO_FALLBACKS = 'none';

/**
 * A `/personality edit fallbacks:` value: up to {@link MAX_FALLBACK_MODELS} comma-separated `provider/model`
 * entries, each a configured provider's listed model, none repeated and none the personality's own model
 * (`primary`, as it will be after the edit); `none` (or blank) clears the list. A model's name may itself hold
 * a `/` (OpenRouter's `meta-llama/…`): the provider is the configured name the entry starts with. Every broken
 * entry is reported, each by name.
 */
export function validateFallbackModels(
  value: string,
  primary: ModelRef,
  context: Pick<PersonalityRulesContext, 'providers'>,
): ValidationResult<ModelRef[]> {
  const text = value.trim();
  if (text === '' || text.toLowerCase() === NO_FALLBACKS) return { ok: true, value: [] };
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (entries.length > MAX_FALLBACK_MODELS) {
    return fail('fallbackModels', Messages.tooManyFallbacks(MAX_FALLBACK_MODELS, entries.length));
  }
  const errors: FieldError[] = [];
  const values: ModelRef[] = [];
  for (const entry of entries) {
    const checked = checkFallbackEntry(entry, primary, context.providers, values);
    if (typeof checked === 'string') errors.push({ field: 'fallbackModels', message: checked });
    else values.push(checked);
  }
  return errors.length === 0 ? { ok: true, value: values } : { ok: false, errors };
}

/** One fallback entry as a model, or the first rule it broke (`accepted`: the entries before it that passed). */
function checkFallbackEntry(
  entry: string,
  primary: ModelRef,
  providers: ReadonlyMap<string, ProviderChoice>,
  accepted: readonly ModelRef[],
): ModelRef | string {
  const available = [...providers.keys()];
  const ref = parseModelRef(entry, available);
  if (ref === null) return Messages.fallbackNotModelRef(entry, available);
  const models = providers.get(ref.provider)?.models ?? [];
  if (!models.includes(ref.model)) return Messages.fallbackModelUnknown(entry, ref.provider, models);
  const same = (other: ModelRef) => other.provider === ref.provider && other.model === ref.model;
  if (same(primary)) return Messages.fallbackIsPrimary(entry);
  if (accepted.some(same)) return Messages.fallbackRepeated(entry);
  return ref;
}

/** `provider/model` with `provider` one of `providers` (the longest that fits); null when none does. */
function parseModelRef(entry: string, providers: readonly string[]): ModelRef | null {
  const provider = providers
    .filter((name) => entry.startsWith(`${name}/`) && entry.length > name.length + 1)
    .sort((left, right) => right.length - left.length)[0];
  return provider === undefined ? null : { provider, model: entry.slice(provider.length + 1).trim() };
}
/** A `/personality edit stream:` value: `on`, `off`, or `default` (null: follow the operator's setting). */
export function validateStreamReplies(value: string): ValidationResult<boolean | null> {
  switch (value.trim().toLowerCase()) {
    case 'on':
      return { ok: true, value: true };
    case 'off':
      return { ok: true, value: false };
    case 'default':
      return { ok: true, value: null };
    default:
      return fail('streamReplies', Messages.streamRepliesInvalid());
  }
}

/**
 * Checks every field of a new personality and reports every broken rule at once, so the user fixes their
 * command in one go. Aliases must also differ from the name and from each other.
 */
export function validatePersonalityInput(
  input: PersonalityInput,
  context: PersonalityRulesContext,
): ValidationResult<ValidPersonalityInput> {
  const errors: FieldError[] = [];
  const take = <T>(result: ValidationResult<T>): T | undefined => {
    if (result.ok) return result.value;
    errors.push(...result.errors);
    return undefined;
  };

  const name = take(validatePersonalityName(input.name, context.existingNames));
  const aliases = take(validateAliasList(input.aliases ?? [], normalizePersonalityName(input.name), context));
  const systemPrompt = take(validateSystemPrompt(input.systemPrompt));
  const avatarUrl = take(validateAvatarUrl(input.avatarUrl));
  const temperature = take(validateTemperature(input.temperature));
  const providerModel = take(validateProviderModel(input.provider, input.model, context));
  const visibility = take(validateVisibility(input.visibility));

  if (
    name === undefined ||
    aliases === undefined ||
    systemPrompt === undefined ||
    avatarUrl === undefined ||
    temperature === undefined ||
    providerModel === undefined ||
    visibility === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    value: { name, aliases, systemPrompt, avatarUrl, temperature, visibility, ...providerModel },
  };
}

/** The error to throw for failed validation: code InvalidInput, every problem in its message. */
export function buildInvalidInputError(errors: readonly FieldError[]): UserFacingError {
  return new UserFacingError(
    ChorusErrorCode.InvalidInput,
    Messages.invalidInput(errors.map((error) => error.message)),
  );
}

function validateAliasList(
  aliases: readonly string[],
  nameKey: string,
  context: PersonalityRulesContext,
): ValidationResult<string[]> {
  if (aliases.length > MAX_ALIASES)
    return fail('aliases', Messages.tooManyAliases(MAX_ALIASES, aliases.length));
  const errors: FieldError[] = [];
  const values: string[] = [];
  const seen = new Set<string>();
  for (const alias of aliases) {
    const key = normalizePersonalityName(alias);
    if (seen.has(key)) {
      errors.push({ field: 'aliases', message: Messages.aliasRepeated(alias) });
      continue;
    }
    seen.add(key);
    const result = validateAlias(alias, context.existingNames, nameKey);
    if (result.ok) values.push(result.value);
    else errors.push(...result.errors);
  }
  return errors.length === 0 ? { ok: true, value: values } : { ok: false, errors };
}

/** The name rules, reporting the first one broken (as `field`, the value called `label`). */
function checkNameRules(
  name: string,
  existingNames: ReadonlySet<string>,
  label: string,
  field: PersonalityField,
): ValidationResult<string> {
  const problem = firstBrokenNameRule(name, existingNames, label);
  return problem === null ? { ok: true, value: tidyName(name) } : fail(field, problem);
}

function firstBrokenNameRule(name: string, existingNames: ReadonlySet<string>, label: string): string | null {
  if (FORBIDDEN_CHARACTERS.test(name)) return Messages.nameControlCharacters(label);
  const value = tidyName(name);
  if (value.length === 0 || value.length > PERSONALITY_NAME_MAX_LENGTH) {
    return Messages.nameLength(label, PERSONALITY_NAME_MAX_LENGTH, value.length);
  }
  if (!VISIBLE.test(value)) return Messages.nameInvisible(label);
  const key = normalizePersonalityName(value);
  // NFKC too: a full-width ＠ reads as an @.
  if (value.startsWith('@') || key.startsWith('@')) return Messages.nameLeadingAt(label);
  if (RESERVED_NAMES.has(key)) return Messages.nameReserved(label);
  // Compared without joiners too: Discord's sanitizer may drop them and then see the word whole.
  const folded = [key, value.toLowerCase()].map((form) => form.replace(/[\u200C\u200D]/gu, ''));
  const word = FORBIDDEN_WORDS.find((forbidden) => folded.some((form) => form.includes(forbidden)));
  if (word !== undefined) return Messages.nameForbiddenWord(label, word);
  if (existingNames.has(key)) return Messages.nameTaken(label, value);
  return null;
}

function tidyName(name: string): string {
  return name.trim().replace(/\s+/gu, ' ');
}

function fail<T>(field: PersonalityField, message: string): ValidationResult<T> {
  return { ok: false, errors: [{ field, message }] };
}
