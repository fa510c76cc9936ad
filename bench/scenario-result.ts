import type { RatioCheck } from './ratio-check.js';

/** Which queue discipline a run used: ours, or plain FIFO BullMQ (`FAIR_QUEUE=false`, same code). */
export type QueueMode = 'fair' | 'fifo';

/**
 * The order of a scenario's paired runs (cost, latency): ABBA-interleaved repetitions (FIFO, fair, fair, FIFO,
 * FIFO, fair), so drift in what the machine does meanwhile falls on both modes alike; repetition k pairs each
 * mode's k-th run, and the median of the pairs' ratios drops one pair spoiled by a neighbour's burst. Three in a
 * full run, one in a quick one.
 */
export function buildInterleavedModes(quick: boolean): readonly QueueMode[] {
  return quick ? ['fifo', 'fair'] : ['fifo', 'fair', 'fair', 'fifo', 'fifo', 'fair'];
}

/** A bound a figure must meet. */
export interface Target {
  readonly op: '<=' | '>=' | '==';
  readonly value: number;
}

/** One figure of a scenario, its target (if it has one) and, where the scenario has a baseline, FIFO's figure. */
export interface Check {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target: Target | null;
  /** The same figure under plain FIFO, measured in the same invocation; null when there is no baseline. */
  readonly fifo: number | null;
  /** `value / fifo`; null without a baseline. */
  readonly ratio: number | null;
  /** null when the figure is reported without a target. */
  readonly pass: boolean | null;
}

/** A run of a scenario's variant (see pipeline-variants.ts): the plain run with one thing changed. */
export interface VariantRun<T> {
  /** What changed, as the table says it. */
  readonly label: string;
  readonly run: T;
}

/** One variant's figure beside the plain run's. */
export interface VariantFigure {
  readonly variant: string;
  readonly value: number;
  /** `value` ÷ the plain run's figure; null when that is 0 or was not measured. */
  readonly ratio: number | null;
}

/** A figure of a scenario's plain run (fair queue) beside the same figure in each of its variants, same run. */
export interface VariantRow {
  readonly name: string;
  readonly unit: string;
  readonly plain: number;
  readonly variants: readonly VariantFigure[];
}

/** Which figure of a run a {@link VariantRow} shows. */
export interface VariantFigureSpec<T> {
  readonly name: string;
  readonly unit: string;
  readonly pick: (run: T) => number;
}

/** One {@link VariantRow} per spec: the plain run's figure, then each variant's with its ratio to it. */
export function buildVariantRows<T>(
  plain: T,
  variants: readonly VariantRun<T>[],
  specs: readonly VariantFigureSpec<T>[],
): VariantRow[] {
  if (variants.length === 0) return [];
  return specs.map(({ name, unit, pick }) => {
    const base = pick(plain);
    return {
      name,
      unit,
      plain: base,
      variants: variants.map(({ label, run }) => {
        const value = pick(run);
        return { variant: label, value, ratio: base === 0 || Number.isNaN(base) ? null : value / base };
      }),
    };
  });
}

/**
 * What happened to the replies of a scenario's messages: the one thing that fails the bench (see exit-code.ts).
 * `lost`: messages owed a reply that never got one nor a notice, once the scenario had waited for them;
 * `doubled`: second replies to a message already answered.
 */
export interface DeliveryCount {
  readonly lost: number;
  readonly doubled: number;
}

/** The counts of several runs added up. */
export function sumDelivery(counts: readonly DeliveryCount[]): DeliveryCount {
  return {
    lost: counts.reduce((sum, count) => sum + count.lost, 0),
    doubled: counts.reduce((sum, count) => sum + count.doubled, 0),
  };
}

/** One scenario's outcome, as written to `bench/results.json`. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** The targets in words. */
  readonly target: string;
  readonly checks: readonly Check[];
  /** The scenario's targets as ratios against a baseline of the same run (see ratio-check.ts). */
  readonly ratios: readonly RatioCheck[];
  /** Lost and doubled replies; null when the scenario does not follow replies one by one or it broke. */
  readonly delivery: DeliveryCount | null;
  /** Everything else measured (per mode, per configuration), for the record. */
  readonly figures: Record<string, unknown>;
  /** The plain run beside its variants, where the scenario has some (see {@link VariantRow}). */
  readonly variantRows: readonly VariantRow[];
  /** Every check with a target passed (and the scenario ran). */
  readonly pass: boolean;
  readonly durationMs: number;
  /** Why the scenario could not run, when it broke. */
  readonly error: string | null;
}

/** Whether `value` meets `target`; a NaN figure (nothing measured) never does. */
export function meetsTarget(value: number, target: Target): boolean {
  if (Number.isNaN(value)) return false;
  switch (target.op) {
    case '<=':
      return value <= target.value;
    case '>=':
      return value >= target.value;
    case '==':
      return value === target.value;
  }
}

/** Builds one {@link Check}. */
export function buildCheck(input: {
  name: string;
  value: number;
  unit: string;
  target?: Target | null;
  fifo?: number | null;
}): Check {
  const target = input.target ?? null;
  const fifo = input.fifo ?? null;
  return {
    name: input.name,
    value: input.value,
    unit: input.unit,
    target,
    fifo,
    ratio: fifo === null || fifo === 0 || Number.isNaN(fifo) ? null : input.value / fifo,
    pass: target === null ? null : meetsTarget(input.value, target),
  };
}

/** Assembles a scenario's result; it passes when every targeted check does. */
export function buildScenarioResult(input: {
  id: string;
  title: string;
  target: string;
  checks: readonly Check[];
  ratios?: readonly RatioCheck[];
  delivery?: DeliveryCount | null;
  figures: Record<string, unknown>;
  variantRows?: readonly VariantRow[];
  durationMs: number;
}): ScenarioResult {
  const ratios = input.ratios ?? [];
  return {
    ...input,
    ratios,
    delivery: input.delivery ?? null,
    variantRows: input.variantRows ?? [],
    pass: [...input.checks, ...ratios].every((check) => check.pass !== false),
    error: null,
  };
}

/** The result of a scenario that broke: it fails, and says why. */
export function buildBrokenResult(
  id: string,
  title: string,
  target: string,
  error: unknown,
  durationMs: number,
): ScenarioResult {
  return {
    id,
    title,
    target,
    checks: [],
    ratios: [],
    delivery: null,
    figures: {},
    variantRows: [],
    pass: false,
    durationMs,
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  };
}
