import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../log/index.js';
import type { RedisClient } from '../../redis/index.js';
import { type BucketExpectation, bringsNews } from './bucket-expectation.js';
import { DefaultBucketDefaults } from './bucket-state.js';
import { ChannelBusyError } from './channel-busy-error.js';
import type { RateLimitObservation } from './rate-limit-headers.js';
import { type ChannelWaiter, RateLimitRepository, type SendSlot } from './rate-limit-repository.js';
import type { RateLimitSettings } from './rate-limit-settings.js';

/** Inputs of a {@link FleetRateLimiter} that have no sensible default. */
export interface FleetRateLimiterRequiredOptions {
  /** A `commands` connection (fails fast while Redis is down). */
  readonly redis: RedisClient;
  /** Logger the limiter writes to as it is (the caller's child, e.g. `module: 'webhooks'`). */
  readonly logger: Logger;
}

/** Tunables of a {@link FleetRateLimiter}; see {@link DefaultFleetRateLimiterOptions}. */
export interface FleetRateLimiterOptionalOptions extends RateLimitSettings {
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

/** The slot a request waited for: the candidate to send through, and what its bucket expects to hear back. */
export interface GrantedSendSlot {
  readonly id: string;
  readonly expectation: BucketExpectation;
}

/** What a response said about rate limits, for {@link FleetRateLimiter.recordResponse}. */
export interface RateLimitedResponse {
  readonly channelId: string;
  readonly threadId: string | null;
  readonly bucket: string;
  /** The slot the request was sent in (its candidate carried it). */
  readonly slot: GrantedSendSlot;
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
   * Reserves one send on the candidate that can send soonest, on its bucket and the fleet-wide limiter at once, and
   * waits for it; resolves to that candidate's slot (pass it to {@link FleetRateLimiter.recordResponse}), or to
   * null (nothing reserved) when `mayGrow` and every bucket is full. Our windows assume a request reaches Discord
   * within the margin of its slot; this side spends at most half of it, leaving the rest for the trip. While it
   * waited, another worker's response may have blocked the bucket (a request that reached Discord late opened its
   * window later than we reckoned: "empty until …") or the fleet (a global 429): a block ending within that half is
   * waited out, a longer one makes the slot stale, and so does waking later than that (a stalled event loop) or the
   * block check answering late. A stale slot is given back and a fresh one taken. Bounded: the last round sends
   * anyway, and a 429 would be handled like any other. A request with a `waiter` that its channel cannot take soon
   * (its budget spent, or paused by a shared 429) throws {@link ChannelBusyError} with nothing reserved.
   */
  waitForSendSlot(request: SendSlotRequest & { readonly mayGrow: false }): Promise<GrantedSendSlot>;
  waitForSendSlot(request: SendSlotRequest): Promise<GrantedSendSlot | null>;
  async waitForSendSlot(request: SendSlotRequest): Promise<GrantedSendSlot | null> {
    const { channelId, threadId, bucket, candidateIds, mayGrow } = request;
    const { now, marginMs } = this.options;
    const leewayMs = marginMs / 2;
    const use = { budgeted: request.countsInChannel === true, waiter: request.waiter ?? null };
    // A stale slot is given back by the next round's reservation, in the same call.
    let stale: SendSlot | undefined;
    for (let round = 1; ; round += 1) {
      const reservedAt = now();
      const slot = await this.#repository.reserveChannelSendSlot(
        channelId,
        bucket,
        candidateIds,
        reservedAt,
        mayGrow && round === 1,
        { ...use, retaking: round > 1, ...(stale === undefined ? {} : { giveBack: stale }) },
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
      const granted = { id: slot.webhookId, expectation: slot.expectation };
      if (round === MAX_SLOT_ROUNDS) return granted;
      let sendAt = now();
      if (waitMs > leewayMs && sendAt - slotAt <= leewayMs) {
        const blockMs = await this.#repository.fetchBlockMs(channelId, bucket, slot.webhookId, sendAt);
        // The check's own round trip makes the send later too.
        sendAt = Math.max(now(), sendAt + blockMs);
      }
      if (sendAt - slotAt <= leewayMs) {
        if (sendAt > now()) await sleep(sendAt - now());
        return granted;
      }
      this.#log.debug({ ...fields, lateMs: sendAt - slotAt }, 'send slot went stale; taking another');
      stale = slot;
    }
  }

  /**
   * Shares what a response said about rate limits with every worker, when it says something their shared state
   * does not hold yet: a 2xx that matches what the slot's reservation counted sends nothing. A failure here must
   * not turn a delivered request into an error (the caller would send it again), so it is logged, not thrown.
   */
  async recordResponse(response: RateLimitedResponse): Promise<void> {
    const { channelId, threadId, bucket, slot, rateLimit } = response;
    const { id } = slot;
    const now = this.options.now();
    try {
      if (!response.rateLimited) {
        if (bringsNews(slot.expectation, rateLimit, now, this.options.marginMs))
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
