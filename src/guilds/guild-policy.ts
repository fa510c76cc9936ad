import { isPersonalityUsableBy, listPersonalityNameKeys, type Personality } from '../state/index.js';
import type { GuildSettings } from './guild-settings.js';

/** Why a server's settings (or the NSFW rule) keep a personality from answering a message. */
export type PolicyRefusal = 'blocked' | 'not-allowed' | 'channel' | 'role' | 'nsfw';

/** What the policy weighs about the personality (`nsfw` absent reads as not NSFW). */
export type PolicyPersonality = Pick<Personality, 'id' | 'ownerId' | 'name' | 'aliases'> & {
  readonly nsfw?: boolean;
};

/** Where and by whom a personality is addressed. */
export interface PolicyContext {
  /** The server's settings; null in DMs, which have none. */
  readonly settings: GuildSettings | null;
  readonly speakerId: string;
  readonly channelId: string;
  /** The parent channel of a thread (whose channel rules it follows); null otherwise. */
  readonly parentChannelId: string | null;
  /** Whether the channel is age-restricted (a thread's: its parent's). */
  readonly channelNsfw: boolean;
  /** The speaker's roles in the server; empty in DMs. */
  readonly memberRoleIds: readonly string[];
}

/** The policy's answer: allowed, or the first rule that refuses. */
export type PolicyVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: PolicyRefusal };

const ALLOWED: PolicyVerdict = Object.freeze({ allowed: true });

/**
 * Whether a personality may answer here. In a server its rules apply to every personality, the speaker's own
 * included: blocks (by id, or by any of its names), allowlist mode, the channel lists (a thread follows its
 * parent), the required role, then NSFW (only in age-restricted channels of servers allowing it). In a DM an
 * NSFW personality answers only its owner. Visibility (private ones answer only their owner) is checked apart.
 */
export function checkPersonalityPolicy(
  personality: PolicyPersonality,
  context: PolicyContext,
): PolicyVerdict {
  const { settings } = context;
  const nsfw = personality.nsfw === true;
  if (settings === null) return nsfw && personality.ownerId !== context.speakerId ? refuse('nsfw') : ALLOWED;

  if (
    settings.blockedPersonalityIds.includes(personality.id) ||
    (settings.blockedNames.length > 0 &&
      listPersonalityNameKeys(personality).some((key) => settings.blockedNames.includes(key)))
  ) {
    return refuse('blocked');
  }
  if (settings.personalityMode === 'allowlist' && !settings.allowedPersonalityIds.includes(personality.id)) {
    return refuse('not-allowed');
  }
  if (settings.channelMode !== 'everywhere') {
    const listed = settings.channelIds.includes(context.parentChannelId ?? context.channelId);
    if (listed !== (settings.channelMode === 'only')) return refuse('channel');
  }
  if (settings.requiredRoleId !== null && !context.memberRoleIds.includes(settings.requiredRoleId)) {
    return refuse('role');
  }
  if (nsfw && !(settings.allowNsfw && context.channelNsfw)) return refuse('nsfw');
  return ALLOWED;
}

/**
 * The verdicts for one message, by personality id and computed once each: undefined for a personality not in
 * `byId` or one the speaker may not use at all (private to someone else), else {@link checkPersonalityPolicy}'s.
 */
export function createPolicyLookup(
  byId: ReadonlyMap<string, PolicyPersonality & Pick<Personality, 'visibility'>>,
  context: PolicyContext,
): (personalityId: string) => PolicyVerdict | undefined {
  const verdicts = new Map<string, PolicyVerdict | undefined>();
  return (personalityId) => {
    if (!verdicts.has(personalityId)) {
      const personality = byId.get(personalityId);
      verdicts.set(
        personalityId,
        personality && isPersonalityUsableBy(personality, context.speakerId)
          ? checkPersonalityPolicy(personality, context)
          : undefined,
      );
    }
    return verdicts.get(personalityId);
  };
}

function refuse(reason: PolicyRefusal): PolicyVerdict {
  return { allowed: false, reason };
}
