import type { RedisClient } from '../redis/index.js';

/** One dependency the process needs before it can do useful work (Redis, the Discord session, …). */
export interface ReadinessCheck {
  /** Short, stable name shown in `/readyz` (`redis`, `discord`). */
  readonly name: string;
  /** Resolves `true` when the dependency is usable; `false`, a rejection or a timeout all mean "not ready". */
  probe(): Promise<boolean> | boolean;
}

/** The outcome of one {@link ReadinessCheck}. */
export interface ReadinessCheckResult {
  readonly name: string;
  readonly ok: boolean;
  /** Why a failing check failed (`not ready`, `timed out after 1000 ms`, the error's name); absent when ok. */
  readonly detail?: string;
}

/** What `/readyz` reports: ready only when every check passed. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheckResult[];
}

/** Options for {@link runReadinessChecks}. */
export interface ReadinessOptions {
  /** Milliseconds each probe may take before it counts as failed. @defaultValue 1000 */
  timeoutMs: number;
}

export const DefaultReadinessOptions = { timeoutMs: 1000 } as const satisfies Required<ReadinessOptions>;

/**
 * Runs every check at once, each bounded by `timeoutMs`, and reports them all (not just the first failure),
 * so an operator sees every broken dependency in one response.
 */
export async function runReadinessChecks(
  checks: readonly ReadinessCheck[],
  options: Partial<ReadinessOptions> = {},
): Promise<ReadinessReport> {
  const { timeoutMs } = { ...DefaultReadinessOptions, ...options };
  const results = await Promise.all(checks.map((check) => runCheck(check, timeoutMs)));
  return { ready: results.every((result) => result.ok), checks: results };
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<ReadinessCheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
    timer.unref();
  });
  try {
    // Promise.race subscribes to the probe, so a probe rejecting after its timeout is still handled.
    const outcome = await Promise.race([Promise.resolve().then(() => check.probe()), timedOut]);
    if (outcome === 'timeout')
      return { name: check.name, ok: false, detail: `timed out after ${timeoutMs} ms` };
    return outcome ? { name: check.name, ok: true } : { name: check.name, ok: false, detail: 'not ready' };
  } catch (error) {
    // Only the error's name: messages can carry connection strings, and /readyz answers anyone who asks.
    const name = error instanceof Error ? error.name : typeof error;
    return { name: check.name, ok: false, detail: `failed: ${name}` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Redis is ready when it answers PING. Use a connection that fails fast while Redis is down (the
 * `commands` role); the check's timeout bounds it either way.
 */
export function createRedisReadinessCheck(redis: Pick<RedisClient, 'ping'>): ReadinessCheck {
  return {
    name: 'redis',
    probe: async () => (await redis.ping()) === 'PONG',
  };
}
