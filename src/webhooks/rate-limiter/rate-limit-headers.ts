/**
 * What one Discord response says about rate limits, parsed from its `X-RateLimit-*` headers and, for a 429,
 * its JSON body. Pure: no clock, durations are relative (ms from the moment the response arrived).
 * @see https://discord.com/developers/docs/topics/rate-limits#header-format
 */

/** `X-RateLimit-Scope`: whose limit a 429 was (`shared` = a per-resource limit, e.g. a channel's writes). */
export type RateLimitScope = 'user' | 'global' | 'shared';

/** The rate-limit facts of one response; `null` = Discord did not say. */
export interface RateLimitObservation {
  /** `X-RateLimit-Bucket`: Discord's hash of the route's limit (shared by every webhook; the id tells them apart). */
  readonly bucket: string | null;
  /** `X-RateLimit-Limit`: requests per window. */
  readonly limit: number | null;
  /** `X-RateLimit-Remaining`: requests left in the current window. */
  readonly remaining: number | null;
  /** `X-RateLimit-Reset-After`, in ms (rounded up). */
  readonly resetAfterMs: number | null;
  /** Only on a 429: how long to wait, in ms (the body's exact `retry_after`, else the `Retry-After` header). */
  readonly retryAfterMs: number | null;
  /** The 429 was the global limit (`X-RateLimit-Global` or the body's `global`). */
  readonly global: boolean;
  readonly scope: RateLimitScope | null;
}

/** The one method of `Headers` this needs, so tests pass plain objects. */
export interface HeaderSource {
  get(name: string): string | null;
}

const SCOPES: ReadonlySet<string> = new Set<RateLimitScope>(['user', 'global', 'shared']);

/**
 * Parses a response's rate-limit headers, plus a 429's body when given (`retry_after` and `global`; the body's
 * value wins because Discord rounds the `Retry-After` header up to whole seconds).
 */
export function parseRateLimitHeaders(
  headers: HeaderSource,
  rateLimitedBody?: unknown,
): RateLimitObservation {
  const body = parseRateLimitedBody(rateLimitedBody);
  const headerRetryAfter = parseSeconds(headers.get('retry-after'));
  const scope = headers.get('x-ratelimit-scope');
  return {
    bucket: nonEmpty(headers.get('x-ratelimit-bucket')),
    limit: parseCount(headers.get('x-ratelimit-limit')),
    remaining: parseCount(headers.get('x-ratelimit-remaining')),
    resetAfterMs: parseSeconds(headers.get('x-ratelimit-reset-after')),
    retryAfterMs: body.retryAfterMs ?? headerRetryAfter,
    global: body.global || headers.get('x-ratelimit-global') !== null,
    scope: scope !== null && SCOPES.has(scope) ? (scope as RateLimitScope) : null,
  };
}

function parseRateLimitedBody(body: unknown): { retryAfterMs: number | null; global: boolean } {
  if (typeof body !== 'object' || body === null) return { retryAfterMs: null, global: false };
  const { retry_after: retryAfter, global } = body as { retry_after?: unknown; global?: unknown };
  return {
    retryAfterMs:
      typeof retryAfter === 'number' && Number.isFinite(retryAfter) && retryAfter >= 0
        ? secondsToMs(retryAfter)
        : null,
    global: global === true,
  };
}

function nonEmpty(value: string | null): string | null {
  return value === null || value.trim() === '' ? null : value.trim();
}

function parseCount(value: string | null): number | null {
  const text = nonEmpty(value);
  if (text === null || !/^\d+$/.test(text)) return null;
  return Number(text);
}

function parseSeconds(value: string | null): number | null {
  const text = nonEmpty(value);
  if (text === null || !/^\d+(\.\d+)?$/.test(text)) return null;
  return secondsToMs(Number(text));
}

/** Rounds up to whole ms, after cutting float noise (`0.07 * 1000` is `70.00000000000001`). */
function secondsToMs(seconds: number): number {
  return Math.ceil(Math.round(seconds * 1_000_000) / 1000);
}
