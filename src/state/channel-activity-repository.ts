import type { RedisClient } from '../redis/index.js';
import { buildChannelLatestKey } from './keys.js';

/** Options for {@link ChannelActivityRepository}. */
export interface ChannelActivityRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a channel's latest id is kept after its last message, in seconds. @defaultValue 86_400 */
  ttlSeconds: number;
}

/**
 * The newest message of each channel, as the gateway saw it. An answer posted after other messages came in
 * opens with a quote of its question (webhooks cannot make native replies).
 */
export class ChannelActivityRepository {
  readonly options: Readonly<ChannelActivityRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Partial<ChannelActivityRepositoryOptions> & Pick<ChannelActivityRepositoryOptions, 'prefix'>,
  ) {
    this.options = { ttlSeconds: 86_400, ...options };
  }

  /**
   * Records `messageId` as the channel's newest unless a newer one is already there (two gateway replicas,
   * or events of one channel handled out of order, should not move it back). Read-then-write, not atomic: a
   * lost race only decides whether one answer shows a quote line, which is not worth a script per message.
   */
  async recordLatest(channelId: string, messageId: string): Promise<void> {
    const key = buildChannelLatestKey(this.options.prefix, channelId);
    const current = await this.redis.get(key);
    if (current !== null && BigInt(current) >= BigInt(messageId)) return;
    await this.redis.set(key, messageId, 'EX', this.options.ttlSeconds);
  }

  async fetchLatest(channelId: string): Promise<string | null> {
    return this.redis.get(buildChannelLatestKey(this.options.prefix, channelId));
  }
}
