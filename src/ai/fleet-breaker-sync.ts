import { randomUUID } from 'node:crypto';
import type { Logger } from '../log/index.js';
import type { BreakerEntry, BreakerState } from './breaker-entry.js';
import type { BreakerFleet, FleetOpening, FleetTransition } from './breaker-fleet.js';

/** Options of {@link FleetBreakerSync} (the registry fills every one). */
export interface FleetBreakerSyncOptions {
  fleet: BreakerFleet;
  /** The registry's live breakers; a transition for a breaker not among them is ignored. */
  entries: ReadonlyMap<string, BreakerEntry>;
  /** The configured reset timeout, ms: opossum's option goes back to it after each fleet opening. */
  resetTimeoutMs: number;
  /** How long a probe lease lasts, ms (the probe's timeout and a margin). */
  probeLeaseMs: number;
  now: () => number;
  log: Logger;
}

/** The fleet's open key is read at most this often per breaker (when new or open). */
const FLEET_SYNC_INTERVAL_MS = 250;
/**
 * Deadlines of one opening closer than this count as the same, and an opening due within it as due: workers'
 * reset timers and the open key's expiry differ by message and round-trip latency.
 */
const DEADLINE_TOLERANCE_MS = 250;

/**
 * Keeps one worker's breakers in step with the fleet's. Announces this worker's openings and successful probes
 * through the {@link BreakerFleet}; applies the others' to the opossum breakers (an opening, at its probe
 * deadline; a close); reads the fleet's open key for a breaker that is new or open (a worker that started
 * later, or missed a message, catches up before its next call); and hands out the probe lease. Redis trouble
 * leaves each breaker to its own, per-process state.
 */
export class FleetBreakerSync {
  private readonly unlisten: () => void;

  constructor(private readonly options: FleetBreakerSyncOptions) {
    this.unlisten = options.fleet.listen({
      onTransition: (transition) => this.apply(transition),
      onResubscribed: () => {
        for (const entry of options.entries.values()) entry.fleetSynced = false;
      },
    });
  }

  /**
   * Whether a call may go through `entry` now. Reads the fleet's state first for a breaker that is new or
   * open; for a half-open one, takes the probe lease, and answers false when another worker (or another call
   * here) holds it or the fleet opened again.
   */
  async admit(entry: BreakerEntry): Promise<boolean> {
    if (!entry.fleetSynced || !entry.breaker.closed) await this.sync(entry);
    if (!(entry.breaker.halfOpen && entry.breaker.pendingClose)) return true;
    try {
      const claim = await this.options.fleet.tryClaimProbe(
        entry.key,
        this.options.probeLeaseMs,
        DEADLINE_TOLERANCE_MS,
      );
      if (claim.opening !== null) this.follow(entry, claim.opening);
      return claim.acquired;
    } catch (error) {
      this.options.log.warn(
        { err: error, breaker: entry.key },
        'ai breaker probe lease failed; probing anyway',
      );
      return true;
    }
  }

  /** Tells the fleet that this worker's breaker opened, or closed after its probe succeeded. */
  announce(entry: BreakerEntry, state: BreakerState): void {
    if (state === 'half-open') return;
    const { fleet, log } = this.options;
    let announcing: Promise<void>;
    if (state === 'open') {
      entry.openingId = randomUUID();
      announcing = this.claimOpening(entry, entry.openingId);
    } else {
      announcing = fleet.announceClosed(entry.key, entry.openingId ?? '').catch((error: unknown) => {
        log.warn({ err: error, breaker: entry.key }, 'ai breaker closing not shared with the fleet');
      });
    }
    // Until the claim is recorded, a call here must not read the fleet's state (it would find no opening).
    entry.fleetSync = announcing.finally(() => {
      entry.fleetSync = null;
    });
  }

  /** Stops applying the fleet's transitions. */
  close(): void {
    this.unlisten();
  }

  private async claimOpening(entry: BreakerEntry, openingId: string): Promise<void> {
    const { fleet, now } = this.options;
    try {
      const claim = await fleet.claimOpening(entry.key, openingId, Math.max(0, (entry.probeAt ?? 0) - now()));
      entry.fleetSynced = true;
      entry.fleetSyncedAt = now();
      // Another worker's opening stood already: this one is the same outage, so it takes that deadline quietly.
      if (!claim.created && entry.openingId === openingId && this.options.entries.get(entry.key) === entry) {
        entry.openingId = claim.opening.id;
        this.moveDeadline(entry, now() + claim.opening.probeInMs);
      }
    } catch (error) {
      this.options.log.warn(
        { err: error, breaker: entry.key },
        'ai breaker opening not shared with the fleet',
      );
    }
  }

  private apply(transition: FleetTransition): void {
    // A breaker made later reads the fleet's state before its first call instead.
    const entry = this.options.entries.get(transition.key);
    if (entry === undefined) return;
    if (transition.state === 'open') {
      this.follow(entry, transition.opening);
    } else if (transition.openingId === entry.openingId && !entry.breaker.closed) {
      this.asFleet(entry, () => entry.breaker.close());
    }
  }

  /** Reads the fleet's opening of `entry`, at most once per interval and one read at a time. */
  private async sync(entry: BreakerEntry): Promise<void> {
    if (entry.fleetSync !== null) return entry.fleetSync;
    if (entry.fleetSynced && this.options.now() - entry.fleetSyncedAt < FLEET_SYNC_INTERVAL_MS) return;
    entry.fleetSync = this.read(entry).finally(() => {
      entry.fleetSync = null;
    });
    return entry.fleetSync;
  }

  private async read(entry: BreakerEntry): Promise<void> {
    try {
      const opening = await this.options.fleet.fetchOpening(entry.key);
      if (opening !== null) this.follow(entry, opening);
      // No opening stands: the fleet closed (a message was missed) or its probe is due, so this one may probe.
      else this.moveDeadline(entry, this.options.now());
    } catch (error) {
      this.options.log.warn({ err: error, breaker: entry.key }, 'ai breaker state not read from the fleet');
    } finally {
      entry.fleetSynced = true;
      entry.fleetSyncedAt = this.options.now();
    }
  }

  /**
   * Follows a fleet opening. The one `entry` already follows only moves an open breaker's deadline; a new one
   * (a first opening, or a probe failed elsewhere) opens it until the new deadline, reported as an opening.
   */
  private follow(entry: BreakerEntry, opening: FleetOpening): void {
    const probeAt = this.options.now() + opening.probeInMs;
    if (opening.id === entry.openingId) {
      this.moveDeadline(entry, probeAt);
      return;
    }
    if (entry.breaker.isShutdown) return;
    entry.openingId = opening.id;
    this.asFleet(entry, () => {
      if (entry.breaker.opened) this.closeQuietly(entry);
      this.openUntil(entry, probeAt);
    });
  }

  /** Moves an open breaker's probe deadline to `probeAt`, unreported; a small difference is left alone. */
  private moveDeadline(entry: BreakerEntry, probeAt: number): void {
    const { breaker } = entry;
    if (breaker.isShutdown || !breaker.opened) return;
    if (entry.probeAt !== null && Math.abs(entry.probeAt - probeAt) <= DEADLINE_TOLERANCE_MS) return;
    entry.realigning = true;
    try {
      this.closeQuietly(entry);
      this.openUntil(entry, probeAt);
    } finally {
      entry.realigning = false;
    }
  }

  /** opossum arms its reset timer only as it opens: an open breaker is closed, unreported, to open again. */
  private closeQuietly(entry: BreakerEntry): void {
    const wasRealigning = entry.realigning;
    entry.realigning = true;
    try {
      entry.breaker.close();
    } finally {
      entry.realigning = wasRealigning;
    }
  }

  private openUntil(entry: BreakerEntry, probeAt: number): void {
    // opossum keeps this very options object and reads resetTimeout from it each time it opens.
    entry.breakerOptions.resetTimeout = Math.max(0, probeAt - this.options.now());
    try {
      entry.breaker.open();
    } finally {
      entry.breakerOptions.resetTimeout = this.options.resetTimeoutMs;
    }
  }

  /** Runs a transition the fleet asked for: logged and reported as usual, not announced back. */
  private asFleet(entry: BreakerEntry, apply: () => void): void {
    entry.applyingFleet = true;
    try {
      apply();
    } finally {
      entry.applyingFleet = false;
    }
  }
}
