import { randomUUID } from 'node:crypto';
import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';
import { buildBotRequestBlockKey, buildBotRequestSlotsKey } from './keys.js';

// Read once per process: the files sit beside this module (copied next to the JS by the build).
const scripts = loadScripts(new URL('./lua/', import.meta.url));

/** Discord's global limit counts requests per second. */
const GLOBAL_WINDOW_MS = 1000;

/** Options for {@link BotRateLimiter}. */
export interface BotRateLimiterOptions {
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  /** Bot-token requests per second, fleet-wide (`DISCORD_BOT_RATE_PER_SECOND`). @defaultValue 50 */
  readonly ratePerSecond: number;
  /** Time a request may take from its reserved slot to Discord, ms; widens every window by this much. @defaultValue 30 */
  readonly marginMs: number;
}

export const DefaultBotRateLimiterOptions = {
  ratePerSecond: 50,
  marginMs: 30,
} as const satisfies Omit<Required<BotRateLimiterOptions>, 'prefix'>;

/**
 * The bot's global rate limit, shared by every process that sends with the bot token: send times reserved in
 * Redis (`lua/reserveBotRequestSlot-2.lua`), so N workers together stay within one bot's limit. Every method
 * takes `now` (Unix ms) from the caller.
 */
export class BotRateLimiter {
  readonly options: Readonly<BotRateLimiterOptions>;
  readonly #redis: RedisClient;
  readonly #spanMs: number;
  /** Tells this process's reservations apart from other processes' made for the same millisecond. */
  readonly #instanceId = randomUUID().slice(0, 12);
  #sequence = 0;

  constructor(
    redis: RedisClient,
    options: Pick<BotRateLimiterOptions, 'prefix'> & Partial<BotRateLimiterOptions>,
  ) {
    this.options = { ...DefaultBotRateLimiterOptions, ...options };
    this.#redis = redis;
    this.#spanMs = GLOBAL_WINDOW_MS + this.options.marginMs;
  }

  /** Reserves the first free send time; resolves to the ms to wait before sending (0 = now). */
  reserve(now: number): Promise<number> {
    return this.#reserve(now, 'wait');
  }

  /**
   * Takes a slot only if one is free now: never waits, and never one a waiting request has reserved. Resolves
   * to false (nothing reserved) when the budget is in use.
   */
  async tryTakeNow(now: number): Promise<boolean> {
    return (await this.#reserve(now, 'now')) === 0;
  }

  /** After a global 429: no bot-token request before `now + delayMs` (+ margin). Resolves `true` if that moved it. */
  async block(now: number, delayMs: number): Promise<boolean> {
    registerScripts(this.#redis, scripts);
    const moved = await runScript<number>(
      this.#redis,
      'blockBotRequests',
      [buildBotRequestBlockKey(this.options.prefix)],
      [now, delayMs + this.options.marginMs],
    );
    return moved === 1;
  }

  #reserve(now: number, mode: 'wait' | 'now'): Promise<number> {
    registerScripts(this.#redis, scripts);
    this.#sequence += 1;
    return runScript<number>(
      this.#redis,
      'reserveBotRequestSlot',
      [buildBotRequestSlotsKey(this.options.prefix), buildBotRequestBlockKey(this.options.prefix)],
      [now, this.options.ratePerSecond, this.#spanMs, mode, `${this.#instanceId}:${this.#sequence}`],
    );
  }
}
