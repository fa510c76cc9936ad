import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { ProviderConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { BreakerEntry, BreakerState } from './breaker-entry.js';
import type { BreakerFleet } from './breaker-fleet.js';
import { buildBreakerKey } from './breaker-key.js';
import { FleetBreakerSync } from './fleet-breaker-sync.js';
import {
  ProviderCallError,
  type ProviderCallInput,
  ProviderClient,
  type ProviderReply,
} from './provider-client.js';
import { isProviderFault } from './provider-failure.js';
import type { ProviderPools } from './provider-pools.js';

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
  /** Longest silence between a stream's chunks once the model answers, ms. */
  streamIdleTimeoutMs: number;
  /** The connections of streamed calls, one pool per provider origin. */
  pools: ProviderPools;
  now: () => number;
  logger: Logger;
  onStateChange: ((change: BreakerStateChange) => void) | null;
  /** Shares transitions with the other workers; null keeps every breaker to this process. */
  fleet: BreakerFleet | null;
}

/** The probe lease outlives the probe's own timeout by this much, so a dead prober's lease lapses. */
const PROBE_LEASE_MARGIN_MS = 1_000;
/** Beyond the probe's own timeout, how long a call waits for its outcome to reach this worker. */
const PROBE_OUTCOME_MARGIN_MS = 1_000;

/** A call's wait for one probe of a breaker: which breaker, during which of its openings, until when (Unix ms). */
export interface ProbeWait {
  readonly entry: BreakerEntry;
  readonly opening: number;
  readonly until: number;
}

/**
 * The opossum breakers of one AiService, one per (provider, model, key fingerprint), in a bounded LRU: the
 * least recently used goes when the map is full, idle ones go after `idleMs`, and each one leaving is shut down
 * so none of its timers survive. All breakers share one bucket-rotation timer (opossum's
 * `rotateBucketController`) instead of two intervals each. Breaker transitions are logged here and only here.
 *
 * With a {@link BreakerFleet}, the breakers act as one across workers ({@link FleetBreakerSync}): an opening
 * is announced and every worker opens with the same probe deadline; one worker at a time holds the probe
 * lease; its probe's success closes every worker, its failure re-opens them all.
 */
export class BreakerRegistry {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, BreakerEntry>();
  private readonly rotation = new EventEmitter();
  private readonly rotationTimer: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly fleetSync: FleetBreakerSync | null;

  constructor(private readonly options: BreakerRegistryOptions) {
    this.log = options.logger.child({ module: 'ai' });
    this.fleetSync =
      options.fleet === null
        ? null
        : new FleetBreakerSync({
            fleet: options.fleet,
            entries: this.entries,
            resetTimeoutMs: options.resetTimeoutMs,
            probeLeaseMs: options.timeoutMs + PROBE_LEASE_MARGIN_MS,
            now: options.now,
            log: this.log,
          });
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

  /** Milliseconds until an open breaker lets its probe through (0 once half-open); null when closed. */
  msUntilProbe(entry: BreakerEntry): number | null {
    if (entry.probeAt === null) return null;
    return Math.max(0, entry.probeAt - this.options.now());
  }

  /**
   * Whether a call may go through `entry` now: always without a fleet; with one, see
   * {@link FleetBreakerSync.admit} (false while another worker probes the half-open breaker).
   */
  async admit(entry: BreakerEntry): Promise<boolean> {
    return this.fleetSync === null ? true : this.fleetSync.admit(entry);
  }

  /**
   * A call's wait for the probe of `entry`, open and due within `maxMs` (or half-open, its probe running
   * elsewhere); null when the probe is further away. The wait lasts through that one probe: until it had its
   * timeout to finish and its outcome had time to arrive.
   */
  planProbeWait(entry: BreakerEntry, maxMs: number): ProbeWait | null {
    const msUntilProbe = this.msUntilProbe(entry) ?? 0;
    if (msUntilProbe > maxMs) return null;
    const until = this.options.now() + msUntilProbe + this.options.timeoutMs + PROBE_OUTCOME_MARGIN_MS;
    return { entry, opening: entry.openings, until };
  }

  /**
   * Waits for `entry`'s next transition (or until `signal` aborts) while `wait` still holds: same breaker,
   * same opening (a new one means the probe failed), time left. Resolves false, at once, when it does not.
   */
  async waitForProbe(wait: ProbeWait, entry: BreakerEntry, signal: AbortSignal): Promise<boolean> {
    const left = wait.until - this.options.now();
    if (wait.entry !== entry || wait.opening !== entry.openings || left <= 0) return false;
    if (signal.aborted) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        entry.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, left);
      signal.addEventListener('abort', done);
      entry.waiters.add(done);
    });
    return true;
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
    this.fleetSync?.close();
    clearInterval(this.rotationTimer);
    for (const entry of [...this.entries.values()]) this.evict(entry);
  }

  private create(key: string, target: BreakerTarget): BreakerEntry {
    const client = new ProviderClient({
      baseUrl: target.provider.baseUrl,
      apiKey: target.apiKey,
      timeoutMs: this.options.timeoutMs,
      now: this.options.now,
      streamUsage: target.provider.streamUsage,
      streamIdleTimeoutMs: this.options.streamIdleTimeoutMs,
      pool: this.options.pools.get(target.provider.baseUrl),
    });
    const breakerOptions: CircuitBreaker.Options<[ProviderCallInput]> = {
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
    };
    // A streamed call goes through the breaker whole: a stream broken after its first text counts as a failure.
    const breaker: CircuitBreaker<[ProviderCallInput], ProviderReply> = new CircuitBreaker(
      (input: ProviderCallInput) =>
        input.onText ? client.stream(input, input.onText) : client.complete(input),
      breakerOptions,
    );
    const entry: BreakerEntry = {
      key,
      provider: target.provider.name,
      model: target.model,
      keyFingerprint: target.keyFingerprint,
      breaker,
      client,
      lastUsedAt: this.options.now(),
      probeAt: null,
      openings: 0,
      openingId: null,
      breakerOptions,
      fleetSynced: false,
      fleetSyncedAt: 0,
      fleetSync: null,
      applyingFleet: false,
      realigning: false,
      waiters: new Set(),
    };
    breaker.on('open', () => this.transition(entry, 'open'));
    breaker.on('halfOpen', () => this.transition(entry, 'half-open'));
    breaker.on('close', () => this.transition(entry, 'closed'));
    return entry;
  }

  /** The one place breaker transitions are logged and reported (and announced to the fleet). */
  private transition(entry: BreakerEntry, state: BreakerState): void {
    const now = this.options.now();
    // The reset timer opossum just started runs for the options' resetTimeout (see openUntil).
    if (state === 'open') entry.probeAt = now + (entry.breakerOptions.resetTimeout ?? 0);
    if (state === 'closed') entry.probeAt = null;
    if (entry.realigning) return;
    if (state === 'open') entry.openings += 1;
    const fields = {
      breaker: entry.key,
      provider: entry.provider,
      model: entry.model,
      keyFingerprint: entry.keyFingerprint,
      ...(entry.applyingFleet ? { fleet: true } : {}),
    };
    if (state === 'open') {
      this.log.warn({ ...fields, retryAfterMs: this.msUntilProbe(entry) }, 'ai breaker opened');
    } else if (state === 'half-open') {
      this.log.info(fields, 'ai breaker half-open');
    } else {
      this.log.info(fields, 'ai breaker closed');
    }
    this.options.onStateChange?.({
      key: entry.key,
      provider: entry.provider,
      model: entry.model,
      keyFingerprint: entry.keyFingerprint,
      state,
    });
    for (const wake of [...entry.waiters]) wake();
    if (!entry.applyingFleet) this.fleetSync?.announce(entry, state);
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
    for (const wake of [...entry.waiters]) wake();
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

function stateOf(breaker: CircuitBreaker<[ProviderCallInput], ProviderReply>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'half-open';
  return 'closed';
}

/**
 * Only the provider's faults count against its breaker. A cancellation is neutral, except for the half-open
 * probe: opossum knows no neutral outcome, a filtered error counts as a success, and a cancelled probe proves
 * nothing, so it counts as a failure and the breaker waits another reset period rather than closing blind.
 */
function countsAsFault(error: unknown, breaker: CircuitBreaker<[ProviderCallInput], ProviderReply>): boolean {
  if (!(error instanceof ProviderCallError)) return true;
  if (error.failure.kind === 'cancelled') return breaker.halfOpen;
  return isProviderFault(error.failure);
}
