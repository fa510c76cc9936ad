import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import {
  isPersonalityUsableBy,
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
