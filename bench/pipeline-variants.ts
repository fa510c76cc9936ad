import type { BenchCluster } from './bench-cluster.js';
import type { BenchContext } from './bench-context.js';
import type { PipelineVariantId } from './pipeline-cluster.js';
import { applyBenchRoomContext, restoreBenchPersonalContext } from './room-context.js';
import type { VariantRun } from './scenario-result.js';
import { applyBenchServerSettings, clearBenchServerSettings } from './server-settings.js';

/**
 * A variant of the plain cost and Redis-cost runs: the same load with one thing changed, run with the fair queue
 * just after the plain run, on the same warm workers and with users of its own. Its figures beside the plain
 * run's are what that one thing costs.
 */
export interface PipelineVariant {
  /** Its phases are `cost-<id>` and `redis-<id>`. */
  readonly id: PipelineVariantId;
  /** What changed, as the table and the progress lines say it. */
  readonly label: string;
  /** Whether `--quick` runs it too: one that does not fit the CI smoke's time budget runs in the full bench only. */
  readonly inQuickRun: boolean;
  /** Makes the change before a run; `userIds` are the run's users. */
  readonly apply: (bench: BenchCluster, userIds: readonly string[]) => Promise<void>;
  /** Brings the plain case back after the run (also when it failed), so later phases are unaffected. */
  readonly restore: (bench: BenchCluster) => Promise<void>;
}

/** The variants, in the order they run. */
export const PIPELINE_VARIANTS: readonly PipelineVariant[] = [
  {
    id: 'settings',
    // An allowlist of 20, 5 blocked names: what routing pays for a server's settings (server-settings.ts).
    label: 'server settings present',
    inQuickRun: true,
    apply: (bench) => applyBenchServerSettings(bench),
    restore: clearBenchServerSettings,
  },
  {
    id: 'room',
    // The personalities in room context, each prompt with a full window of chat-length lines (room-context.ts).
    label: 'room context',
    inQuickRun: true,
    apply: applyBenchRoomContext,
    restore: restoreBenchPersonalContext,
  },
];

/** The variants a run measures. */
export function selectPipelineVariants(quick: boolean): readonly PipelineVariant[] {
  return PIPELINE_VARIANTS.filter((variant) => !quick || variant.inQuickRun);
}

/** Runs `measure` with `variant` applied for `userIds`, then restores the plain case. */
export async function measureVariant<T>(
  context: BenchContext,
  bench: BenchCluster,
  variant: PipelineVariant,
  userIds: readonly string[],
  measure: () => Promise<T>,
): Promise<VariantRun<T>> {
  context.progress(`pipeline: fair queue, ${variant.label}`);
  await variant.apply(bench, userIds);
  try {
    return { label: variant.label, run: await measure() };
  } finally {
    await variant.restore(bench);
  }
}
