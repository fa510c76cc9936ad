import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildChannelLatestKey } from './keys.js';
import { runStateScript, StateScript } from './state-scripts.js';

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
   * or events of one channel handled out of order, should not move it back). One script, so one round trip:
   * the gateway calls this for every message, and a read-then-write pair was two of its ~10 per reply. With a
   * batch, a share of its round trip (the gateway's routing lookups).
   */
  async recordLatest(channelId: string, messageId: string, batch?: RedisBatch): Promise<void> {
    await runStateScript<number>(
      this.redis,
      StateScript.recordChannelLatest,
      [buildChannelLatestKey(this.options.prefix, channelId)],
      [messageId, this.options.ttlSeconds],
      batch,
    );
  }

  /** Forgets the newest message of channels that were deleted, in one round trip. */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    // Each key stands alone (its own slot on a Cluster): one command per key, sent together.
    await RedisBatch.together((batch) =>
      Promise.all(
        channelIds.map((channelId) => {
          const key = buildChannelLatestKey(this.options.prefix, channelId);
          return RedisBatch.send(this.redis, batch, key, (commands) => commands.unlink(key));
        }),
      ),
    );
  }

  async fetchLatest(channelId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildChannelLatestKey(this.options.prefix, channelId);
    return RedisBatch.send<string | null>(this.redis, batch, key, (pipeline) => pipeline.get(key));
  }
}
