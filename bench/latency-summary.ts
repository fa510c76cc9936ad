/** Percentiles of a set of durations, in ms. Pure: the bench's figures are computed here and nowhere else. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Summarises durations (ms) with nearest-rank percentiles: p95 of 20 values is the 19th smallest, a value that
 * was actually measured rather than an interpolation between two. Empty input gives NaN figures, which the
 * table prints as "n/a" and every target check treats as a miss.
 */
export function summarizeLatencies(values: readonly number[]): LatencySummary {
  if (values.length === 0)
    return { count: 0, p50: Number.NaN, p95: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (fraction: number) =>
    sorted[Math.min(sorted.length, Math.max(1, Math.ceil(fraction * sorted.length))) - 1]!;
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: rank(0.5),
    p95: rank(0.95),
    p99: rank(0.99),
    max: sorted.at(-1)!,
    mean: total / sorted.length,
  };
}
