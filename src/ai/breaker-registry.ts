import { EventEmitter } from 'node:events';
import CircuitBreaker from 'opossum';
import type { ProviderConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { BreakerFleet, FleetTransition } from './breaker-fleet.js';
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
  /** When its probe is (or was) due (Unix ms, from the registry's clock); null while closed. */
  probeAt: number | null;
  /** Counts the openings (not realignments): a call waiting for a probe tells a failed probe by it. */
  openings: number;
  /** The options object opossum keeps and reads `resetTimeout` from each time the breaker opens. */
  readonly breakerOptions: CircuitBreaker.Options<[ProviderCallInput]>;
  /** The fleet's state was read for it at least once (it is read when the breaker is new or open). */
  fleetSynced: boolean;
  /** When it was last read (registry clock); reads are at most one per {@link FLEET_SYNC_INTERVAL_MS}. */
  fleetSyncedAt: number;
  fleetSync: Promise<void> | null;
  /** Set while the registry applies a fleet transition: it is logged, not announced back. */
  applyingFleet: boolean;
  /** Set while an open breaker is re-opened with another deadline: no transition is reported. */
  realigning: boolean;
  /** Calls waiting for its next transition. */
  readonly waiters: Set<() => void>;
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
  /** Shares transitions with the other workers; null keeps every breaker to this process. */
  fleet: BreakerFleet | null;
}

/** The fleet's open key is read at most this often per breaker (when new or open). */
const FLEET_SYNC_INTERVAL_MS = 250;
/** Deadlines closer than this count as the same (message and round-trip latency). */
const DEADLINE_TOLERANCE_MS = 250;
/** The probe lease outlives the probe's own timeout by this much, so a dead prober's lease lapses. */
const PROBE_LEASE_MARGIN_MS = 1_000;

/**
 * The opossum breakers of one AiService, one per (provider, model, key fingerprint), in a bounded LRU: the
 * least recently used goes when the map is full, idle ones go after `idleMs`, and each one leaving is shut down
 * so none of its timers survive. All breakers share one bucket-rotation timer (opossum's
 * `rotateBucketController`) instead of two intervals each. Breaker transitions are logged here and only here.
 *
 * With a {@link BreakerFleet}, the breakers act as one across workers: an opening is announced and every worker
 * opens with the same probe deadline; one worker at a time holds the probe lease; its probe's success closes
 * every worker, its failure re-opens them all. A breaker that is new or open reads the fleet's state before a
 * call (so a worker that started later or missed a message catches up); a closed one costs no Redis command.
 */
export class BreakerRegistry {
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, BreakerEntry>();
  private readonly rotation = new EventEmitter();
  private readonly rotationTimer: NodeJS.Timeout;
  private readonly log: Logger;
  private readonly unlisten: () => void;

  constructor(private readonly options: BreakerRegistryOptions) {
    this.log = options.logger.child({ module: 'ai' });
    this.unlisten =
      options.fleet?.listen({
        onTransition: (transition) => this.applyFleetTransition(transition),
        onResubscribed: () => {
          for (const entry of this.entries.values()) entry.fleetSynced = false;
        },
      }) ?? (() => undefined);
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
   * Whether a call may go through `entry` now. Reads the fleet's state for a breaker that is new or open
   * first; for a half-open one, takes the fleet's probe lease, and answers false when another worker (or
   * another call here) holds it. Redis trouble leaves the breaker to its own, per-process state.
   */
  async admit(entry: BreakerEntry): Promise<boolean> {
    const { fleet } = this.options;
    if (fleet === null) return true;
    if (!entry.fleetSynced || !entry.breaker.closed) await this.syncWithFleet(entry, fleet);
    if (!(entry.breaker.halfOpen && entry.breaker.pendingClose)) return true;
    try {
      return await fleet.tryClaimProbe(entry.key, this.options.timeoutMs + PROBE_LEASE_MARGIN_MS);
    } catch (error) {
      this.log.warn({ err: error, breaker: entry.key }, 'ai breaker probe lease failed; probing anyway');
      return true;
    }
  }

  /** Resolves at `entry`'s next transition, after `maxMs`, or when `signal` aborts, whichever comes first. */
  async nextTransition(entry: BreakerEntry, maxMs: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        entry.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, maxMs));
      signal.addEventListener('abort', done);
      entry.waiters.add(done);
    });
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
    this.unlisten();
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
    const breaker: CircuitBreaker<[ProviderCallInput], string> = new CircuitBreaker(
      (input: ProviderCallInput) => client.complete(input),
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
    if (!entry.applyingFleet) this.announce(entry, state);
  }

  /** Tells the fleet that this worker's breaker opened, or closed after its probe succeeded. */
  private announce(entry: BreakerEntry, state: BreakerState): void {
    const { fleet } = this.options;
    if (fleet === null || state === 'half-open') return;
    const announcing =
      state === 'open'
        ? this.claimOpening(entry, fleet)
        : fleet.announceClosed(entry.key).catch((error: unknown) => {
            this.log.warn({ err: error, breaker: entry.key }, 'ai breaker closing not shared with the fleet');
          });
    // Until the claim is recorded, a call here must not read the fleet's state (it would find no opening).
    entry.fleetSync = announcing.finally(() => {
      entry.fleetSync = null;
    });
  }

  private async claimOpening(entry: BreakerEntry, fleet: BreakerFleet): Promise<void> {
    try {
      const claim = await fleet.claimOpening(entry.key, this.msUntilProbe(entry) ?? 0);
      entry.fleetSynced = true;
      entry.fleetSyncedAt = this.options.now();
      // Another worker's opening stood already: probe at its deadline, like the rest of the fleet.
      if (!claim.created && this.entries.get(entry.key) === entry) {
        this.openUntil(entry, this.options.now() + claim.probeInMs);
      }
    } catch (error) {
      this.log.warn({ err: error, breaker: entry.key }, 'ai breaker opening not shared with the fleet');
    }
  }

  private applyFleetTransition(transition: FleetTransition): void {
    // A breaker made later reads the fleet's state before its first call instead.
    const entry = this.entries.get(transition.key);
    if (entry === undefined) return;
    if (transition.state === 'open') {
      this.openUntil(entry, this.options.now() + transition.probeInMs);
    } else if (!entry.breaker.closed) {
      this.asFleet(entry, () => entry.breaker.close());
    }
  }

  /** Reads the fleet's opening of `entry`, at most once per interval and one read at a time. */
  private async syncWithFleet(entry: BreakerEntry, fleet: BreakerFleet): Promise<void> {
    if (entry.fleetSync !== null) return entry.fleetSync;
    if (entry.fleetSynced && this.options.now() - entry.fleetSyncedAt < FLEET_SYNC_INTERVAL_MS) return;
    entry.fleetSync = this.readFleet(entry, fleet).finally(() => {
      entry.fleetSync = null;
    });
    return entry.fleetSync;
  }

  private async readFleet(entry: BreakerEntry, fleet: BreakerFleet): Promise<void> {
    try {
      const probeInMs = await fleet.fetchProbeInMs(entry.key);
      const now = this.options.now();
      if (probeInMs !== null) this.openUntil(entry, now + probeInMs);
      // No opening stands: the fleet closed (a message was missed) or its probe is due, so this one may probe.
      else if (entry.breaker.opened) this.openUntil(entry, now);
    } catch (error) {
      this.log.warn({ err: error, breaker: entry.key }, 'ai breaker state not read from the fleet');
    } finally {
      entry.fleetSynced = true;
      entry.fleetSyncedAt = this.options.now();
    }
  }

  /**
   * Opens `entry` until `probeAt`, as the fleet says: a closed breaker opens, a half-open one opens again (a
   * probe failed elsewhere), an open one moves its deadline. Deadlines within the tolerance are left alone.
   */
  private openUntil(entry: BreakerEntry, probeAt: number): void {
    const { breaker } = entry;
    const now = this.options.now();
    if (breaker.isShutdown) return;
    const sameDeadline = entry.probeAt !== null && Math.abs(entry.probeAt - probeAt) <= DEADLINE_TOLERANCE_MS;
    if (breaker.opened && sameDeadline) return;
    if (breaker.halfOpen && probeAt - now <= DEADLINE_TOLERANCE_MS) return;
    this.asFleet(entry, () => {
      if (breaker.opened) {
        // opossum arms its reset timer only as it opens: close and open again, unreported.
        entry.realigning = true;
        breaker.close();
      }
      // opossum keeps this very options object and reads resetTimeout from it each time it opens.
      entry.breakerOptions.resetTimeout = Math.max(0, probeAt - now);
      try {
        breaker.open();
      } finally {
        entry.breakerOptions.resetTimeout = this.options.resetTimeoutMs;
      }
    });
  }

  /** Runs a transition the fleet asked for: logged and reported as usual, not announced back. */
  private asFleet(entry: BreakerEntry, apply: () => void): void {
    entry.applyingFleet = true;
    try {
      apply();
    } finally {
      entry.applyingFleet = false;
      entry.realigning = false;
    }
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
