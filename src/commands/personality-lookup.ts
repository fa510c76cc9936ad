import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import {
  isPersonalityEditableBy,
  isPersonalityUsableBy,
  listPersonalityNameKeys,
  normalizePersonalityName,
  type Personality,
  type PersonalityRepository,
  PersonalitySchema,
} from '../state/index.js';
import { CommandReplies } from './command-replies.js';

/**
 * Finds the personality an option names, as the caller may use it: autocomplete sends its id, a user who
 * typed instead sends a name or alias (their own personality first, else the oldest public one). Someone
 * else's private personality is never found; null when nothing matches.
 */
export async function tryResolvePersonality(
  personalities: PersonalityRepository,
  callerId: string,
  value: string,
): Promise<Personality | null> {
  const query = value.trim();
  if (PersonalitySchema.shape.id.safeParse(query).success) {
    const byId = await personalities.fetchById(query);
    if (byId && isPersonalityUsableBy(byId, callerId)) return byId;
  }
  const key = normalizePersonalityName(query);
  if (key.length === 0) return null;
  return (await personalities.resolveNames(callerId, [key])).get(key) ?? null;
}

/** {@link tryResolvePersonality}, for a command that cannot go on without it. @throws UserFacingError NotFound */
export async function resolvePersonality(
  personalities: PersonalityRepository,
  callerId: string,
  value: string,
): Promise<Personality> {
  const found = await tryResolvePersonality(personalities, callerId, value);
  if (!found)
    throw new UserFacingError(ChorusErrorCode.NotFound, CommandReplies.personalityNotFound(value), {
      userId: callerId,
    });
  return found;
}

/** Like {@link resolvePersonality}, for commands only the owner may run. @throws UserFacingError Forbidden */
export async function resolveOwnedPersonality(
  personalities: PersonalityRepository,
  callerId: string,
  value: string,
): Promise<Personality> {
  const personality = await resolvePersonality(personalities, callerId, value);
  if (personality.ownerId !== callerId) {
    throw new UserFacingError(ChorusErrorCode.Forbidden, CommandReplies.notOwner(personality.name), {
      userId: callerId,
      personalityId: personality.id,
    });
  }
  return personality;
}

/**
 * Finds the personality an option names for an edit by its owner or a co-editor: by id from autocomplete, or
 * by a typed name among the caller's own, then those they co-edit, then public ones. Always the owner's
 * record (never the catalog's copy), so its version is the one the edit is based on.
 * @throws UserFacingError NotFound, Forbidden (found, but the caller may not edit it).
 */
export async function resolveEditablePersonality(
  personalities: PersonalityRepository,
  callerId: string,
  value: string,
): Promise<Personality> {
  const query = value.trim();
  const byId = PersonalitySchema.shape.id.safeParse(query).success
    ? await personalities.fetchById(query)
    : null;
  if (byId && isPersonalityEditableBy(byId, callerId)) return byId;
  const key = normalizePersonalityName(query);
  const named = key.length === 0 ? null : await tryResolvePersonality(personalities, callerId, query);
  if (named?.ownerId === callerId) return named;
  const shared = (await personalities.listSharedWith(callerId)).find((personality) =>
    listPersonalityNameKeys(personality).includes(key),
  );
  if (shared) return shared;
  const found = named ?? (byId && isPersonalityUsableBy(byId, callerId) ? byId : null);
  if (!found)
    throw new UserFacingError(ChorusErrorCode.NotFound, CommandReplies.personalityNotFound(value), {
      userId: callerId,
    });
  throw new UserFacingError(ChorusErrorCode.Forbidden, CommandReplies.notOwner(found.name), {
    userId: callerId,
    personalityId: found.id,
  });
}

/** The owner's names and aliases as lookup keys, optionally leaving out some (an edited personality's name). */
export function collectNameKeys(
  owned: readonly Personality[],
  except: ReadonlySet<string> = new Set(),
): Set<string> {
  const keys = new Set<string>();
  for (const personality of owned) {
    for (const name of [personality.name, ...personality.aliases]) {
      const key = normalizePersonalityName(name);
      if (!except.has(key)) keys.add(key);
    }
  }
  return keys;
}
