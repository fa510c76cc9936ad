import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildChannelLatestHumanKey, buildChannelLatestKey } from './keys.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** Options for {@link ChannelActivityRepository}. */
export interface ChannelActivityRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a channel's latest id is kept after its last message, in seconds. @defaultValue 86_400 */
  ttlSeconds: number;
}

/**
 * A message to record as its channel's newest (and newest human one when `human`), for a script in the channel's
 * slot to write along with its own work (the channel window's append): {@link ChannelActivityRepository.describeLatest}.
 */
export interface ChannelLatestRecord {
  /** The channel's newest-message key, then its newest-human-message key (both under the channel's hash tag). */
  readonly keys: readonly [latest: string, latestHuman: string];
  readonly messageId: string;
  readonly ttlSeconds: number;
  readonly human: boolean;
}

/**
 * The newest message of each channel, as the gateway saw it: an answer posted after other messages came in
 * opens with a quote of its question (webhooks cannot make native replies). And the newest a person wrote: a
 * personality chain's link not started yet stops when someone spoke after the message it would answer.
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
   * or events of one channel handled out of order, should not move it back), and, when a person wrote it
   * (`human`), as the channel's newest human message under the same rule. One script, so one round trip:
   * the gateway calls this for every message, and a read-then-write pair was two of its ~10 per reply. With a
   * batch, a share of its round trip (the gateway's routing lookups).
   */
  async recordLatest(
    channelId: string,
    messageId: string,
    batch?: RedisBatch,
    options: { readonly human: boolean } = { human: false },
  ): Promise<void> {
    const { prefix, ttlSeconds } = this.options;
    await runStateScript<number>(
      this.redis,
      StateScript.recordChannelLatest,
      [buildChannelLatestKey(prefix, channelId), buildChannelLatestHumanKey(prefix, channelId)],
      [messageId, ttlSeconds, options.human ? 1 : 0],
      batch,
    );
  }

  /**
   * What {@link recordLatest} would write, for a script of the channel's slot to write instead (the gateway's
   * window append records a message it keeps that way: one script for both).
   */
  describeLatest(
    channelId: string,
    messageId: string,
    options: { readonly human: boolean },
  ): ChannelLatestRecord {
    const { prefix, ttlSeconds } = this.options;
    return {
      keys: [buildChannelLatestKey(prefix, channelId), buildChannelLatestHumanKey(prefix, channelId)],
      messageId,
      ttlSeconds,
      human: options.human,
    };
  }

  /** Forgets the activity records of channels that were deleted, in one round trip. */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    // Each channel's keys share its slot (a Cluster routes one UNLINK of them): one command per channel.
    await RedisBatch.together((batch) =>
      Promise.all(
        channelIds.map((channelId) => {
          const keys = [
            buildChannelLatestKey(this.options.prefix, channelId),
            buildChannelLatestHumanKey(this.options.prefix, channelId),
          ];
          return RedisBatch.send(this.redis, batch, keys[0]!, (commands) => commands.unlink(...keys));
        }),
      ),
    );
  }

  /**
   * The newest message of the channel (as the gateway saw it), or null. A read in the channel's slot: in a batch,
   * it shares one call with the batch's other reads of that channel (a deletion mark's).
   */
  async fetchLatest(channelId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildChannelLatestKey(this.options.prefix, channelId);
    return RedisBatch.read<string | null>(this.redis, batch, key, 'get');
  }

  /** The newest message a person wrote in the channel (as the gateway saw it), or null; read as {@link fetchLatest}. */
  async fetchLatestHuman(channelId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildChannelLatestHumanKey(this.options.prefix, channelId);
    return RedisBatch.read<string | null>(this.redis, batch, key, 'get');
  }
}
