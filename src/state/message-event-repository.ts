import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildCancelChannel, buildDeletedMessageKey, buildEditedMessageKey } from './keys.js';

/** Options for {@link MessageEventRepository}. */
export interface MessageEventRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a deletion is remembered (longer than any job waits), in ms. @defaultValue 86400000 */
  deletedTtlMs: number;
  /** How long an edit is remembered, in ms. @defaultValue 86400000 */
  editTtlMs: number;
}

export const DefaultMessageEventRepositoryOptions = {
  deletedTtlMs: 24 * 3600 * 1000,
  editTtlMs: 24 * 3600 * 1000,
} as const satisfies Omit<Required<MessageEventRepositoryOptions>, 'prefix'>;

/**
 * What happened to a user's message after its job was queued: deleted (cancel the reply) or edited (answer
 * the new text). The durable marks survive a worker restart; {@link publishDeleted} additionally aborts an AI
 * call already in flight (workers subscribe to {@link buildCancelChannel}).
 */
export class MessageEventRepository {
  readonly options: Readonly<MessageEventRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<MessageEventRepositoryOptions, 'prefix'> & Partial<MessageEventRepositoryOptions>,
  ) {
    this.options = { ...DefaultMessageEventRepositoryOptions, ...options };
  }

  async markDeleted(messageId: string): Promise<void> {
    await this.redis.set(
      buildDeletedMessageKey(this.options.prefix, messageId),
      '1',
      'PX',
      this.options.deletedTtlMs,
    );
  }

  async isDeleted(messageId: string, batch?: RedisBatch): Promise<boolean> {
    const key = buildDeletedMessageKey(this.options.prefix, messageId);
    return (await RedisBatch.send<number>(this.redis, batch, key, (pipeline) => pipeline.exists(key))) === 1;
  }

  /** Tells every subscribed worker that `messageId` was deleted; returns how many received it. */
  async publishDeleted(messageId: string): Promise<number> {
    return this.redis.publish(buildCancelChannel(this.options.prefix), messageId);
  }

  /** Remembers the latest text of an edited message (already stripped of addressing mentions). */
  async recordEdit(messageId: string, content: string): Promise<void> {
    await this.redis.set(
      buildEditedMessageKey(this.options.prefix, messageId),
      content,
      'PX',
      this.options.editTtlMs,
    );
  }

  /** The latest edited text, or null when the message was not edited. */
  async fetchEdit(messageId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildEditedMessageKey(this.options.prefix, messageId);
    return RedisBatch.send<string | null>(this.redis, batch, key, (pipeline) => pipeline.get(key));
  }
}
