import { buildAdmittedKey, buildPendingKey, buildReplyJobId } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildCancelChannel, buildDeletedMessageKey, buildEditsKey } from './keys.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** Options for {@link MessageEventRepository}. */
export interface MessageEventRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a deletion is remembered (longer than any job waits), in ms. @defaultValue 86400000 */
  deletedTtlMs: number;
  /** How long a user's edits are remembered after their latest one, in ms. @defaultValue 86400000 */
  editTtlMs: number;
}

export const DefaultMessageEventRepositoryOptions = {
  deletedTtlMs: 24 * 3600 * 1000,
  editTtlMs: 24 * 3600 * 1000,
} as const satisfies Omit<Required<MessageEventRepositoryOptions>, 'prefix'>;

/** What a reply job id holds before and after its message id, for the edit script to match job ids. */
const JOB_ID_AROUND_MESSAGE_ID = buildReplyJobId('\0', '').split('\0') as [string, string];

/**
 * What happened to a user's message after its job was queued: deleted (cancel the reply) or edited (answer
 * the new text). The durable marks survive a worker restart; {@link publishDeleted} additionally aborts an AI
 * call already in flight (workers subscribe to {@link buildCancelChannel}). Edits are private text: only those
 * of messages that produced a job are kept, under the author's tag, so `/forget-me` erases them.
 */
export class MessageEventRepository {
  readonly options: Readonly<MessageEventRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<MessageEventRepositoryOptions, 'prefix'> & Partial<MessageEventRepositoryOptions>,
  ) {
    this.options = { ...DefaultMessageEventRepositoryOptions, ...options };
  }

  /** Marks `messageId`, written in `channelId`, deleted: its replies not yet posted are cancelled. */
  async markDeleted(channelId: string, messageId: string): Promise<void> {
    await this.redis.set(
      buildDeletedMessageKey(this.options.prefix, channelId, messageId),
      '1',
      'PX',
      this.options.deletedTtlMs,
    );
  }

  /**
   * Whether `messageId`, written in `channelId`, was deleted. A read in the channel's slot: in a batch, it shares
   * one call with the batch's other reads of that channel.
   */
  async isDeleted(channelId: string, messageId: string, batch?: RedisBatch): Promise<boolean> {
    const key = buildDeletedMessageKey(this.options.prefix, channelId, messageId);
    return (await RedisBatch.read<number>(this.redis, batch, key, 'exists')) === 1;
  }

  /** Tells every subscribed worker that `messageId` was deleted; returns how many received it. */
  async publishDeleted(messageId: string): Promise<number> {
    return this.redis.publish(buildCancelChannel(this.options.prefix), messageId);
  }

  /**
   * Remembers the latest text of an edited message (already stripped of addressing mentions) when the
   * message produced a reply job: one still pending, or admitted within the admission's duplicate window.
   * Returns whether it was kept; edits of any other message are never stored.
   */
  async recordEdit(authorId: string, messageId: string, content: string): Promise<boolean> {
    const { prefix, editTtlMs } = this.options;
    const kept = await runStateScript<number>(
      this.redis,
      StateScript.recordEdit,
      [
        buildPendingKey(prefix, authorId),
        buildAdmittedKey(prefix, authorId),
        buildEditsKey(prefix, authorId),
      ],
      [messageId, content, editTtlMs, ...JOB_ID_AROUND_MESSAGE_ID],
    );
    return kept === 1;
  }

  /** The latest edited text of the author's message, or null when it was not edited (or not kept). */
  async fetchEdit(authorId: string, messageId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildEditsKey(this.options.prefix, authorId);
    return RedisBatch.read<string | null>(this.redis, batch, key, 'hget', messageId);
  }
}
