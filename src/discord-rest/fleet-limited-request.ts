import { setTimeout as sleep } from 'node:timers/promises';
import { DefaultRestOptions, type RESTOptions, type ResponseLike } from '@discordjs/rest';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { BotRateLimiter } from './bot-rate-limiter.js';
import { classifyBotRequest } from './bot-request-kind.js';

/** `@discordjs/rest`'s transport: one HTTP request (each attempt, retries included). */
export type MakeRequest = RESTOptions['makeRequest'];

/** Options for {@link createFleetLimitedMakeRequest}. */
export interface FleetLimitedRequestOptions {
  readonly limiter: BotRateLimiter;
  readonly logger: Logger;
  /** The transport requests go out through once they have a slot. @defaultValue `DefaultRestOptions.makeRequest` */
  readonly makeRequest: MakeRequest;
  /** Clock. @defaultValue Date.now */
  readonly now: () => number;
}

/**
 * Thrown instead of sending a typing indicator while the fleet's bot-token budget is in use: typing is
 * cosmetic, so it never waits and never takes a slot a reply needs. Callers log it at debug.
 */
export class TypingSkippedError extends ChorusError {
  constructor() {
    super(
      ChorusErrorCode.RateLimited,
      'typing indicator skipped: the fleet-wide bot request budget is in use',
    );
  }
}

/**
 * A `makeRequest` for `@discordjs/rest` that takes a fleet-wide slot before each bot-token request (see
 * {@link classifyBotRequest}), after REST's own per-route and per-process limits. A global 429 blocks the whole
 * fleet for its `retry-after`. The wait counts against REST's request timeout; an abort ends it.
 */
export function createFleetLimitedMakeRequest(
  options: Pick<FleetLimitedRequestOptions, 'limiter' | 'logger'> & Partial<FleetLimitedRequestOptions>,
): MakeRequest {
  const { limiter, now, makeRequest } = {
    makeRequest: DefaultRestOptions.makeRequest,
    now: Date.now,
    ...options,
  };
  const log = options.logger.child({ module: 'discord-rest' });
  return async (url, init) => {
    const method = init.method ?? 'GET';
    // REST's undici types and Node's global ones name the same HeadersInit shapes differently.
    const headers = new Headers(init.headers as ConstructorParameters<typeof Headers>[0]);
    const kind = classifyBotRequest(url, method, headers.get('authorization'));
    if (kind === 'exempt') return makeRequest(url, init);
    if (kind === 'typing') {
      if (!(await limiter.tryTakeNow(now()))) throw new TypingSkippedError();
    } else {
      const waitMs = await limiter.reserve(now());
      if (waitMs > 0) {
        log.debug({ retryAfterMs: waitMs }, 'bot request waits for a fleet-wide slot');
        await sleep(waitMs, undefined, { signal: init.signal ?? undefined });
      }
    }
    const response = await makeRequest(url, init);
    if (response.status === 429 && isGlobalRateLimit(response)) {
      const retryAfterMs = Number(response.headers.get('retry-after') ?? 1) * 1000;
      if (await limiter.block(now(), retryAfterMs)) {
        log.warn({ retryAfterMs, bucket: 'global' }, 'global rate limit hit; bot requests paused fleet-wide');
      }
    }
    return response;
  };
}

/** Discord marks a 429 of the bot's global limit with `X-RateLimit-Global` (and scope `global`). */
function isGlobalRateLimit(response: ResponseLike): boolean {
  return (
    response.headers.get('x-ratelimit-global') === 'true' ||
    response.headers.get('x-ratelimit-scope') === 'global'
  );
}
