import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { BreakerFleet } from './breaker-fleet.js';
import type { BreakerStateChange } from './breaker-registry.js';
import type { CallOutcome } from './call-stats-window.js';
import type { ProviderFailure } from './provider-failure.js';

/** One provider call as reported to {@link OptionalAiServiceOptions.onCallFinished} (e.g. for metrics). */
export interface AiCallEvent {
  readonly provider: string;
  readonly model: string;
  readonly outcome: CallOutcome;
  /** What failed; null on success. `circuit-open` when the breaker refused the call. */
  readonly failureKind: ProviderFailure['kind'] | 'circuit-open' | null;
  readonly latencyMs: number;
}

/** A fallback model answered, as reported to {@link OptionalAiServiceOptions.onFallbackAnswer} (e.g. metrics). */
export interface FallbackAnswerEvent {
  /** The model that answered. */
  readonly provider: string;
  readonly model: string;
  /** Its place in the personality's fallback list (1 = first). */
  readonly fallback: number;
  /** The model it answered for. */
  readonly primaryProvider: string;
  readonly primaryModel: string;
}

/** How patiently {@link AiService.complete} tries its one model. */
export interface CompleteOptions {
  /**
   * Give up at the first provider fault or open breaker, without retries or waiting for a probe due soon: the
   * caller has another model ready to answer. @defaultValue false
   */
  readonly failFast: boolean;
}

/** Options {@link AiService} cannot do without. */
export interface RequiredAiServiceOptions {
  /** The `ai` section of the configuration: providers, per-call timeout, retries, breaker settings. */
  config: Config['ai'];
  logger: Logger;
}

/** Options of {@link AiService} with defaults ({@link DefaultAiServiceOptions}). */
export interface OptionalAiServiceOptions {
  /** Most breakers kept; the least recently used is dropped beyond it. @defaultValue 500 */
  maxBreakers: number;
  /** A breaker unused this long (ms) is dropped. @defaultValue 600_000 (10 min) */
  breakerIdleMs: number;
  /** Backoff ceiling of the first retry, ms (doubles per retry; full jitter). @defaultValue 500 */
  backoffBaseMs: number;
  /** Largest backoff ceiling, ms. @defaultValue 5_000 */
  backoffMaxMs: number;
  /** Longest `retry-after` waited out, ms; a longer one fails the call at once. @defaultValue 20_000 */
  maxRetryAfterMs: number;
  /**
   * Longest silence between a streamed reply's chunks once the model answers, ms; longer, the stream counts as
   * broken (a timeout). Before the model answers, `AI_TIMEOUT_MS` applies. @defaultValue 30_000
   */
  streamIdleTimeoutMs: number;
  /** Least `retryAfterMs` put on a circuit-open error (its probe may already be running). @defaultValue 1_000 */
  minRetryHintMs: number;
  /**
   * A call meeting an open breaker whose probe is due within this many ms waits for the probe's outcome (then
   * calls, or is refused if the probe failed) instead of being refused at once. @defaultValue 3_000
   */
  probeWaitMs: number;
  /**
   * Shares breaker transitions with the other workers (see {@link BreakerFleet}); null keeps breakers per
   * process. @defaultValue null
   */
  fleet: BreakerFleet | null;
  /** opossum's rolling statistics window, ms: the error percentage is computed over it. @defaultValue 10_000 */
  rollingWindowMs: number;
  /** Buckets of the rolling window. @defaultValue 10 */
  rollingWindowBuckets: number;
  /** How far back {@link AiService.callStats} reaches, ms. @defaultValue 300_000 (5 min) */
  statsWindowMs: number;
  /** Granularity of that window, ms. @defaultValue 30_000 */
  statsSliceMs: number;
  /** Uniform [0, 1) draws for backoff jitter. @defaultValue Math.random */
  random: () => number;
  /** Waits between retries; must reject when `signal` aborts. @defaultValue node:timers/promises setTimeout */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Clock, Unix ms. @defaultValue Date.now */
  now: () => number;
  /** Called on every breaker transition and eviction (e.g. a metrics gauge). @defaultValue null */
  onBreakerStateChange: ((change: BreakerStateChange) => void) | null;
  /** Called after every provider call (e.g. metrics). @defaultValue null */
  onCallFinished: ((event: AiCallEvent) => void) | null;
  /** Called when a fallback model answered in place of the request's own (e.g. metrics). @defaultValue null */
  onFallbackAnswer: ((event: FallbackAnswerEvent) => void) | null;
}

export type AiServiceOptions = RequiredAiServiceOptions & Partial<OptionalAiServiceOptions>;

export const DefaultAiServiceOptions = {
  maxBreakers: 500,
  breakerIdleMs: 600_000,
  backoffBaseMs: 500,
  backoffMaxMs: 5_000,
  maxRetryAfterMs: 20_000,
  streamIdleTimeoutMs: 30_000,
  minRetryHintMs: 1_000,
  probeWaitMs: 3_000,
  fleet: null,
  rollingWindowMs: 10_000,
  rollingWindowBuckets: 10,
  statsWindowMs: 300_000,
  statsSliceMs: 30_000,
  random: Math.random,
  sleep: async (ms: number, signal: AbortSignal) => {
    await delay(ms, undefined, { signal });
  },
  now: Date.now,
  onBreakerStateChange: null,
  onCallFinished: null,
  onFallbackAnswer: null,
} as const satisfies Required<OptionalAiServiceOptions>;

/** {@link AiService}'s options with every default filled in. */
export type ResolvedAiServiceOptions = Readonly<RequiredAiServiceOptions & OptionalAiServiceOptions>;
