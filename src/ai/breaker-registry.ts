import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { ProviderConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { buildBreakerKey } from './breaker-key.js';
import { ProviderCallError, type ProviderCallInput, ProviderClient } from './provider-client.js';
import { isProviderFault } from './provider-failure.js';

/** A breaker's state, as reported outside. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** One breaker, for /status and the stats publisher. Counts cover opossum's rolling window (seconds). */
export interface BreakerSnapshot {
  /** `<provider>/<model>/<keyFingerprint>`. */
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  /** The user key's fingerprint, or `operator` for the provider's own key. */
  readonly keyFingerprint: string;
  readonly state: BreakerState;
  readonly failures: number;
  readonly successes: number;
  /** Calls refused without reaching the provider (breaker open). */
  readonly rejects: number;
  /** Latency of recent calls, ms; null when there were none. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  /** When the half-open probe will be allowed (Unix ms); null unless open. */
  readonly probeAt: number | null;
}

/** Reported on every breaker transition, and when an idle breaker is discarded. */
export interface BreakerStateChange {
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  readonly keyFingerprint: string;
  readonly state: BreakerState | 'evicted';
}

/** Which breaker a call goes through, and the key it calls with. */
export interface BreakerTarget {
  readonly provider: ProviderConfig;
  readonly model: string;
  readonly keyFingerprint: string;
  readonly apiKey: string;
}

/** A live breaker with the client it guards. */
export interface BreakerEntry {
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  readonly keyFingerprint: string;
  readonly breaker: CircuitBreaker<[ProviderCallInput], string>;
  /** Closed with the breaker, so its kept-alive connections go with it. */
  readonly client: ProviderClient;
  lastUsedAt: number;
  /** When it last opened (Unix ms, from the registry's clock); null while closed. */
  openedAt: number | null;
}

/** Options of {@link BreakerRegistry} (AiService fills every one). */
export interface BreakerRegistryOptions {
  maxBreakers: number;
  idleMs: number;
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
  rollingWindowMs: number;
  rollingWindowBuckets: number;
  timeoutMs: number;
  now: () => number;
  logger: Logger;
  onStateChange: ((change: BreakerStateChange) => void) | null;
}

/**
 * The opossum breakers of one AiService, one per (provider, model, key fingerprint), in a bounded LRU: the
 * least recently used goes when the map is full, idle ones go after `idleMs`, and each one leaving is shut down
 * so none of its timers survive. All breakers share one bucket-rotation timer (opossum's
 * `rotateBucketController`) instead of two intervals each. Breaker transitions are logged here and only here.
 */
export class BreakerRegistry {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, BreakerEntry>();
  private readonly rotation = new EventEmitter();
  private readonly rotationTimer: NodeJS.Timeout;
  private readonly log: Logger;

  constructor(private readonly options: BreakerRegistryOptions) {
    this.log = options.logger.child({ module: 'ai' });
    // Every breaker adds a 'rotate' listener; the default cap of 10 would warn about a leak that is not one.
    this.rotation.setMaxListeners(0);
    this.rotationTimer = setInterval(
      () => {
        this.rotation.emit('rotate');
        this.evictIdle();
      },
      Math.max(1, Math.floor(options.rollingWindowMs / options.rollingWindowBuckets)),
    );
    this.rotationTimer.unref();
  }

  /** The breaker for `target`, created on first use; marks it as just used. */
  acquire(target: BreakerTarget): BreakerEntry {
    const key = buildBreakerKey(target.provider.name, target.model, target.keyFingerprint);
    let entry = this.entries.get(key);
    if (entry) this.entries.delete(key);
    else entry = this.create(key, target);
    entry.lastUsedAt = this.options.now();
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxBreakers) {
      const oldest = this.entries.values().next().value!;
      this.evict(oldest);
    }
    return entry;
  }

  /** Milliseconds until an open breaker lets its probe through; null when it is not open. */
  msUntilProbe(entry: BreakerEntry): number | null {
    if (entry.openedAt === null) return null;
    return Math.max(0, entry.openedAt + this.options.resetTimeoutMs - this.options.now());
  }

  snapshots(): BreakerSnapshot[] {
    return [...this.entries.values()].map((entry) => {
      const stats = entry.breaker.stats;
      const hasLatency = stats.latencyTimes.length > 0;
      const msUntilProbe = this.msUntilProbe(entry);
      return {
        key: entry.key,
        provider: entry.provider,
        model: entry.model,
        keyFingerprint: entry.keyFingerprint,
        state: stateOf(entry.breaker),
        failures: stats.failures,
        successes: stats.successes,
        rejects: stats.rejects,
        latencyP50Ms: hasLatency ? (stats.percentiles[0.5] ?? null) : null,
        latencyP95Ms: hasLatency ? (stats.percentiles[0.95] ?? null) : null,
        probeAt: entry.breaker.opened && msUntilProbe !== null ? this.options.now() + msUntilProbe : null,
      };
    });
  }

  /** Shuts every breaker down, closes its client's connections and stops the shared timer. */
  close(): void {
    clearInterval(this.rotationTimer);
    for (const entry of [...this.entries.values()]) this.evict(entry);
  }

  private create(key: string, target: BreakerTarget): BreakerEntry {
    const client = new ProviderClient({
      baseUrl: target.provider.baseUrl,
      apiKey: target.apiKey,
      timeoutMs: this.options.timeoutMs,
      now: this.options.now,
    });
    const breaker: CircuitBreaker<[ProviderCallInput], string> = new CircuitBreaker(
      (input: ProviderCallInput) => client.complete(input),
      {
        name: key,
        group: target.provider.name,
        // opossum's timeout only stops waiting (the request runs on) and its AbortController is shared by
        // every call of the breaker: each call is cancelled by its own AbortSignal instead (AiService).
        timeout: false,
        errorThresholdPercentage: this.options.errorThresholdPercentage,
        // opossum's default of 0 would open a fresh breaker on its very first failure.
        volumeThreshold: this.options.volumeThreshold,
        resetTimeout: this.options.resetTimeoutMs,
        rollingCountTimeout: this.options.rollingWindowMs,
        rollingCountBuckets: this.options.rollingWindowBuckets,
        rotateBucketController: this.rotation,
        enableSnapshots: false,
        // Filtered errors still reject the call; they just do not count as failures.
        errorFilter: (error: unknown) => !countsAsFault(error, breaker),
      },
    );
    const entry: BreakerEntry = {
      key,
      provider: target.provider.name,
      model: target.model,
      keyFingerprint: target.keyFingerprint,
      breaker,
      client,
      lastUsedAt: this.options.now(),
      openedAt: null,
    };
    breaker.on('open', () => this.transition(entry, 'open'));
    breaker.on('halfOpen', () => this.transition(entry, 'half-open'));
    breaker.on('close', () => this.transition(entry, 'closed'));
    return entry;
  }

  /** The one place breaker transitions are logged and reported. */
  private transition(entry: BreakerEntry, state: BreakerState): void {
    if (state === 'open') entry.openedAt = this.options.now();
    if (state === 'closed') entry.openedAt = null;
    const fields = {
      breaker: entry.key,
      provider: entry.provider,
      model: entry.model,
      keyFingerprint: entry.keyFingerprint,
    };
    if (state === 'open') {
      this.log.warn({ ...fields, retryAfterMs: this.options.resetTimeoutMs }, 'ai breaker opened');
    } else if (state === 'half-open') {
      this.log.info(fields, 'ai breaker half-open');
    } else {
      this.log.info(fields, 'ai breaker closed');
    }
    this.options.onStateChange?.({ ...fields, key: entry.key, state });
  }

  private evictIdle(): void {
    const idleBefore = this.options.now() - this.options.idleMs;
    for (const entry of this.entries.values()) {
      if (entry.lastUsedAt > idleBefore) break;
      this.evict(entry);
    }
  }

  private evict(entry: BreakerEntry): void {
    this.entries.delete(entry.key);
    entry.breaker.shutdown();
    entry.client.close();
    this.options.onStateChange?.({
      key: entry.key,
      provider: entry.provider,
      model: entry.model,
      keyFingerprint: entry.keyFingerprint,
      state: 'evicted',
    });
  }
}

function stateOf(breaker: CircuitBreaker<[ProviderCallInput], string>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}

/**
 * Only the provider's faults count against its breaker. A cancellation is neutral, except for the half-open
 * probe: opossum knows no neutral outcome, a filtered error counts as a success, and a cancelled probe proves
 * nothing, so it counts as a failure and the breaker waits another reset period rather than closing blind.
 */
function countsAsFault(error: unknown, breaker: CircuitBreaker<[ProviderCallInput], string>): boolean {
  if (!(error instanceof ProviderCallError)) return true;
  if (error.failure.kind === 'cancelled') return breaker.halfOpen;
  return isProviderFault(error.failure);
}
