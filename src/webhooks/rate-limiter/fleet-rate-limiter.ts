import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log/index.js';
import type { RedisClient } from '../../redis/index.js';
import { type BucketDefaults, DefaultBucketDefaults } from './bucket-state.js';
import type { ChannelBudget } from './channel-budget.js';
import { ChannelBusyError } from './channel-busy-error.js';
import type { RateLimitObservation } from './rate-limit-headers.js';
import { type ChannelWaiter, RateLimitRepository } from './rate-limit-repository.js';

/** Inputs of a {@link FleetRateLimiter} that have no sensible default. */
export interface FleetRateLimiterRequiredOptions {
  /** A `commands` connection (fails fast while Redis is down). */
  readonly redis: RedisClient;
  /** Logger the limiter writes to as it is (the caller's child, e.g. `module: 'webhooks'`). */
  readonly logger: Logger;
}

/** Tunables of a {@link FleetRateLimiter}; see {@link DefaultFleetRateLimiterOptions}. */
export interface FleetRateLimiterOptionalOptions {
  /** Redis key prefix (`Config['redis'].prefix`). @defaultValue 'chorus' */
  readonly prefix: string;
  /**
   * Names this limiter in its Redis keys: limiters of different Discord limits (webhook requests, counted per IP;
   * bot-token requests, counted per bot) must not share state. @defaultValue 'webhooks'
   */
  readonly keyspace: string;
  /**
   * Requests per second for the whole fleet. Sends are spaced `(1000 + marginMs) / rate` ms apart, so the default
   * sends at most ~48.5/s. @defaultValue 50
   */
  readonly globalRatePerSecond: number;
  /**
   * Time a request may take from its reserved slot to Discord, in ms (timer lag, network jitter, clock skew
   * between worker hosts: slots are Unix ms from `now`); every window is widened by it so late sends never
   * crowd one of Discord's windows. Half is the caller's: a request that would leave later than that after its
   * slot takes a fresh one; the other half is the trip. @defaultValue 30
   */
  readonly marginMs: number;
  /** A bucket's shape until Discord's headers tell. @defaultValue 5 per 2000 ms */
  readonly bucketDefaults: BucketDefaults;
  /** How long an idle bucket's learned limit and window stay in Redis, ms. @defaultValue 600_000 */
  readonly idleTtlMs: number;
  /**
   * Sends one channel takes in any window over all its webhooks, for requests that count in the channel
   * (`countsInChannel`); null for no budget (a limiter of requests Discord does not count per channel).
   * @defaultValue null
   */
  readonly channelBudget: ChannelBudget | null;
  /**
   * Longest wait for a busy channel a request with a `waiter` spends in place, ms; past it the request throws
   * {@link ChannelBusyError} and keeps its turn in the channel's queue. @defaultValue 2000
   */
  readonly channelDeferAfterMs: number;
  /**
   * How long past its turn a waiter that has not come back keeps its place in the channel's queue, ms (a
   * delayed job may be picked up late by a busy fleet; one that never comes back holds a place this long).
   * @defaultValue 15_000
   */
  readonly channelWaiterGraceMs: number;
  /**
   * How late a channel's send may reach Discord after its slot, ms, on top of `marginMs`: no header tells how
   * Discord counted a channel's sends, and one late send lets the send a window after it arrive within the same
   * window (a 40 s penalty). A wide margin costs little against a 60 s window (1 s: 1.6 %). @defaultValue 1000
   */
  readonly channelMarginMs: number;
  /** Clock, Unix ms. @defaultValue Date.now */
  readonly now: () => number;
}

/** Every option of a {@link FleetRateLimiter}. */
export type FleetRateLimiterOptions = FleetRateLimiterRequiredOptions & FleetRateLimiterOptionalOptions;

/** Defaults of {@link FleetRateLimiterOptionalOptions}. */
export const DefaultFleetRateLimiterOptions = {
  prefix: 'chorus',
  keyspace: 'webhooks',
  globalRatePerSecond: 50,
  marginMs: 30,
  bucketDefaults: DefaultBucketDefaults,
  idleTtlMs: 600_000,
  channelBudget: null,
  channelDeferAfterMs: 2000,
  channelWaiterGraceMs: 15_000,
  channelMarginMs: 1000,
  now: () => Date.now(),
} as const satisfies Required<FleetRateLimiterOptionalOptions>;

/** One request waiting for a send slot. */
export interface SendSlotRequest {
  /** The channel whose bucket the request counts against (a thread's parent for thread posts). */
  readonly channelId: string;
  /** The thread the request posts into, or null; for logs. */
  readonly threadId: string | null;
  /** The route's bucket name (e.g. `execute`, `message`). */
  readonly bucket: string;
  /**
   * Major parameters that may carry the request (a channel's webhook pool, in order of preference); the limiter
   * picks the one that can send soonest.
   */
  readonly candidateIds: readonly string[];
  /** When true and every candidate's bucket is full, resolve to null without reserving (the pool should grow). */
  readonly mayGrow: boolean;
  /** The request posts a message in the channel: it takes a slot of the channel's budget. @defaultValue false */
  readonly countsInChannel?: boolean;
  /**
   * Whose post this is, to queue it fairly for a busy channel's slots and throw {@link ChannelBusyError} rather
   * than wait longer than `channelDeferAfterMs` in place. Without one the request waits in place however long.
   */
  readonly waiter?: ChannelWaiter;
}

/** What a response said about rate limits, for {@link FleetRateLimiter.recordResponse}. */
export interface RateLimitedResponse {
  readonly channelId: string;
  readonly threadId: string | null;
  readonly bucket: string;
  /** The candidate that carried the request. */
  readonly id: string;
  readonly rateLimit: RateLimitObservation;
  /** Discord answered 429. */
  readonly rateLimited: boolean;
}

/** Counters of a {@link FleetRateLimiter}. */
export interface FleetRateLimiterStats {
  /** 429s Discord answered (all scopes). */
  readonly rateLimited: number;
  /** Among them, global ones. */
  readonly globalRateLimited: number;
}

/** Slots a request takes (the first, and fresh ones after it went stale) before it sends anyway. */
const MAX_SLOT_ROUNDS = 3;

/**
 * Spaces Discord requests across every worker through Redis (as `@discordjs/rest` keeps its buckets apart from
 * its requests): a fleet-wide limiter every request passes, and per-bucket state for each major parameter, both
 * reserved in one atomic step and both fed by what Discord's responses say.
 */
export class FleetRateLimiter {
  readonly options: Readonly<FleetRateLimiterOptions>;
  readonly #log: Logger;
  readonly #repository: RateLimitRepository;
  readonly #stats = { rateLimited: 0, globalRateLimited: 0 };

  constructor(options: FleetRateLimiterRequiredOptions & Partial<FleetRateLimiterOptionalOptions>) {
    this.options = { ...DefaultFleetRateLimiterOptions, ...options };
    this.#log = this.options.logger;
    const { redis, prefix, keyspace, globalRatePerSecond, marginMs, bucketDefaults, idleTtlMs } =
      this.options;
    this.#repository = new RateLimitRepository({
      redis,
      prefix,
      keyspace,
      globalRatePerSecond,
      marginMs,
      bucketDefaults,
      idleTtlMs,
      channelBudget: this.options.channelBudget,
      channelDeferAfterMs: this.options.channelDeferAfterMs,
      channelWaiterGraceMs: this.options.channelWaiterGraceMs,
      channelMarginMs: this.options.channelMarginMs,
    });
  }

  /** A copy of the counters. */
  stats(): FleetRateLimiterStats {
    return { ...this.#stats };
  }

  /**
   * Reserves one send on the candidate that can send soonest, on its bucket and the fleet-wide limiter at once,
   * and waits for it; resolves to that candidate's id, or to null (nothing reserved) when `mayGrow` and every
   * bucket is full. Our windows assume a request reaches Discord within the margin of its slot; this side spends
   * at most half of it, leaving the rest for the trip. While it waited, another worker's response may have
   * blocked the bucket (a request that reached Discord late opened its window later than we reckoned: "empty
   * until …") or the fleet (a global 429): a block ending within that half is waited out, a longer one makes the
   * slot stale, and so does waking later than that (a stalled event loop) or the block check answering late. A
   * stale slot is given back and a fresh one taken. Bounded: the last round sends anyway, and a 429 would be
   * handled like any other. A request with a `waiter` that its channel cannot take soon (its budget spent, or
   * paused by a shared 429) throws {@link ChannelBusyError} with nothing reserved.
   */
  async waitForSendSlot(request: SendSlotRequest): Promise<string | null> {
    const { channelId, threadId, bucket, candidateIds, mayGrow } = request;
    const { now, marginMs } = this.options;
    const leewayMs = marginMs / 2;
    const use = { budgeted: request.countsInChannel === true, waiter: request.waiter ?? null };
    for (let round = 1; ; round += 1) {
      const reservedAt = now();
      const slot = await this.#repository.reserveChannelSendSlot(
        channelId,
        bucket,
        candidateIds,
        reservedAt,
        mayGrow && round === 1,
        { ...use, retaking: round > 1 },
      );
      if (slot === null) return null;
      if (!('webhookId' in slot)) {
        throw new ChannelBusyError({
          channelId,
          threadId,
          retryAt: reservedAt + slot.waitMs,
          reason: slot.blocked ? 'blocked' : 'budget',
          maybeSent: false,
        });
      }
      const fields = { channelId, threadId, webhookId: slot.webhookId, bucket };
      const slotAt = reservedAt + slot.waitMs;
      const waitMs = slotAt - now();
      if (waitMs > 0) {
        this.#log.debug({ ...fields, retryAfterMs: waitMs }, 'waiting for a send slot');
        await sleep(waitMs);
      }
      if (round === MAX_SLOT_ROUNDS) return slot.webhookId;
      let sendAt = now();
      if (waitMs > leewayMs && sendAt - slotAt <= leewayMs) {
        const blockMs = await this.#repository.fetchBlockMs(channelId, bucket, slot.webhookId, sendAt);
        // The check's own round trip makes the send later too.
        sendAt = Math.max(now(), sendAt + blockMs);
      }
      if (sendAt - slotAt <= leewayMs) {
        if (sendAt > now()) await sleep(sendAt - now());
        return slot.webhookId;
      }
      this.#log.debug({ ...fields, lateMs: sendAt - slotAt }, 'send slot went stale; taking another');
      await this.#repository.releaseSendSlot(channelId, bucket, slot);
    }
  }

  /**
   * Shares what a response said about rate limits with every worker. A failure here must not turn a delivered
   * request into an error (the caller would send it again), so it is logged, not thrown.
   */
  async recordResponse(response: RateLimitedResponse): Promise<void> {
    const { channelId, threadId, bucket, id, rateLimit } = response;
    const now = this.options.now();
    try {
      if (!response.rateLimited) {
        await this.#repository.recordBucketResponse(channelId, bucket, id, now, rateLimit, false);
        return;
      }
      this.#stats.rateLimited += 1;
      const retryAfterMs = rateLimit.retryAfterMs ?? rateLimit.resetAfterMs ?? 1000;
      const fields = { channelId, threadId, webhookId: id, discordBucket: rateLimit.bucket, retryAfterMs };
      if (rateLimit.global || rateLimit.scope === 'global') {
        this.#stats.globalRateLimited += 1;
        this.#log.warn(fields, 'global rate limit hit; every worker waits');
        await this.#repository.deferGlobalSlots(now, retryAfterMs);
        return;
      }
      if (rateLimit.scope === 'shared') {
        // A shared limit is the channel's, whichever webhook writes: pause the channel, not the webhook's bucket
        // (its headers still count) and not other channels.
        this.#log.warn(fields, 'channel paused after a shared rate limit');
        await this.#repository.recordBucketResponse(channelId, bucket, id, now, rateLimit, false);
        await this.#repository.blockChannel(channelId, now, retryAfterMs);
        return;
      }
      this.#log.warn({ ...fields, scope: rateLimit.scope }, 'webhook rate limited');
      await this.#repository.recordBucketResponse(channelId, bucket, id, now, rateLimit, true);
    } catch (error) {
      this.#log.error({ channelId, threadId, webhookId: id, err: error }, 'rate-limit state not saved');
    }
  }
}
