/**
 * What a worker publishes about its AI calls, how it is stored in a Redis hash, and how the fleet's entries
 * merge for /status. Pure: the publisher and the reader do the I/O.
 */
import { z } from 'zod';
import type { BreakerState } from './breaker-entry.js';
import { OPERATOR_KEY_FINGERPRINT } from './breaker-key.js';
import type { BreakerSnapshot } from './breaker-registry.js';
import { mergeProviderCallStats, type ProviderCallStats } from './call-stats-window.js';

/** One worker's statistics at one heartbeat. */
export interface WorkerStats {
  readonly workerId: string;
  /** Unix ms. */
  readonly updatedAt: number;
  readonly jobsInFlight: number;
  /** Breakers the worker holds; {@link WorkerStats.breakers} lists the most interesting of them. */
  readonly breakerCount: number;
  readonly breakers: readonly BreakerSnapshot[];
  readonly providers: readonly ProviderCallStats[];
}

const STATE_ORDER: Record<BreakerState, number> = { open: 0, 'half-open': 1, closed: 2 };

/**
 * The breakers worth publishing, at most `limit`: not-closed ones first, then the operator-key ones, then those
 * with recent failures. A worker can hold hundreds of per-user breakers; /status needs the troubled ones.
 */
export function selectPublishedBreakers(
  snapshots: readonly BreakerSnapshot[],
  limit: number,
): BreakerSnapshot[] {
  return [...snapshots]
    .sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        Number(b.keyFingerprint === OPERATOR_KEY_FINGERPRINT) -
          Number(a.keyFingerprint === OPERATOR_KEY_FINGERPRINT) ||
        b.failures - a.failures ||
        a.key.localeCompare(b.key),
    )
    .slice(0, limit);
}

/** The hash fields of a {@link WorkerStats}. */
export function buildWorkerStatsFields(stats: WorkerStats): Record<string, string> {
  return {
    workerId: stats.workerId,
    updatedAt: String(stats.updatedAt),
    jobsInFlight: String(stats.jobsInFlight),
    breakerCount: String(stats.breakerCount),
    breakers: JSON.stringify(stats.breakers),
    providers: JSON.stringify(stats.providers),
  };
}

const BreakerSnapshotSchema = z.object({
  key: z.string(),
  provider: z.string(),
  model: z.string(),
  keyFingerprint: z.string(),
  state: z.enum(['closed', 'half-open', 'open']),
  failures: z.number(),
  successes: z.number(),
  rejects: z.number(),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  probeAt: z.number().nullable(),
});

const ProviderCallStatsSchema = z.object({
  provider: z.string(),
  model: z.string(),
  successes: z.number(),
  faults: z.number(),
  rejected: z.number(),
  shortCircuited: z.number(),
  cancelled: z.number(),
  latencyHistogram: z.array(z.number()),
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
});

const jsonOf = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, context) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const WorkerStatsFieldsSchema = z.object({
  workerId: z.string().min(1),
  updatedAt: z.coerce.number().int(),
  jobsInFlight: z.coerce.number().int().min(0),
  breakerCount: z.coerce.number().int().min(0),
  breakers: jsonOf(z.array(BreakerSnapshotSchema)),
  providers: jsonOf(z.array(ProviderCallStatsSchema)),
});

/** Reads a worker's hash back; null when it is missing, partial or from an incompatible version. */
export function parseWorkerStatsFields(fields: Readonly<Record<string, string>>): WorkerStats | null {
  const parsed = WorkerStatsFieldsSchema.safeParse(fields);
  return parsed.success ? parsed.data : null;
}

/** One breaker key across the fleet: each worker has its own breaker for it. */
export interface FleetBreaker {
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  readonly keyFingerprint: string;
  /** The worst state among the workers' breakers. */
  readonly state: BreakerState;
  readonly workersOpen: number;
  readonly workersHalfOpen: number;
  readonly workersClosed: number;
  readonly failures: number;
  readonly successes: number;
  readonly rejects: number;
  /** The slowest worker's p95, ms. */
  readonly latencyP95Ms: number | null;
  /** The earliest probe among open breakers (Unix ms). */
  readonly probeAt: number | null;
}

/** One live worker, as /status lists it. */
export interface FleetWorker {
  readonly workerId: string;
  readonly updatedAt: number;
  readonly jobsInFlight: number;
  readonly breakerCount: number;
}

/** Every live worker's statistics, merged. */
export interface FleetStats {
  /** Unix ms. */
  readonly generatedAt: number;
  readonly workers: readonly FleetWorker[];
  readonly jobsInFlight: number;
  /** Worst first (open, half-open, closed). */
  readonly breakers: readonly FleetBreaker[];
  /** Per provider/model, summed over workers; percentiles recomputed from the summed histograms. */
  readonly providers: readonly ProviderCallStats[];
}

/** Merges workers' statistics for /status. */
export function mergeWorkerStats(workers: readonly WorkerStats[], now: number): FleetStats {
  const breakers = new Map<string, FleetBreaker>();
  for (const snapshot of workers.flatMap((worker) => worker.breakers)) {
    const previous = breakers.get(snapshot.key);
    const workerCounts = {
      workersOpen: Number(snapshot.state === 'open'),
      workersHalfOpen: Number(snapshot.state === 'half-open'),
      workersClosed: Number(snapshot.state === 'closed'),
    };
    if (!previous) {
      breakers.set(snapshot.key, {
        key: snapshot.key,
        provider: snapshot.provider,
        model: snapshot.model,
        keyFingerprint: snapshot.keyFingerprint,
        state: snapshot.state,
        ...workerCounts,
        failures: snapshot.failures,
        successes: snapshot.successes,
        rejects: snapshot.rejects,
        latencyP95Ms: snapshot.latencyP95Ms,
        probeAt: snapshot.probeAt,
      });
      continue;
    }
    breakers.set(snapshot.key, {
      ...previous,
      state: STATE_ORDER[snapshot.state] < STATE_ORDER[previous.state] ? snapshot.state : previous.state,
      workersOpen: previous.workersOpen + workerCounts.workersOpen,
      workersHalfOpen: previous.workersHalfOpen + workerCounts.workersHalfOpen,
      workersClosed: previous.workersClosed + workerCounts.workersClosed,
      failures: previous.failures + snapshot.failures,
      successes: previous.successes + snapshot.successes,
      rejects: previous.rejects + snapshot.rejects,
      latencyP95Ms: maxOrNull(previous.latencyP95Ms, snapshot.latencyP95Ms),
      probeAt: minOrNull(previous.probeAt, snapshot.probeAt),
    });
  }
  return {
    generatedAt: now,
    workers: workers
      .map(({ workerId, updatedAt, jobsInFlight, breakerCount }) => ({
        workerId,
        updatedAt,
        jobsInFlight,
        breakerCount,
      }))
      .sort((a, b) => a.workerId.localeCompare(b.workerId)),
    jobsInFlight: workers.reduce((sum, worker) => sum + worker.jobsInFlight, 0),
    breakers: [...breakers.values()].sort(
      (a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.key.localeCompare(b.key),
    ),
    providers: mergeProviderCallStats(workers.flatMap((worker) => worker.providers)),
  };
}

function maxOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function minOrNull(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
