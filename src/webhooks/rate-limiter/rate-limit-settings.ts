import type { BucketDefaults } from './bucket-state.js';
import type { ChannelBudget } from './channel-budget.js';

/**
 * What a fleet rate limiter enforces and where it keeps its state: the tunables the limiter takes (see
 * `DefaultFleetRateLimiterOptions`) and passes on to its repository.
 */
export interface RateLimitSettings {
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
  /**
   * How long an idle bucket's learned limit and window stay in Redis, ms (at least; up to half as long again, so its
   * TTL is renewed only now and then). @defaultValue 600_000
   */
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
}
