import { REST } from '@discordjs/rest';
import type { Logger } from '../log/index.js';
import type { RedisClient } from '../redis/index.js';
import { BotRateLimiter } from './bot-rate-limiter.js';
import { createFleetLimitedMakeRequest } from './fleet-limited-request.js';

/** Options for {@link createBotRest}. */
export interface BotRestOptions {
  readonly redis: RedisClient;
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  /** Discord's API base (`DISCORD_API_URL`). */
  readonly apiUrl: string;
  readonly token: string;
  /** Bot-token requests per second, fleet-wide (`DISCORD_BOT_RATE_PER_SECOND`). */
  readonly ratePerSecond: number;
  readonly logger: Logger;
}

/**
 * A `@discordjs/rest` client whose bot-token requests share one fleet-wide budget through Redis. REST's own
 * per-process global limit is lifted: the fleet's replaces it, and REST's would make typing wait and hold
 * interaction responses, which the bot's global limit does not bind. REST still honours a global 429 by itself.
 */
export function createBotRest(options: BotRestOptions): REST {
  const limiter = new BotRateLimiter(options.redis, {
    prefix: options.prefix,
    ratePerSecond: options.ratePerSecond,
  });
  return new REST({
    api: options.apiUrl,
    globalRequestsPerSecond: Number.POSITIVE_INFINITY,
    makeRequest: createFleetLimitedMakeRequest({ limiter, logger: options.logger }),
  }).setToken(options.token);
}
