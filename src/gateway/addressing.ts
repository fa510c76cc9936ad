import type { Trigger } from '../queue/reply-job.js';
import { isPersonalityUsableBy, type Personality } from '../state/index.js';

/** Everything {@link decideAddressees} weighs, already fetched by the caller. */
export interface AddressingInput {
  /** The personality whose message the user replied to (from the message index), or null. */
  readonly replyToPersonalityId: string | null;
  /** The personalities `@`-mentioned, in order of appearance (from `resolveMentions`). */
  readonly mentioned: ReadonlyArray<{ readonly id: string }>;
  /** The channel's activated personality; for a thread its own, else its parent's. Null in DMs. */
  readonly activatedPersonalityId: string | null;
  readonly isDm: boolean;
  /** In a DM, the personality that answers un-addressed messages; null elsewhere or when none. */
  readonly dmStickyPersonalityId: string | null;
  /** MAX_PERSONALITIES_PER_MESSAGE: at most this many answer one message. */
  readonly maxPersonalities: number;
  /**
   * Whether the author may talk to a personality (private ones answer only their owner). Mentions are
   * already filtered by the name resolver, which never resolves a name its author cannot use; the reply,
   * activation and sticky paths name personalities by id, so they need this check. It is applied to every
   * path, so a caller that passes it never addresses a personality it refuses.
   * @defaultValue every personality is usable
   */
  readonly canUse?: (personalityId: string) => boolean;
}

/** Who answers a message, and why. */
export interface AddressingDecision {
  /** Personalities to enqueue a reply for, in answering order; empty when the message addresses nobody. */
  readonly personalityIds: string[];
  /** Why each of `personalityIds` answers (has an entry for each of them). */
  readonly triggers: Readonly<Record<string, Trigger>>;
  /**
   * In a DM, the personality that becomes sticky because this message `@`-mentioned it (the first mentioned
   * one that answers), when that differs from the current sticky one; null when the sticky personality
   * stays as it is (and always outside DMs). The caller stores it when non-null.
   */
  readonly newDmSticky: string | null;
  /** How many addressed personalities the `maxPersonalities` cap dropped. */
  readonly truncated: number;
}

/**
 * Decides which personalities answer a message:
 * 1. the personality replied to, then every mentioned personality in order, each once, up to
 *    `maxPersonalities` (the rest are counted in `truncated`);
 * 2. only when 1 addresses nobody: in a guild channel its activated personality; in a DM the sticky one.
 *
 * In a DM, mentioning a personality makes it the sticky one for later un-addressed messages.
 */
export function decideAddressees(input: AddressingInput): AddressingDecision {
  if (!Number.isInteger(input.maxPersonalities) || input.maxPersonalities < 1) {
    throw new RangeError(`maxPersonalities must be a positive integer (got ${input.maxPersonalities})`);
  }
  const canUse = input.canUse ?? (() => true);
  const addressed: Array<{ readonly id: string; readonly trigger: Trigger }> = [];
  const add = (id: string | null, trigger: Trigger): void => {
    if (id !== null && canUse(id) && !addressed.some((entry) => entry.id === id))
      addressed.push({ id, trigger });
  };

  add(input.replyToPersonalityId, 'reply');
  for (const { id } of input.mentioned) add(id, 'mention');
  if (addressed.length === 0) {
    if (input.isDm) add(input.dmStickyPersonalityId, 'dm');
    else add(input.activatedPersonalityId, 'activation');
  }

  const kept = addressed.slice(0, input.maxPersonalities);
  const firstMention = kept.find((entry) => entry.trigger === 'mention')?.id ?? null;
  const newDmSticky =
    input.isDm && firstMention !== null && firstMention !== input.dmStickyPersonalityId ? firstMention : null;
  return {
    personalityIds: kept.map((entry) => entry.id),
    triggers: Object.fromEntries(kept.map((entry) => [entry.id, entry.trigger])),
    newDmSticky,
    truncated: addressed.length - kept.length,
  };
}

/**
 * The mention names a server alias takes over: each looked-up name that is one of the server's aliases and not
 * one of the speaker's own names (their own personalities come first, then the server's aliases, then public
 * names). Returns name → aliased personality id.
 */
export function findAliasedNames(
  keys: readonly string[],
  resolved: ReadonlyMap<string, { readonly ownerId: string }>,
  aliases: Readonly<Record<string, string>>,
  speakerId: string,
): Map<string, string> {
  const aliased = new Map<string, string>();
  for (const key of keys) {
    const target = Object.hasOwn(aliases, key) ? aliases[key] : undefined;
    if (target !== undefined && resolved.get(key)?.ownerId !== speakerId) aliased.set(key, target);
  }
  return aliased;
}

/**
 * The name lookup mentions resolve against: `resolved` (the speaker's own, else public) with each of `aliased`
 * replaced by its personality when it exists and the speaker may use it; otherwise the name keeps its global
 * meaning.
 */
export function applyAliases<T extends Pick<Personality, 'ownerId' | 'visibility'>>(
  resolved: ReadonlyMap<string, T>,
  aliased: ReadonlyMap<string, string>,
  byId: ReadonlyMap<string, T>,
  speakerId: string,
): ReadonlyMap<string, T> {
  if (aliased.size === 0) return resolved;
  const lookup = new Map(resolved);
  for (const [key, id] of aliased) {
    const personality = byId.get(id);
    if (personality && isPersonalityUsableBy(personality, speakerId)) lookup.set(key, personality);
  }
  return lookup;
}
