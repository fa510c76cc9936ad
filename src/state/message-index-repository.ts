import { z } from 'zod';
import type { RedisClient, ScriptCall } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildLegacyPostedMessageKey, buildPostedMessageKey, buildUserPostedKey } from './keys.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** Who posted a message as a personality, and for whom. */
export interface PostedMessage {
  readonly personalityId: string;
  /** The user whose message the personality answered. */
  readonly userId: string;
  readonly channelId: string;
  /**
   * The message the personality answered (in entries of regenerated answers written before jobs carried it:
   * the regenerating interaction). Absent in entries written before it was recorded.
   */
  readonly sourceMessageId?: string;
  /** Every message of the reply, in order, once a reply split into several is all posted. */
  readonly replyMessageIds?: readonly string[];
  /**
   * Set when the job that posted it was a link of a personality chain (it answered another personality): how
   * deep, and the human message that started the chain. Absent for an answer to a person (depth 0, its root
   * the answered message).
   */
  readonly chain?: PostedChain;
}

/** Where in a personality chain a posted message stands. */
export interface PostedChain {
  /** 1 = the answer to a personality that answered a person, and so on. */
  readonly depth: number;
  /** The human message that started the chain. */
  readonly rootMessageId: string;
}

const PostedMessageSchema = z.object({
  personalityId: z.string(),
  userId: z.string(),
  channelId: z.string(),
  sourceMessageId: z.string().optional(),
  replyMessageIds: z.array(z.string()).optional(),
  chain: z.object({ depth: z.number().int().min(1), rootMessageId: z.string() }).optional(),
});

/** The posted messages {@link MessageIndexRepository.indexPosted} records, and who they answered. */
export type PostedMessageEntry = PostedMessage & { readonly messageIds: readonly string[] };

/** The index step of {@link MessageIndexRepository.indexPosted}, for a script of the user's slot to run. */
export interface PostedIndexCall extends ScriptCall<void> {
  /** Sends the messages' entries (one script call in their channel's slot) in `batch`. */
  readonly sendEntries: (batch: RedisBatch) => Promise<void>;
}

/** One field of a hash to set, as {@link MessageIndexRepository.indexPosted} may with its index. */
export interface HashFieldWrite {
  readonly key: string;
  readonly field: string;
  readonly value: string;
}

/** Options for {@link MessageIndexRepository}. */
export interface MessageIndexRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a posted message stays answerable by replying to it, in ms. @defaultValue 604800000 (7 days) */
  ttlMs: number;
  /**
   * Entries (posted messages) per user kept: beyond it the oldest are deleted, so the per-user index that
   * `/forget-me` reads stays bounded (`USER_INDEX_MAX_ENTRIES`). @defaultValue 500
   */
  maxEntriesPerUser: number;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

export const DefaultMessageIndexRepositoryOptions = {
  ttlMs: 7 * 24 * 3600 * 1000,
  maxEntriesPerUser: 500,
  now: Date.now,
} as const satisfies Omit<Required<MessageIndexRepositoryOptions>, 'prefix'>;

/**
 * Message → the personality that posted it, so replying to a personality's message addresses it. One key per
 * message under its channel's tag (written in one call with the reply's lines in the channel's window),
 * expiring after `ttlMs`; each user's entries are listed in a bounded index under their tag (members
 * `<channelId>:<messageId>`), so {@link MessageIndexRepository.forgetUser} finds them.
 */
export class MessageIndexRepository {
  readonly options: Readonly<MessageIndexRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<MessageIndexRepositoryOptions, 'prefix'> & Partial<MessageIndexRepositoryOptions>,
  ) {
    this.options = { ...DefaultMessageIndexRepositoryOptions, ...options };
  }

  /**
   * Records every chunk a personality posted: one round trip, or a share of `batch`'s (one more, rarely, when
   * the user's index is over its cap and its oldest entries are deleted). With `alsoSet`, the index's script
   * also sets that field of a hash in the user's slot (a reply's delivery record).
   */
  async indexPosted(input: PostedMessageEntry, batch?: RedisBatch, alsoSet?: HashFieldWrite): Promise<void> {
    const call = this.buildIndexCall(input, alsoSet);
    const write = (target: RedisBatch) =>
      Promise.all([
        runStateScript<string[]>(this.redis, StateScript.indexUserPosted, call.keys, call.args, target),
        call.sendEntries(target),
      ]);
    const [popped] = await (batch === undefined ? RedisBatch.together(write) : write(batch));
    await call.finish(popped);
  }

  /**
   * {@link MessageIndexRepository.indexPosted} as a script call not yet sent, for a script of the user's slot
   * that writes the index (and `alsoSet`) among its own steps (state's includes/indexUserPosted, on these KEYS
   * and ARGV); `sendEntries` puts each message's own entry (its own slot) in the caller's batch, and `finish`
   * deletes the entries the index dropped.
   */
  buildIndexCall(input: PostedMessageEntry, alsoSet?: HashFieldWrite): PostedIndexCall {
    const { prefix, ttlMs, maxEntriesPerUser } = this.options;
    const indexKey = buildUserPostedKey(prefix, input.userId);
    const record = JSON.stringify({
      personalityId: input.personalityId,
      userId: input.userId,
      channelId: input.channelId,
      sourceMessageId: input.sourceMessageId,
      replyMessageIds: input.replyMessageIds,
      chain: input.chain,
    });
    return {
      // Without `alsoSet` the index's own key stands in (same slot, untouched).
      keys: [indexKey, alsoSet?.key ?? indexKey],
      args: [
        this.options.now(),
        ttlMs,
        maxEntriesPerUser,
        alsoSet?.field ?? '',
        alsoSet?.value ?? '',
        ...input.messageIds.map((messageId) => buildIndexMember(input.channelId, messageId)),
      ],
      sendEntries: async (batch) => {
        if (input.messageIds.length === 0) return;
        await runStateScript<number>(
          this.redis,
          StateScript.recordPosted,
          input.messageIds.map((messageId) => buildPostedMessageKey(prefix, input.channelId, messageId)),
          [record, ttlMs],
          batch,
        );
      },
      finish: async (reply) => {
        const popped = reply as string[];
        if (popped.length > 0) await this.deleteEntries(popped);
      },
    };
  }

  /** Deletes the posted-message entries of replies to `userId`, and their index; returns how many existed. */
  async forgetUser(userId: string): Promise<number> {
    const indexKey = buildUserPostedKey(this.options.prefix, userId);
    const members = await this.redis.zrange(indexKey, '0', '-1');
    const deleted = await this.deleteEntries(members);
    await this.redis.del(indexKey);
    return deleted;
  }

  /** Deletes the entries index members name: one DEL per channel (its entries share a slot). */
  private async deleteEntries(members: readonly string[]): Promise<number> {
    if (members.length === 0) return 0;
    const { prefix } = this.options;
    // Grouped by channel id; a legacy member (a bare message id) names an untagged key, grouped under that key
    // (never a channel id, even a thread's that is its starter message's id): alone in its slot.
    const keysBySlot = new Map<string, string[]>();
    for (const member of members) {
      const separator = member.indexOf(':');
      const legacyKey = separator < 0 ? buildLegacyPostedMessageKey(prefix, member) : null;
      const slot = legacyKey ?? member.slice(0, separator);
      const key = legacyKey ?? buildPostedMessageKey(prefix, slot, member.slice(separator + 1));
      keysBySlot.set(slot, [...(keysBySlot.get(slot) ?? []), key]);
    }
    const counts = await RedisBatch.together((batch) =>
      Promise.all(
        [...keysBySlot.values()].map((keys) =>
          RedisBatch.send<number>(this.redis, batch, keys[0]!, (pipeline) => pipeline.del(...keys)),
        ),
      ),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * The personality that posted `messageId` in `channelId`, or null (not ours, or older than the TTL). A miss
   * reads the untagged key of entries written before they were keyed by channel, on its own (a worker not yet
   * updated may still write one; both expire within the TTL).
   */
  async fetchPersonalityForMessage(
    channelId: string,
    messageId: string,
    batch?: RedisBatch,
  ): Promise<PostedMessage | null> {
    const key = buildPostedMessageKey(this.options.prefix, channelId, messageId);
    const raw =
      (await RedisBatch.read<string | null>(this.redis, batch, key, 'get')) ??
      (await this.redis.get(buildLegacyPostedMessageKey(this.options.prefix, messageId)));
    return parsePostedMessage(raw);
  }
}

/** The user's index member for one posted message: it names the message's entry. */
function buildIndexMember(channelId: string, messageId: string): string {
  return `${channelId}:${messageId}`;
}

function parsePostedMessage(raw: string | null): PostedMessage | null {
  if (raw === null) return null;
  try {
    const parsed = PostedMessageSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
