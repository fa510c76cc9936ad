import { meetsTarget, type Target } from './scenario-result.js';

/**
 * A target stated as a ratio: a figure of Chorus divided by a baseline measured in the same invocation (FIFO
 * BullMQ, raw BullMQ, the machine's ceiling, no flood…). On a shared two-core machine an absolute figure measures
 * the machine; both sides of a ratio see the same machine.
 */
export interface RatioCheck {
  readonly name: string;
  /** Chorus's figure (the numerator). */
  readonly value: number;
  /** The baseline's figure (the denominator), same unit. */
  readonly baseline: number;
  /** What the baseline is, as the table says it ("FIFO", "raw BullMQ"). */
  readonly baselineName: string;
  /** Unit of `value` and `baseline`. */
  readonly unit: string;
  /** `value ÷ baseline`; NaN when the baseline is 0 or was not measured. */
  readonly ratio: number;
  /** The bound on `ratio`; null when the ratio is reported only. */
  readonly target: Target | null;
  /** null when there is no target. */
  readonly pass: boolean | null;
}

/** `value ÷ baseline`, NaN when the baseline is 0 or NaN (nothing to compare with). */
export function divide(value: number, baseline: number): number {
  return baseline === 0 || Number.isNaN(baseline) ? Number.NaN : value / baseline;
}

/** Builds one {@link RatioCheck}. */
export function buildRatioCheck(input: {
  name: string;
  value: number;
  baseline: number;
  baselineName: string;
  unit: string;
  target?: Target | null;
  /** The ratio when it is not `value ÷ baseline`: the median of paired repetitions' ratios. */
  ratio?: number;
}): RatioCheck {
  const ratio = input.ratio ?? divide(input.value, input.baseline);
  const target = input.target ?? null;
  return {
    name: input.name,
    value: input.value,
    baseline: input.baseline,
    baselineName: input.baselineName,
    unit: input.unit,
    ratio,
    target,
    pass: target === null ? null : meetsTarget(ratio, target),
  };
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none or any NaN. */
export function median(values: readonly number[]): number {
  if (values.length === 0 || values.some(Number.isNaN)) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One repetition of an interleaved measurement: Chorus's figure and the baseline's, taken back to back. */
export interface PairedRepetition {
  readonly value: number;
  readonly baseline: number;
}

/**
 * Interleaved repetitions (Chorus, baseline, Chorus, baseline…) summarised as the median of each rep's own ratio:
 * a pair shares whatever else the machine was doing at the time, so the ratio within a pair is the steadier figure,
 * and the median drops one rep spoiled by a neighbour's burst. `value` and `baseline` are the medians of each side.
 */
export function summarizePairedRepetitions(reps: readonly PairedRepetition[]): {
  readonly value: number;
  readonly baseline: number;
  readonly ratio: number;
  readonly ratios: readonly number[];
} {
  const ratios = reps.map((rep) => divide(rep.value, rep.baseline));
  return {
    value: median(reps.map((rep) => rep.value)),
    baseline: median(reps.map((rep) => rep.baseline)),
    ratio: median(ratios),
    ratios,
  };
}
