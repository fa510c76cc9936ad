import { DiscordLimits } from '../discord/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { StateMessages } from './messages.js';
import {
  listPersonalityNameKeys,
  MAX_FALLBACK_MODELS,
  normalizePersonalityName,
  type Personality,
  PersonalitySchema,
} from './personality.js';

/** Names cannot hold control characters (they separate catalog members) nor lone surrogates. */
export const FORBIDDEN_NAME_CHARACTERS = /[\p{Cc}\p{Cs}]/u;

/**
 * Schema-checks a personality about to be written and its names; user-facing errors (InvalidInput) for what a
 * user can fix.
 */
export function validatePersonalityRecord(input: Personality, maxAliases: number): Personality {
  // Stored as written, minus surrounding blanks (what a webhook username would show anyway).
  const candidate = {
    ...input,
    name: input.name.trim(),
    aliases: input.aliases.map((alias) => alias.trim()),
  };
  const names = [candidate.name, ...candidate.aliases];
  if (candidate.aliases.length > maxAliases) throw invalid(StateMessages.tooManyAliases(maxAliases));
  for (const name of names) {
    const key = normalizePersonalityName(name);
    if (
      key.length === 0 ||
      name.length > DiscordLimits.webhookUsername ||
      FORBIDDEN_NAME_CHARACTERS.test(name)
    ) {
      throw invalid(StateMessages.invalidName());
    }
  }
  // Whether each fallback is configured is the command's check (the state layer knows no configuration).
  if (candidate.fallbackModels.length > MAX_FALLBACK_MODELS)
    throw invalid(StateMessages.tooManyFallbacks(MAX_FALLBACK_MODELS));
  const fallbackNames = candidate.fallbackModels.map(({ provider, model }) => `${provider}/${model}`);
  const repeatedFallback = fallbackNames.find((name, index) => fallbackNames.indexOf(name) !== index);
  if (repeatedFallback !== undefined) throw invalid(StateMessages.fallbackRepeated(repeatedFallback));
  const keys = listPersonalityNameKeys(candidate);
  const repeated = keys.find((key, index) => keys.indexOf(key) !== index);
  if (repeated !== undefined) throw invalid(StateMessages.nameRepeated(displayNameFor(candidate, repeated)));
  const parsed = PersonalitySchema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      StateMessages.invalidPersonality(
        issue ? `${issue.path.join('.')} ${issue.message}` : 'unknown problem',
      ),
    );
  }
  return parsed.data;
}

/** How the user wrote the name or alias whose normalized form is `key`. */
export function displayNameFor(personality: Pick<Personality, 'name' | 'aliases'>, key: string): string {
  return (
    [personality.name, ...personality.aliases].find((name) => normalizePersonalityName(name) === key) ?? key
  );
}

function invalid(message: string): UserFacingError {
  return new UserFacingError(ChorusErrorCode.InvalidInput, message);
}
