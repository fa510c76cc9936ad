import type { RedisClient } from '../redis/index.js';
import { type BucketDefaults, type BucketState, parseBucketState } from './bucket-state.js';
import { buildBucketKey, buildGlobalRateKey } from './keys.js';
import type { RateLimitObservation } from './rate-limit-headers.js';
import { registerWebhookScripts, runWebhookScript } from './webhook-scripts.js';

/** Options of {@link RateLimitRepository}; all required (the webhook manager fills them from its own). */
export interface RateLimitRepositoryOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  /** Webhook executes per second, fleet-wide. */
  readonly globalRatePerSecond: number;
  /** Time a request may take from its reserved slot to Discord, ms; widens every window by this much. */
  readonly marginMs: number;
  /** Bucket shape assumed until Discord's headers tell. */
  readonly bucketDefaults: BucketDefaults;
  /** How long an idle bucket keeps what it learned, ms. */
  readonly idleTtlMs: number;
}

/** Discord's global limit counts requests per second. */
const GLOBAL_WINDOW_MS = 1000;

/**
 * The shared rate-limit state of webhook executes, in Redis: the fleet-wide limiter and each webhook's bucket.
 * Thin typed wrappers around `lua/*.lua`; every method that decides takes `now` (Unix ms) from the caller.
 */
export class RateLimitRepository {
  readonly #options: RateLimitRepositoryOptions;
  readonly #globalIntervalMs: number;

  constructor(options: RateLimitRepositoryOptions) {
    this.#options = options;
    // Spacing slots (window + margin) / rate apart keeps any window at `rate` even for sends up to `margin` late.
    this.#globalIntervalMs = (GLOBAL_WINDOW_MS + options.marginMs) / options.globalRatePerSecond;
    registerWebhookScripts(options.redis);
  }

  /** Reserves the next fleet-wide send slot; resolves to the ms to wait before sending. */
  reserveGlobalSlot(now: number): Promise<number> {
    const { redis, prefix } = this.#options;
    return runWebhookScript<number>(
      redis,
      'reserveGlobalWebhookSlot',
      [buildGlobalRateKey(prefix)],
      [now, this.#globalIntervalMs],
    );
  }

  /** After a global 429: no fleet-wide slot before `now + delayMs` (+ margin). Resolves `true` if that moved it. */
  async deferGlobalSlots(now: number, delayMs: number): Promise<boolean> {
    const { redis, prefix, marginMs } = this.#options;
    const moved = await runWebhookScript<number>(
      redis,
      'deferGlobalWebhookSlots',
      [buildGlobalRateKey(prefix)],
      [now, delayMs + marginMs],
    );
    return moved === 1;
  }

  /** The buckets of a channel's webhooks, in the order of `webhookIds` (one slot: the channel's hash tag). */
  async fetchBucketStates(
    channelId: string,
    bucket: string,
    webhookIds: readonly string[],
  ): Promise<BucketState[]> {
    const { redis, prefix, bucketDefaults } = this.#options;
    const hashes = await Promise.all(
      webhookIds.map((webhookId) => redis.hgetall(buildBucketKey(prefix, channelId, bucket, webhookId))),
    );
    return hashes.map((hash) => parseBucketState(hash, bucketDefaults));
  }

  /** Reserves a slot on one webhook's bucket; resolves to the ms to wait before sending. */
  reserveBucketSlot(channelId: string, bucket: string, webhookId: string, now: number): Promise<number> {
    const { redis, prefix, bucketDefaults, marginMs, idleTtlMs } = this.#options;
    return runWebhookScript<number>(
      redis,
      'reserveWebhookBucketSlot',
      [buildBucketKey(prefix, channelId, bucket, webhookId)],
      [now, bucketDefaults.limit, bucketDefaults.windowMs, marginMs, idleTtlMs],
    );
  }

  /**
   * How long the bucket is still blocked (ms from `now`; 0 when not): Discord said it is empty or answered 429
   * after this caller reserved its slot.
   */
  async fetchBucketBlockMs(
    channelId: string,
    bucket: string,
    webhookId: string,
    now: number,
  ): Promise<number> {
    const { redis, prefix } = this.#options;
    const blockedUntil = Number(
      await redis.hget(buildBucketKey(prefix, channelId, bucket, webhookId), 'blockedUntil'),
    );
    return Number.isFinite(blockedUntil) ? Math.max(0, blockedUntil - now) : 0;
  }

  /**
   * Records a response's rate-limit headers on one webhook's bucket; `rateLimited` when it was a 429 on this
   * bucket (its `retryAfterMs` then blocks the bucket). Resolves to the bucket's blockedUntil (0: not blocked).
   */
  recordBucketResponse(
    channelId: string,
    bucket: string,
    webhookId: string,
    now: number,
    observation: RateLimitObservation,
    rateLimited: boolean,
  ): Promise<number> {
    const { redis, prefix, bucketDefaults, marginMs, idleTtlMs } = this.#options;
    return runWebhookScript<number>(
      redis,
      'recordWebhookBucketResponse',
      [buildBucketKey(prefix, channelId, bucket, webhookId)],
      [
        now,
        observation.limit ?? -1,
        observation.remaining ?? -1,
        observation.resetAfterMs ?? -1,
        rateLimited ? (observation.retryAfterMs ?? observation.resetAfterMs ?? 0) : -1,
        marginMs,
        idleTtlMs,
        bucketDefaults.windowMs,
      ],
    );
  }
}
