/**
 * Discord's REST rate limits as a pure engine: per-route buckets keyed by major parameter, the global limits,
 * and an optional per-channel write limit. Time comes from an injected clock; nothing here sleeps or schedules.
 * @see https://discord.com/developers/docs/topics/rate-limits
 */
import { createHash } from 'node:crypto';

/** Rate limits the sandbox enforces. Durations are milliseconds of (unscaled) Discord time. */
export interface RateLimitSettings {
  /**
   * Enforce limits at all. When off every request passes and the headers describe a bucket that never runs out.
   * @defaultValue `true`
   */
  enabled: boolean;
  /**
   * Factor applied to every window: `0.1` makes windows 10× shorter, so 10× more requests fit in a real
   * second. For fast tests; Discord itself is `1`.
   * @defaultValue `1`
   */
  timeScale: number;
  /**
   * Executes one webhook accepts per window.
   * @defaultValue `5`
   */
  webhookPerWindow: number;
  /**
   * Length of a webhook-execute window, in ms.
   * @defaultValue `2000`
   */
  webhookWindowMs: number;
  /**
   * Edits (`PATCH`) of one webhook's messages accepted per window, and likewise deletes (`DELETE`): each route its
   * own bucket per webhook (its own `X-RateLimit-Bucket` hash), apart from executes. Discord publishes no figure;
   * its headers on these routes describe a bucket of the execute bucket's shape.
   * @defaultValue `5`
   */
  webhookMessagePerWindow: number;
  /**
   * Length of a webhook-message edit (or delete) window, in ms.
   * @defaultValue `2000`
   */
  webhookMessageWindowMs: number;
  /**
   * Requests per second shared by all unauthenticated callers (webhook executes carrying their token in the URL
   * and no Authorization header). Discord counts these per IP; the sandbox has one counter.
   * @defaultValue `50`
   */
  unauthenticatedGlobalPerSecond: number;
  /**
   * Requests per second a bot token may make across all routes.
   * @defaultValue `50`
   */
  botGlobalPerSecond: number;
  /**
   * Messages per minute one channel accepts from everyone together (Discord's shared channel-write limit,
   * JSON code 20028), or `null` for no such limit.
   * @defaultValue `null`
   */
  channelMessagesPerMinute: number | null;
  /**
   * Webhook executes one channel accepts within any `webhookChannelWindowMs`, over all its webhooks, or `null` for
   * no such limit: Discord's hidden per-channel webhook limit (discord-api-docs #367, #1454). No header
   * announces it; the window slides (Discord's alignment is unknown, so the strictest).
   * @defaultValue `30`
   */
  webhookChannelPerWindow: number | null;
  /**
   * Length of the per-channel webhook window, in ms.
   * @defaultValue `60000`
   */
  webhookChannelWindowMs: number;
  /**
   * The penalty past the per-channel webhook limit: the refusal's Retry-After, during which every execute into
   * the channel is refused again (shared scope), in ms.
   * @defaultValue `40000`
   */
  webhookChannelRetryAfterMs: number;
}

/** Discord's published limits. */
export const DefaultRateLimitSettings = {
  enabled: true,
  timeScale: 1,
  webhookPerWindow: 5,
  webhookWindowMs: 2000,
  webhookMessagePerWindow: 5,
  webhookMessageWindowMs: 2000,
  unauthenticatedGlobalPerSecond: 50,
  botGlobalPerSecond: 50,
  channelMessagesPerMinute: null,
  webhookChannelPerWindow: 30,
  webhookChannelWindowMs: 60_000,
  webhookChannelRetryAfterMs: 40_000,
} as const satisfies RateLimitSettings;

/** One request as the engine sees it. */
export interface RateLimitRequest {
  /** Method and route template, e.g. `POST /webhooks/:id/:token`. */
  readonly route: string;
  /** The route's major parameter (webhook id, channel id or guild id); buckets are kept per value. */
  readonly majorId: string;
  /** Carries a bot token; unauthenticated requests share the unauthenticated global limit instead. */
  readonly authenticated: boolean;
  /**
   * Channel this request writes a message into (a webhook's own channel for executes, threads included);
   * subject to `channelMessagesPerMinute`, and executes to `webhookChannelPerWindow`.
   */
  readonly channelId?: string;
}

/** The engine's verdict, with the headers and (when refused) the 429 body Discord would send. */
export type RateLimitDecision =
  | { allowed: true; headers: Record<string, string> }
  | {
      allowed: false;
      status: 429;
      headers: Record<string, string>;
      body: { message: string; retry_after: number; global: boolean; code?: number };
    };

/** Requests a bucket without a limit reports: large enough that no client ever waits on it. */
const unlimitedBucketSize = 2 ** 31 - 1;
/** Window reported for buckets without a limit, so their reset headers stay meaningful. */
const unlimitedWindowMs = 1000;
const globalWindowMs = 1000;
const channelWindowMs = 60_000;
const channelWriteLimitCode = 20028;

/** Webhook executes, with and without a thread or `?wait`; they share one bucket per webhook. */
const webhookExecuteRoute = /^POST \/webhooks\/:[^/]+\/:[^/]+(?:\/(?:slack|github))?$/;
/**
 * Edits and deletes of messages on a webhook's token route (an interaction's token is a webhook's here, and its
 * own major parameter): each method its own bucket per webhook. They post nothing, so no channel limit counts
 * them.
 */
const webhookMessageRoute = /^(?:PATCH|DELETE) \/webhooks\/:[^/]+\/:[^/]+\/messages\/:[^/]+$/;
/** Interaction endpoints are not bound to the global limit. */
const interactionRoute = /^POST \/interactions\//;

/** A channel's accepted webhook executes (Unix ms, ascending) and the end of its penalty after a refusal. */
interface SlidingWindow {
  readonly accepted: number[];
  blockedUntil: number;
}

/** A fixed window: opens at its first request, counts up to `limit`, and resets `windowMs` later. */
interface Window {
  count: number;
  resetAt: number;
}

interface WindowCheck {
  readonly window: Window;
  readonly limit: number;
  /** Remaining slots before this request. */
  readonly remaining: number;
}

/**
 * Discord's rate limiter for the sandbox. `take()` either admits a request (consuming one slot in every window
 * it counts against) or refuses it with Discord's 429 answer without consuming anything.
 */
export class RateLimitEngine {
  #settings: RateLimitSettings;
  readonly #now: () => number;
  readonly #routeWindows = new Map<string, Window>();
  readonly #channelWindows = new Map<string, Window>();
  readonly #webhookChannelWindows = new Map<string, SlidingWindow>();
  // One window each: the sandbox serves a single bot and a single caller IP.
  readonly #unauthenticatedGlobal: Window = { count: 0, resetAt: 0 };
  readonly #botGlobal: Window = { count: 0, resetAt: 0 };
  readonly #counters = { rateLimited: 0, globalRateLimited: 0 };

  constructor(settings: Partial<RateLimitSettings> = {}, now: () => number = Date.now) {
    this.#settings = { ...DefaultRateLimitSettings, ...settings };
    this.#now = now;
  }

  /** 429s answered so far: all of them, and the global ones among them. */
  get counters(): { readonly rateLimited: number; readonly globalRateLimited: number } {
    return { ...this.#counters };
  }

  /** The settings in force. */
  get settings(): Readonly<RateLimitSettings> {
    return { ...this.#settings };
  }

  /** Changes settings from the next request on; windows already open keep their reset time. */
  update(settings: Partial<RateLimitSettings>): void {
    this.#settings = { ...this.#settings, ...settings };
  }

  /** Decides one request at the current time. */
  take(request: RateLimitRequest): RateLimitDecision {
    const now = this.#now();
    const bucket = bucketHash(request.route);
    const routeLimit = this.#routeLimit(request.route);
    if (!this.#settings.enabled || routeLimit === null) {
      return this.#takeUnlimitedRoute(request, bucket, now);
    }
    const routeKey = `${bucket}:${request.majorId}`;
    const route = this.#check(this.#routeWindows, routeKey, routeLimit.limit, routeLimit.windowMs, now);
    return this.#decide(request, bucket, now, route);
  }

  #takeUnlimitedRoute(request: RateLimitRequest, bucket: string, now: number): RateLimitDecision {
    const resetAt = now + this.#scaled(unlimitedWindowMs);
    const headers = bucketHeaders(bucket, unlimitedBucketSize, unlimitedBucketSize, resetAt, now);
    if (!this.#settings.enabled) return { allowed: true, headers };
    return this.#decide(request, bucket, now, null, headers);
  }

  /**
   * Admits or refuses against the global and channel windows plus the route window (if any). Nothing is
   * consumed unless every window has room.
   */
  #decide(
    request: RateLimitRequest,
    bucket: string,
    now: number,
    route: WindowCheck | null,
    unlimitedHeaders?: Record<string, string>,
  ): RateLimitDecision {
    const global = this.#checkGlobal(request, now);
    if (global !== null && global.remaining <= 0) {
      this.#counters.rateLimited += 1;
      this.#counters.globalRateLimited += 1;
      return this.#refusal(global.window.resetAt - now, true, 'global', {});
    }
    const routeHeaders = (check: WindowCheck, used: number): Record<string, string> =>
      bucketHeaders(bucket, check.limit, check.remaining - used, check.window.resetAt, now);
    if (route !== null && route.remaining <= 0) {
      this.#counters.rateLimited += 1;
      return this.#refusal(route.window.resetAt - now, false, 'user', routeHeaders(route, 0));
    }
    const channel = this.#checkChannel(request, now);
    if (channel !== null && channel.remaining <= 0) {
      this.#counters.rateLimited += 1;
      const headers = route === null ? (unlimitedHeaders ?? {}) : routeHeaders(route, 0);
      return this.#refusal(channel.window.resetAt - now, false, 'shared', headers, channelWriteLimitCode);
    }
    const webhookChannel = this.#checkWebhookChannel(request, now);
    if (webhookChannel !== null && webhookChannel.retryAfterMs > 0) {
      this.#counters.rateLimited += 1;
      const headers = route === null ? (unlimitedHeaders ?? {}) : routeHeaders(route, 0);
      return this.#refusal(webhookChannel.retryAfterMs, false, 'shared', headers);
    }
    for (const check of [global, route, channel]) {
      if (check !== null) check.window.count += 1;
    }
    webhookChannel?.window.accepted.push(now);
    return { allowed: true, headers: route === null ? (unlimitedHeaders ?? {}) : routeHeaders(route, 1) };
  }

  #refusal(
    retryAfterMs: number,
    global: boolean,
    scope: 'user' | 'global' | 'shared',
    bucketHeadersOnRefusal: Record<string, string>,
    code?: number,
  ): RateLimitDecision {
    const retryAfter = seconds(retryAfterMs);
    const headers: Record<string, string> = {
      ...bucketHeadersOnRefusal,
      // Discord sends whole seconds here (rounded up) and the exact value in the body; scaled windows are
      // shorter than a second, so under a time scale the exact value goes in the header too.
      'Retry-After':
        this.#settings.timeScale >= 1 ? String(Math.ceil(retryAfterMs / 1000)) : retryAfter.toFixed(3),
      'X-RateLimit-Scope': scope,
    };
    if (global) headers['X-RateLimit-Global'] = 'true';
    const body =
      code === undefined
        ? { message: 'You are being rate limited.', retry_after: retryAfter, global }
        : {
            message: 'The write action you are performing on the channel has hit the write rate limit.',
            retry_after: retryAfter,
            global,
            code,
          };
    return { allowed: false, status: 429, headers, body };
  }

  #routeLimit(route: string): { limit: number; windowMs: number } | null {
    if (webhookExecuteRoute.test(route)) {
      return { limit: this.#settings.webhookPerWindow, windowMs: this.#settings.webhookWindowMs };
    }
    if (webhookMessageRoute.test(route)) {
      return {
        limit: this.#settings.webhookMessagePerWindow,
        windowMs: this.#settings.webhookMessageWindowMs,
      };
    }
    return null;
  }

  #checkGlobal(request: RateLimitRequest, now: number): WindowCheck | null {
    if (interactionRoute.test(request.route)) return null;
    return request.authenticated
      ? this.#checkWindow(this.#botGlobal, this.#settings.botGlobalPerSecond, globalWindowMs, now)
      : this.#checkWindow(
          this.#unauthenticatedGlobal,
          this.#settings.unauthenticatedGlobalPerSecond,
          globalWindowMs,
          now,
        );
  }

  #checkChannel(request: RateLimitRequest, now: number): WindowCheck | null {
    const perMinute = this.#settings.channelMessagesPerMinute;
    if (perMinute === null || request.channelId === undefined) return null;
    return this.#check(this.#channelWindows, request.channelId, perMinute, channelWindowMs, now);
  }

  /**
   * The per-channel webhook limit: a sliding window over the channel's accepted executes. Past it the channel is
   * penalised: refused for `webhookChannelRetryAfterMs`, whatever the window holds by then. `retryAfterMs` 0 =
   * room.
   */
  #checkWebhookChannel(
    request: RateLimitRequest,
    now: number,
  ): { window: SlidingWindow; retryAfterMs: number } | null {
    const limit = this.#settings.webhookChannelPerWindow;
    if (limit === null || request.channelId === undefined || !webhookExecuteRoute.test(request.route)) {
      return null;
    }
    let window = this.#webhookChannelWindows.get(request.channelId);
    if (window === undefined) {
      window = { accepted: [], blockedUntil: 0 };
      this.#webhookChannelWindows.set(request.channelId, window);
    }
    const since = now - this.#scaled(this.#settings.webhookChannelWindowMs);
    while (window.accepted.length > 0 && window.accepted[0]! <= since) window.accepted.shift();
    if (window.blockedUntil > now) return { window, retryAfterMs: window.blockedUntil - now };
    if (window.accepted.length < limit) return { window, retryAfterMs: 0 };
    const retryAfterMs = this.#scaled(this.#settings.webhookChannelRetryAfterMs);
    window.blockedUntil = now + retryAfterMs;
    return { window, retryAfterMs };
  }

  #check(
    windows: Map<string, Window>,
    key: string,
    limit: number,
    windowMs: number,
    now: number,
  ): WindowCheck {
    let window = windows.get(key);
    if (window === undefined) {
      window = { count: 0, resetAt: 0 };
      windows.set(key, window);
    }
    return this.#checkWindow(window, limit, windowMs, now);
  }

  /** Rolls `window` over if its time is up, then reports its room. */
  #checkWindow(window: Window, limit: number, windowMs: number, now: number): WindowCheck {
    if (now >= window.resetAt) {
      window.count = 0;
      window.resetAt = now + this.#scaled(windowMs);
    }
    return { window, limit, remaining: limit - window.count };
  }

  #scaled(windowMs: number): number {
    return windowMs * this.#settings.timeScale;
  }
}

/**
 * A stable id for a route's bucket, shaped like Discord's (32 hex digits). It names the limit, not the major
 * parameter: every webhook shares the execute bucket hash and is told apart by its id.
 */
export function bucketHash(route: string): string {
  return createHash('sha256').update(route).digest('hex').slice(0, 32);
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

function bucketHeaders(
  bucket: string,
  limit: number,
  remaining: number,
  resetAt: number,
  now: number,
): Record<string, string> {
  return {
    'X-RateLimit-Limit': String(limit),
    'X-RateLimit-Remaining': String(Math.max(0, remaining)),
    'X-RateLimit-Reset': (resetAt / 1000).toFixed(3),
    'X-RateLimit-Reset-After': seconds(resetAt - now).toFixed(3),
    'X-RateLimit-Bucket': bucket,
  };
}
