import type { REST } from '@discordjs/rest';
import type { Logger } from '../log/index.js';
import type { RedisClient } from '../redis/index.js';
import {
  type BucketDefaults,
  type ChannelBudget,
  DefaultFleetRateLimiterOptions,
  DiscordChannelBudget,
} from './rate-limiter/index.js';

/** Inputs of a `WebhookManager` that have no sensible default. */
export interface WebhookManagerRequiredOptions {
  /** `@discordjs/rest` client with the bot token set and `api: config.discord.apiUrl`. */
  readonly rest: REST;
  /** A `commands` connection (fails fast while Redis is down). */
  readonly redis: RedisClient;
  /** Our application id (`Config['discord'].applicationId`): webhooks it owns are ours to reuse. */
  readonly applicationId: string;
  /** Parent logger; the manager logs under `module: 'webhooks'`. */
  readonly logger: Logger;
  /** `Config['encryptionKey']`: seals webhook tokens in Redis (32 bytes). */
  readonly encryptionKey: Buffer;
}

/** Tunables of a `WebhookManager`; see {@link DefaultWebhookManagerOptions}. */
export interface WebhookManagerOptionalOptions {
  /** Redis key prefix (`Config['redis'].prefix`). @defaultValue 'chorus' */
  readonly prefix: string;
  /**
   * `Config['previousEncryptionKey']`: opens tokens sealed before a key rotation, which are then sealed again
   * under `encryptionKey`. @defaultValue undefined
   */
  readonly previousEncryptionKey: Buffer | undefined;
  /** Webhooks a busy channel's pool may grow to (`Config['webhooks'].perChannel`). @defaultValue 2 */
  readonly webhooksPerChannel: number;
  /**
   * Webhook executes per second for the whole fleet (`Config['webhooks'].globalRatePerSecond`): Discord allows
   * 50/s per IP for requests without a bot token. Raise it only for deployments sending from several IPs.
   * Sends are spaced `(1000 + rateLimitMarginMs) / rate` ms apart, so the default sends at most ~48.5/s.
   * @defaultValue 50
   */
  readonly globalRatePerSecond: number;
  /** Clock, Unix ms. @defaultValue Date.now */
  readonly now: () => number;
  /** Name of the webhooks we create; with our application id it marks a webhook as ours. @defaultValue 'Chorus' */
  readonly webhookName: string;
  /**
   * Time a request may take from its reserved slot to Discord, in ms (timer lag, network jitter, clock skew
   * between worker hosts: slots are Unix ms from `now`); every window is widened by it so late sends never
   * crowd one of Discord's windows. Half is the worker's: a request that would leave later than that after its
   * slot takes a fresh one; the other half is the trip. 30 ms keeps 97 % of the fleet-wide limit (the bench
   * measured trips of a few ms and no 429 with it); raise it for a jittery path to Discord.
   * @defaultValue 30
   */
  readonly rateLimitMarginMs: number;
  /** A webhook bucket's shape until Discord's headers tell. @defaultValue 5 per 2000 ms */
  readonly bucketDefaults: BucketDefaults;
  /**
   * Webhook messages one channel takes in any window over all its webhooks (`Config['webhooks'].channelPerMinute`
   * per 60 s): Discord's hidden per-channel limit, which no header announces. null for none (a sandbox without
   * it). @defaultValue 30 per 60_000 ms
   */
  readonly channelBudget: ChannelBudget | null;
  /** Retries of one execute after a 5xx. @defaultValue 2 */
  readonly maxServerRetries: number;
  /** First 5xx backoff in ms, doubled per retry. @defaultValue 250 */
  readonly serverBackoffMs: number;
  /** Cap of the 5xx backoff, ms. @defaultValue 2000 */
  readonly maxServerBackoffMs: number;
  /** Retries of one request after a 429 (each first waits out the shared state). @defaultValue 5 */
  readonly maxRateLimitRetries: number;
  /** A channel hears the same notice at most once per this many ms. @defaultValue 3_600_000 (1 h) */
  readonly noticeTtlMs: number;
  /** After Discord refused a channel a webhook, refuse without asking for this long, ms. @defaultValue 30_000 */
  readonly unavailableTtlMs: number;
  /** After Discord refused another webhook for a pool, don't ask again for this long, ms. @defaultValue 600_000 */
  readonly growthBlockedTtlMs: number;
  /** Lease of a channel's find-or-create lock, ms. @defaultValue 10_000 */
  readonly lockTtlMs: number;
  /** How long a process trusts its memory of a pool before re-reading Redis, ms. @defaultValue 60_000 */
  readonly memoryTtlMs: number;
  /**
   * Channels whose webhook pools a process keeps in memory; beyond it the least recently used are dropped (and
   * re-read from Redis when needed). @defaultValue 10_000
   */
  readonly maxCachedPools: number;
  /**
   * How long an idle bucket's learned limit and window stay in Redis, ms (at least; up to half as long again, so its
   * TTL is renewed only now and then). @defaultValue 600_000
   */
  readonly bucketIdleTtlMs: number;
}

/** Every option of a `WebhookManager`. */
export type WebhookManagerOptions = WebhookManagerRequiredOptions & WebhookManagerOptionalOptions;

/** Defaults of {@link WebhookManagerOptionalOptions}. */
export const DefaultWebhookManagerOptions = {
  prefix: 'chorus',
  previousEncryptionKey: undefined,
  webhooksPerChannel: 2,
  globalRatePerSecond: DefaultFleetRateLimiterOptions.globalRatePerSecond,
  now: () => Date.now(),
  webhookName: 'Chorus',
  rateLimitMarginMs: DefaultFleetRateLimiterOptions.marginMs,
  bucketDefaults: DefaultFleetRateLimiterOptions.bucketDefaults,
  channelBudget: DiscordChannelBudget,
  maxServerRetries: 2,
  serverBackoffMs: 250,
  maxServerBackoffMs: 2000,
  maxRateLimitRetries: 5,
  noticeTtlMs: 3_600_000,
  unavailableTtlMs: 30_000,
  growthBlockedTtlMs: 600_000,
  lockTtlMs: 10_000,
  memoryTtlMs: 60_000,
  maxCachedPools: 10_000,
  bucketIdleTtlMs: DefaultFleetRateLimiterOptions.idleTtlMs,
} as const satisfies Required<WebhookManagerOptionalOptions>;
