import { RedisBatch, type RedisClient } from '../../redis/index.js';
import type { BucketExpectation } from './bucket-expectation.js';
import {
  buildBucketKey,
  buildChannelKey,
  buildChannelWaiterDeadlinesKey,
  buildChannelWaitersKey,
  buildGlobalBlockKey,
  buildGlobalSlotsKey,
} from './keys.js';
import type { RateLimitObservation } from './rate-limit-headers.js';
import { registerRateLimitScripts, runRateLimitScript } from './rate-limit-scripts.js';
import type { RateLimitSettings } from './rate-limit-settings.js';

/** Options of {@link RateLimitRepository}; all required (the fleet rate limiter fills them from its own). */
export interface RateLimitRepositoryOptions extends RateLimitSettings {
  readonly redis: RedisClient;
}

/** A post queued for a busy channel's slots: whose it is, and its name among the channel's waiters. */
export interface ChannelWaiter {
  readonly userId: string;
  /** Unique among the user's posts (e.g. the job and chunk). */
  readonly requestId: string;
}

/** How a send counts against its channel. */
export interface ChannelUse {
  /** The send is a message in the channel (an execute): it takes one of the channel's budgeted slots. */
  readonly budgeted: boolean;
  /** Queue for the channel's slots and come back, rather than wait long in place; null: wait in place. */
  readonly waiter: ChannelWaiter | null;
  /**
   * The waiter retakes a slot it had and gave back (it woke too late to use it): it had its turn, so it does not
   * queue behind the channel's other waiters while the channel has room. @defaultValue false
   */
  readonly retaking?: boolean;
  /**
   * A slot this request reserved before and could not use (it went stale): given back by the same call, before
   * the new reservation. @defaultValue none
   */
  readonly giveBack?: SendSlot;
}

/** The channel cannot take the waiter's send soon: it queued, and comes back after `waitMs`. */
export interface ChannelTurn {
  readonly waitMs: number;
  /** The channel is paused after a shared 429 (else its budget is spent for now). */
  readonly blocked: boolean;
}

/** A send time reserved by {@link RateLimitRepository.reserveSendSlot}. */
export interface SendSlot {
  /** The webhook to send through. */
  readonly webhookId: string;
  /** Ms to wait before sending (0 = now). */
  readonly waitMs: number;
  /** The reserved time as stored, for {@link RateLimitRepository.releaseSendSlot}. */
  readonly token: string;
  /** The webhook's bucket as the reservation left it, to check the response against. */
  readonly expectation: BucketExpectation;
}

/** Discord's global limit counts requests per second. */
const GLOBAL_WINDOW_MS = 1000;

/**
 * The shared rate-limit state of Discord requests, in Redis: the fleet-wide limiter and each webhook's buckets,
 * all in the `{rate}` slot. Thin typed wrappers around `lua/*.lua`; every method that decides takes `now`
 * (Unix ms) from the caller.
 */
export class RateLimitRepository {
  readonly #options: RateLimitRepositoryOptions;
  readonly #globalIntervalMs: number;

  constructor(options: RateLimitRepositoryOptions) {
    this.#options = options;
    // Spacing slots (window + margin) / rate apart keeps any window at `rate` even for sends up to `margin` late.
    this.#globalIntervalMs = (GLOBAL_WINDOW_MS + options.marginMs) / options.globalRatePerSecond;
    registerRateLimitScripts(options.redis);
  }

  /**
   * Picks the webhook among `webhookIds` (a channel's pool, in order of preference) that can send soonest and
   * reserves that time on its bucket and the fleet-wide limiter at once. With `mayGrow`, resolves to null
   * without reserving when every bucket is full or blocked: the pool should grow first.
   */
  async reserveSendSlot(
    channelId: string,
    bucket: string,
    webhookIds: readonly string[],
    now: number,
    mayGrow: boolean,
  ): Promise<SendSlot | null> {
    const reserved = await this.reserveChannelSendSlot(channelId, bucket, webhookIds, now, mayGrow, {
      budgeted: false,
      waiter: null,
    });
    return reserved === null || 'webhookId' in reserved ? reserved : null;
  }

  /**
   * {@link RateLimitRepository.reserveSendSlot}, also against the channel's budget when `use.budgeted` and
   * a shared 429's block of the channel. A waiter that the channel cannot take within `channelDeferAfterMs`
   * reserves nothing: it keeps its turn in the channel's queue and gets a {@link ChannelTurn}.
   */
  async reserveChannelSendSlot(
    channelId: string,
    bucket: string,
    webhookIds: readonly string[],
    now: number,
    mayGrow: boolean,
    use: ChannelUse,
  ): Promise<SendSlot | ChannelTurn | null> {
    const { redis, prefix, keyspace, bucketDefaults, marginMs, idleTtlMs, channelBudget } = this.#options;
    const budget = use.budgeted ? channelBudget : null;
    const { waiter, giveBack } = use;
    // The slot given back is forgotten by the reservation's script, on its bucket among the pool's keys.
    const giveBackAt = giveBack === undefined ? -1 : webhookIds.indexOf(giveBack.webhookId);
    if (giveBack !== undefined && giveBackAt < 0) await this.releaseSendSlot(channelId, bucket, giveBack);
    const [chosen, waitMs, token, limit, windowMs, slots] = await runRateLimitScript<
      [number, number, string, number?, number?, string?]
    >(
      redis,
      'reserveWebhookSendSlot',
      [
        buildGlobalSlotsKey(prefix, keyspace),
        buildGlobalBlockKey(prefix, keyspace),
        buildChannelKey(prefix, keyspace, channelId),
        buildChannelWaitersKey(prefix, keyspace, channelId),
        buildChannelWaiterDeadlinesKey(prefix, keyspace, channelId),
        ...webhookIds.map((webhookId) => buildBucketKey(prefix, keyspace, channelId, bucket, webhookId)),
      ],
      [
        now,
        this.#globalIntervalMs,
        bucketDefaults.limit,
        bucketDefaults.windowMs,
        marginMs,
        idleTtlMs,
        mayGrow ? 1 : 0,
        budget?.limit ?? 0,
        budget === null ? 0 : budget.windowMs + this.#options.channelMarginMs,
        this.#options.channelDeferAfterMs,
        waiter === null ? '' : `${waiter.userId}:${waiter.requestId}`,
        waiter?.userId ?? '',
        this.#options.channelWaiterGraceMs,
        use.retaking === true ? 1 : 0,
        giveBack === undefined || giveBackAt < 0 ? '' : giveBack.token,
        giveBackAt + 1,
      ],
    );
    if (chosen < 0) return { waitMs, blocked: chosen === -2 };
    if (chosen === 0) return null;
    // A reservation returns all six fields; the others, three.
    const expectation = { limit: limit!, windowMs: windowMs!, slots: slots!.split(',').map(Number) };
    return { webhookId: webhookIds[chosen - 1]!, waitMs, token, expectation };
  }

  /**
   * Gives back a reserved send that went unused (woke too late, or its bucket was blocked meanwhile), so it no
   * longer counts against its bucket's window or the fleet-wide limiter.
   */
  async releaseSendSlot(channelId: string, bucket: string, slot: SendSlot): Promise<void> {
    const { redis, prefix, keyspace } = this.#options;
    await runRateLimitScript<number>(
      redis,
      'releaseWebhookSendSlot',
      [
        buildGlobalSlotsKey(prefix, keyspace),
        buildBucketKey(prefix, keyspace, channelId, bucket, slot.webhookId),
        buildChannelKey(prefix, keyspace, channelId),
      ],
      [slot.token],
    );
  }

  /** After a global 429: no fleet-wide slot before `now + delayMs` (+ margin). Resolves `true` if that moved it. */
  async deferGlobalSlots(now: number, delayMs: number): Promise<boolean> {
    const { redis, prefix, keyspace, marginMs } = this.#options;
    const moved = await runRateLimitScript<number>(
      redis,
      'deferGlobalWebhookSlots',
      [buildGlobalBlockKey(prefix, keyspace)],
      [now, delayMs + marginMs],
    );
    return moved === 1;
  }

  /** After a shared 429 in a channel: none of its webhooks sends before `now + delayMs` (+ margin). */
  async blockChannel(channelId: string, now: number, delayMs: number): Promise<void> {
    const { redis, prefix, keyspace, marginMs, idleTtlMs } = this.#options;
    await runRateLimitScript<number>(
      redis,
      'blockWebhookChannel',
      [buildChannelKey(prefix, keyspace, channelId)],
      [now, delayMs + marginMs, idleTtlMs],
    );
  }

  /**
   * How long a request must still hold off (ms from `now`; 0 when not): its bucket, its channel or the whole
   * fleet became blocked after it reserved its slot (Discord said the bucket is empty, or answered 429). One
   * command.
   */
  async fetchBlockMs(channelId: string, bucket: string, webhookId: string, now: number): Promise<number> {
    const { redis, prefix, keyspace } = this.#options;
    const bucketKey = buildBucketKey(prefix, keyspace, channelId, bucket, webhookId);
    const channelKey = buildChannelKey(prefix, keyspace, channelId);
    const globalBlockKey = buildGlobalBlockKey(prefix, keyspace);
    // Reads of one slot ({rate}) are folded into one readSlot call.
    const blocks = await RedisBatch.together((batch) =>
      Promise.all([
        RedisBatch.read<string | null>(redis, batch, bucketKey, 'hget', 'blockedUntil'),
        RedisBatch.read<string | null>(redis, batch, channelKey, 'hget', 'blockedUntil'),
        RedisBatch.read<string | null>(redis, batch, globalBlockKey, 'get'),
      ]),
    );
    const blockedUntil = Math.max(0, ...blocks.map(Number).filter(Number.isFinite));
    return Math.max(0, blockedUntil - now);
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
    const { redis, prefix, keyspace, bucketDefaults, marginMs, idleTtlMs } = this.#options;
    return runRateLimitScript<number>(
      redis,
      'recordWebhookBucketResponse',
      [buildBucketKey(prefix, keyspace, channelId, bucket, webhookId)],
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
