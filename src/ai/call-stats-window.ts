/**
 * Per provider/model call statistics over the last few minutes, for /status. Latencies go into fixed
 * histogram buckets rather than raw samples: memory stays bounded, and histograms from many workers add up
 * exactly, so the fleet's percentiles are computed the same way as one worker's.
 */

/** Upper bounds (ms) of the latency buckets; one more bucket holds everything slower than the last bound. */
export const LATENCY_BUCKET_BOUNDS_MS = [
  50, 100, 250, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 60_000,
] as const;

/** How one provider call ended, as counted here. */
export type CallOutcome =
  | 'success'
  /** A provider fault (timeout, network, 5xx, 429, garbage): counts against the breaker. */
  | 'fault'
  /** Refused because of the request or the key (4xx): the provider is fine. */
  | 'rejected'
  /** Not sent: the breaker was open. */
  | 'short-circuited'
  | 'cancelled';

/** Statistics of one provider/model over the window. */
export interface ProviderCallStats {
  readonly provider: string;
  readonly model: string;
  readonly successes: number;
  readonly faults: number;
  readonly rejected: number;
  readonly shortCircuited: number;
  readonly cancelled: number;
  /** Counts of successful calls per bucket of {@link LATENCY_BUCKET_BOUNDS_MS} (plus the overflow bucket). */
  readonly latencyHistogram: readonly number[];
  /** Bucket bound at or below which half of the successful calls finished; null without successes. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
}

/** Index of the bucket a latency falls in. */
export function findLatencyBucket(latencyMs: number): number {
  const index = LATENCY_BUCKET_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return index === -1 ? LATENCY_BUCKET_BOUNDS_MS.length : index;
}

/**
 * The `quantile` (0–1) of a histogram, as the upper bound of the bucket holding it: an over-estimate by at most
 * one bucket's width. The overflow bucket reports the last bound. Null for an empty histogram.
 */
export function percentileFromHistogram(histogram: readonly number[], quantile: number): number | null {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(quantile * total));
  let cumulative = 0;
  for (const [index, count] of histogram.entries()) {
    cumulative += count;
    if (cumulative >= rank)
      return LATENCY_BUCKET_BOUNDS_MS[Math.min(index, LATENCY_BUCKET_BOUNDS_MS.length - 1)]!;
  }
  return LATENCY_BUCKET_BOUNDS_MS.at(-1)!;
}

interface Counters {
  provider: string;
  model: string;
  successes: number;
  faults: number;
  rejected: number;
  shortCircuited: number;
  cancelled: number;
  latencyHistogram: number[];
}

function emptyCounters(provider: string, model: string): Counters {
  return {
    provider,
    model,
    successes: 0,
    faults: 0,
    rejected: 0,
    shortCircuited: 0,
    cancelled: 0,
    latencyHistogram: new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0),
  };
}

function addInto(target: Counters, source: Omit<ProviderCallStats, 'latencyP50Ms' | 'latencyP95Ms'>): void {
  target.successes += source.successes;
  target.faults += source.faults;
  target.rejected += source.rejected;
  target.shortCircuited += source.shortCircuited;
  target.cancelled += source.cancelled;
  source.latencyHistogram.forEach((count, index) => {
    if (index < target.latencyHistogram.length) target.latencyHistogram[index]! += count;
  });
}

function finish(counters: Counters): ProviderCallStats {
  return {
    ...counters,
    latencyP50Ms: percentileFromHistogram(counters.latencyHistogram, 0.5),
    latencyP95Ms: percentileFromHistogram(counters.latencyHistogram, 0.95),
  };
}

/** Adds up statistics of the same provider/model (from several time slices or several workers). */
export function mergeProviderCallStats(
  stats: ReadonlyArray<Omit<ProviderCallStats, 'latencyP50Ms' | 'latencyP95Ms'>>,
): ProviderCallStats[] {
  const merged = new Map<string, Counters>();
  for (const item of stats) {
    const id = JSON.stringify([item.provider, item.model]);
    let counters = merged.get(id);
    if (!counters) {
      counters = emptyCounters(item.provider, item.model);
      merged.set(id, counters);
    }
    addInto(counters, item);
  }
  return [...merged.values()]
    .map(finish)
    .sort((a, b) => a.provider.localeCompare(b.provider) || a.model.localeCompare(b.model));
}

/**
 * A sliding window of call statistics made of fixed time slices; old slices fall off as time passes. Memory
 * only, one per AiService; the caller passes the time, so it needs no clock of its own.
 */
export class CallStatsWindow {
  /** Slice start (Unix ms) → provider/model id → counters. */
  private readonly slices = new Map<number, Map<string, Counters>>();

  constructor(
    /** How far back statistics reach, in ms. */
    readonly windowMs: number,
    /** Granularity of the window, in ms: statistics leave the window one slice at a time. */
    readonly sliceMs: number,
  ) {}

  record(now: number, provider: string, model: string, outcome: CallOutcome, latencyMs: number): void {
    this.prune(now);
    const sliceStart = Math.floor(now / this.sliceMs) * this.sliceMs;
    let slice = this.slices.get(sliceStart);
    if (!slice) {
      slice = new Map();
      this.slices.set(sliceStart, slice);
    }
    const id = JSON.stringify([provider, model]);
    let counters = slice.get(id);
    if (!counters) {
      counters = emptyCounters(provider, model);
      slice.set(id, counters);
    }
    switch (outcome) {
      case 'success':
        counters.successes += 1;
        counters.latencyHistogram[findLatencyBucket(latencyMs)]! += 1;
        break;
      case 'fault':
        counters.faults += 1;
        break;
      case 'rejected':
        counters.rejected += 1;
        break;
      case 'short-circuited':
        counters.shortCircuited += 1;
        break;
      case 'cancelled':
        counters.cancelled += 1;
        break;
    }
  }

  /** Statistics of every provider/model seen within the window ending at `now`. */
  summarize(now: number): ProviderCallStats[] {
    this.prune(now);
    return mergeProviderCallStats([...this.slices.values()].flatMap((slice) => [...slice.values()]));
  }

  private prune(now: number): void {
    for (const sliceStart of this.slices.keys()) {
      if (sliceStart + this.sliceMs <= now - this.windowMs) this.slices.delete(sliceStart);
    }
  }
}
