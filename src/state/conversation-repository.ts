import { z } from 'zod';
import type { Config } from '../config/index.js';
import type { CounterWrite, RedisClient, ScriptCall } from '../redis/index.js';
import { buildCounterSpec, fetchIndexMembers, RedisBatch } from '../redis/index.js';
import {
  buildConversationIndexKey,
  buildConversationKey,
  buildConversationKeyPrefix,
  buildConversationSuffix,
} from './keys.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** One message of a conversation, as history for the AI. */
export const ConversationTurnSchema = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.string(),
  /** The user's message this turn belongs to (for an assistant turn: the message it answered). */
  messageId: z.string(),
  /** A user turn answering back-to-back messages at once: the follow-ups' ids, after `messageId`'s. */
  joinedIds: z.array(z.string()).optional(),
  /** Unix ms. */
  at: z.number(),
});
export type ConversationTurn = z.infer<typeof ConversationTurnSchema>;

/**
 * Where the turns a trim removes go instead of being deleted: the memory's pending list, bounded, and the claim
 * that makes one summarizer at a time (the memory area builds the keys; see `src/memory`).
 */
export interface TurnHandOver {
  /** LIST of turns waiting for the summary. */
  readonly pendingKey: string;
  /** STRING: the rolling summary (its TTL is refreshed with the conversation's). */
  readonly summaryKey: string;
  /** STRING: the token of the summarization in progress. */
  readonly claimKey: string;
  /** SET of the user's memory suffixes (for erasure). */
  readonly indexKey: string;
  /** This memory's suffix, as the index lists it. */
  readonly suffix: string;
  /** Most turns the pending list keeps; beyond it the oldest are dropped. */
  readonly maxPendingTurns: number;
  /** Most characters the pending list keeps; beyond it the oldest are dropped. */
  readonly maxPendingChars: number;
  /** The claim taken when the pending list holds turns and nobody summarizes it. */
  readonly claimToken: string;
  /** How long an unreleased claim holds, in ms (a worker that died while summarizing). */
  readonly claimTtlMs: number;
}

/**
 * What makes an append happen once, and what is written with it: all in the user's slot, in the append's script.
 */
export interface AppendGuard {
  /** The append happens only if this call sets `field` of the hash `key` (a reply's delivery record). */
  readonly once: { readonly key: string; readonly field: string };
  /** Counters added with the append, and only with it (a reply's usage: at most two keys). */
  readonly counters: readonly CounterWrite[];
}

/** The most counter keys an {@link AppendGuard} may carry (the script's fixed keys). */
const MAX_GUARDED_COUNTERS = 2;

/** What an append did. */
export interface AppendResult {
  /** False when the guard's field was already set: nothing was appended or counted. */
  readonly appended: boolean;
  /** Turns the conversation holds. */
  readonly held: number;
  /** Turns the trim moved to the pending list. */
  readonly handedOver: number;
  /** Pending turns dropped by the pending list's cap. */
  readonly pendingDropped: number;
  /** The hand-over's claim was taken: the caller enqueues the summarization with its token. */
  readonly claimed: boolean;
}

/** One conversation a user has, from the index. */
export interface ConversationRef {
  readonly channelId: string;
  readonly personalityId: string;
}

type ConversationConfig = Config['conversation'];

/** Options for {@link ConversationRepository}; the caps come from `Config['conversation']`. */
export interface ConversationRepositoryOptions extends ConversationConfig {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * How many conversations a user's index keeps, most recently appended first; older ones are deleted with
   * their history (`USER_INDEX_MAX_ENTRIES`). @defaultValue 500
   */
  maxIndexed: number;
  /** Clock (Unix ms) dating index entries. @defaultValue Date.now */
  now: () => number;
}

export const DefaultConversationRepositoryOptions = {
  maxIndexed: 500,
  now: Date.now,
} as const satisfies Pick<Required<ConversationRepositoryOptions>, 'maxIndexed' | 'now'>;

/** Entries are stored as `<characters>:<turn JSON>` so the capping script counts characters without JSON. */
const ENTRY = /^(\d+):/;

/**
 * Conversation history per (user, channel, personality), in the user's slot. Appends are capped by turns
 * and characters (oldest first) and refresh the TTL atomically; a per-user index lists the user's
 * conversations without SCAN (Cluster-safe), bounded by the TTL and `maxIndexed`.
 */
export class ConversationRepository {
  readonly options: Readonly<ConversationRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Omit<ConversationRepositoryOptions, 'maxIndexed' | 'now'> &
      Partial<Pick<ConversationRepositoryOptions, 'maxIndexed' | 'now'>>,
  ) {
    this.options = { ...DefaultConversationRepositoryOptions, ...options };
  }

  /** The conversation's turns, oldest first (empty when there is none or it expired). */
  async fetchHistory(
    userId: string,
    channelId: string,
    personalityId: string,
    batch?: RedisBatch,
  ): Promise<ConversationTurn[]> {
    const key = buildConversationKey(this.options.prefix, userId, channelId, personalityId);
    const entries = await RedisBatch.read<string[]>(this.redis, batch, key, 'lrange', 0, -1);
    return entries.flatMap((entry) => {
      const match = ENTRY.exec(entry);
      if (!match) return [];
      try {
        const parsed = ConversationTurnSchema.safeParse(JSON.parse(entry.slice(match[0].length)));
        return parsed.success ? [parsed.data] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * Appends turns atomically, then trims the oldest while the conversation holds more than `maxTurns` turns
   * or `maxChars` characters (the newest turn is always kept), and refreshes its TTL. Trimmed turns move to
   * `handOver`'s pending list in the same script (without one they are deleted). Conversations the index
   * drops (idle past the TTL, or beyond `maxIndexed`) are deleted. With a batch, a share of its round trip
   * (one more, rarely, to delete what the index dropped). With a `guard`, only if its field was not set yet
   * (then its counters are added too), in the same script.
   */
  async appendTurns(
    userId: string,
    channelId: string,
    personalityId: string,
    turns: readonly ConversationTurn[],
    batch?: RedisBatch,
    handOver?: TurnHandOver,
    guard?: AppendGuard,
  ): Promise<AppendResult> {
    const call = this.buildAppendCall(userId, channelId, personalityId, turns, handOver, guard);
    return call.finish(
      await runStateScript<unknown>(
        this.redis,
        StateScript.appendConversationTurns,
        call.keys,
        call.args,
        batch,
      ),
    );
  }

  /**
   * {@link ConversationRepository.appendTurns} as a script call not yet sent, for a script that appends among
   * other steps of the user's slot (it includes `state:includes/appendTurns`).
   */
  buildAppendCall(
    userId: string,
    channelId: string,
    personalityId: string,
    turns: readonly ConversationTurn[],
    handOver?: TurnHandOver,
    guard?: AppendGuard,
  ): ScriptCall<AppendResult> {
    const counters = guard?.counters ?? [];
    if (counters.length > MAX_GUARDED_COUNTERS)
      throw new Error(`an append carries at most ${MAX_GUARDED_COUNTERS} counter keys`);
    const { prefix, maxTurns, maxChars, ttlSeconds, maxIndexed, now } = this.options;
    const entries = turns.map((turn) => {
      const clean = ConversationTurnSchema.parse(turn);
      return `${clean.content.length}:${JSON.stringify(clean)}`;
    });
    const conversationKey = buildConversationKey(prefix, userId, channelId, personalityId);
    return {
      keys: [
        conversationKey,
        buildConversationIndexKey(prefix, userId),
        // Without a hand-over the script touches none of these: the conversation's key stands in (same slot).
        handOver?.pendingKey ?? conversationKey,
        handOver?.summaryKey ?? conversationKey,
        handOver?.claimKey ?? conversationKey,
        handOver?.indexKey ?? conversationKey,
        guard?.once.key ?? conversationKey,
        counters[0]?.key ?? conversationKey,
        counters[1]?.key ?? conversationKey,
      ],
      args: [
        ttlSeconds * 1000,
        maxTurns,
        maxChars,
        `${buildConversationSuffix(channelId, personalityId)};${handOver?.suffix ?? ''}`,
        now(),
        maxIndexed,
        handOver?.maxPendingTurns ?? 0,
        handOver?.maxPendingChars ?? 0,
        handOver?.claimToken ?? '',
        handOver?.claimTtlMs ?? 0,
        guard?.once.field ?? '',
        counters[0] === undefined ? '' : buildCounterSpec(counters[0]),
        counters[1] === undefined ? '' : buildCounterSpec(counters[1]),
        ...entries,
      ],
      finish: async (reply) => {
        const [held, dropped, handedOver, pendingDropped, claimed, appended] = reply as [
          number,
          string[],
          number,
          number,
          number,
          number,
        ];
        // Same slot as the index; the script names no keys it was not given, so the deletes happen here.
        if (dropped.length > 0) {
          const keyPrefix = buildConversationKeyPrefix(prefix, userId);
          await this.redis.del(...dropped.map((suffix) => keyPrefix + suffix));
        }
        return { appended: appended === 1, held, handedOver, pendingDropped, claimed: claimed === 1 };
      },
    };
  }

  /** The user's conversations that still exist. */
  async listConversations(userId: string): Promise<ConversationRef[]> {
    const { prefix } = this.options;
    const suffixes = await fetchIndexMembers(this.redis, buildConversationIndexKey(prefix, userId));
    const refs = suffixes.flatMap((suffix) => {
      const separator = suffix.indexOf(':');
      return separator > 0
        ? [{ channelId: suffix.slice(0, separator), personalityId: suffix.slice(separator + 1) }]
        : [];
    });
    if (refs.length === 0) return [];
    // Same slot (the user's tag), so one transaction answers for all of them.
    const transaction = this.redis.multi();
    for (const ref of refs)
      transaction.exists(buildConversationKey(prefix, userId, ref.channelId, ref.personalityId));
    const replies = (await transaction.exec()) ?? [];
    return refs.filter((_, index) => replies[index]?.[1] === 1);
  }

  /**
   * Deletes the user's conversations in a channel and/or with a personality (neither given: all of them).
   * Returns how many were deleted.
   */
  async reset(userId: string, scope: ConversationScope): Promise<number> {
    return deleteConversations(this.redis, this.options.prefix, userId, scope);
  }

  /** Deletes every conversation of the user; returns how many. */
  async resetEverywhere(userId: string): Promise<number> {
    return this.reset(userId, {});
  }
}

/** Which of a user's conversations to delete: in a channel and/or with a personality (neither: all). */
export interface ConversationScope {
  readonly channelId?: string;
  readonly personalityId?: string;
}

/**
 * Deletes a user's conversations within `scope`, found through the user's index (no SCAN, so it works on a
 * Cluster); returns how many were deleted. The user-data eraser shares it.
 */
export async function deleteConversations(
  redis: RedisClient,
  prefix: string,
  userId: string,
  scope: ConversationScope,
): Promise<number> {
  const index = buildConversationIndexKey(prefix, userId);
  const suffixes = (await fetchIndexMembers(redis, index)).filter((suffix) => {
    const separator = suffix.indexOf(':');
    const channelId = suffix.slice(0, separator);
    const personalityId = suffix.slice(separator + 1);
    return (
      (scope.channelId === undefined || scope.channelId === channelId) &&
      (scope.personalityId === undefined || scope.personalityId === personalityId)
    );
  });
  if (suffixes.length === 0) return 0;
  const keys = suffixes.map((suffix) => buildConversationKeyPrefix(prefix, userId) + suffix);
  return runStateScript<number>(redis, StateScript.resetConversations, [index, ...keys], suffixes);
}
