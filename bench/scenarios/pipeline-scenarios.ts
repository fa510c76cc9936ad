import { performance } from 'node:perf_hooks';
import { buildGatewayEnv } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { selectPhaseUsers, startPipelineCluster } from '../pipeline-cluster.js';
import { measureVariant, type PipelineVariant, selectPipelineVariants } from '../pipeline-variants.js';
import {
  buildInterleavedModes,
  type QueueMode,
  type ScenarioResult,
  type VariantRun,
} from '../scenario-result.js';
import {
  buildCostResult,
  buildCostTiming,
  buildNoopJobCount,
  type CostRun,
  countBullmqNoopCommands,
  measureBullmqNoop,
  measureCost,
  NOOP_COMMAND_JOBS,
  warmUpPipeline,
} from './cost-scenario.js';
import { buildGateWaitResult, type GateWaitRun, measureGateWait } from './gate-wait-scenario.js';
import {
  buildLatencyResult,
  type LatencyRun,
  measureLightLatency,
  measureLoadedLatency,
} from './latency-scenario.js';
import {
  buildRedisBatchSize,
  buildRedisCostResult,
  measureRedisCost,
  type RedisCostRun,
} from './redis-cost-scenario.js';

/** The scenarios sharing the pipeline cluster. */
export type PipelineScenarioId = 'cost' | 'latency' | 'redis' | 'gate';

interface ModeRuns {
  /** The cost runs, in the order of {@link buildCostOrder}. */
  costs: CostRun[];
  /** Loaded latency runs, in the order of buildInterleavedModes; the light one after the first. */
  latency: LatencyRun[];
  latencyLight?: LatencyRun;
  redis?: RedisCostRun;
  gate?: GateWaitRun;
  /** The cost and Redis-cost runs again, once per variant (fair queue only). */
  costVariants: VariantRun<CostRun>[];
  redisVariants: VariantRun<RedisCostRun>[];
}

/**
 * Scenarios 1, 2 and 6 (and the conversation wait, fair mode only) on one system (they need the same one: 1
 * gateway + 2 workers, AI 0 ms, limits off): first the cost runs, modes interleaved (buildInterleavedModes); then, fair
 * queue, the cost variants, Redis cost and its variants and the conversation wait; then Redis cost with FIFO;
 * then the latency runs, modes interleaved (buildInterleavedModes). The gateway is swapped whenever the mode changes.
 * Each phase and mode has its own users. One system instead of one per scenario and mode keeps the quick run
 * within its budget, and both modes run on the same warm workers.
 */
export async function runPipelineScenarios(
  context: BenchContext,
  ids: ReadonlySet<PipelineScenarioId>,
): Promise<ScenarioResult[]> {
  const runs: Record<QueueMode, ModeRuns> = {
    fair: { costs: [], latency: [], costVariants: [], redisVariants: [] },
    fifo: { costs: [], latency: [], costVariants: [], redisVariants: [] },
  };
  const durations: Record<PipelineScenarioId, number> = { cost: 0, latency: 0, redis: 0, gate: 0 };
  const timed = async <T>(id: PipelineScenarioId, run: () => Promise<T>): Promise<T> => {
    const startedAt = performance.now();
    try {
      return await run();
    } finally {
      durations[id] += performance.now() - startedAt;
    }
  };
  const variants = selectPipelineVariants(context.quick);
  {
    await using bench = await startPipelineCluster(context);
    /** Each variant's run of `kind`, its users those of the phase `<kind>-<variant>`. */
    const measureVariants = async <T>(
      kind: 'cost' | 'redis',
      measure: (variant: PipelineVariant) => Promise<T>,
    ): Promise<VariantRun<T>[]> => {
      const measured: VariantRun<T>[] = [];
      for (const variant of variants) {
        const userIds = selectPhaseUsers(bench, `${kind}-${variant.id}`, 'fair');
        measured.push(
          await timed(kind, () => measureVariant(context, bench, variant, userIds, () => measure(variant))),
        );
      }
      return measured;
    };
    let gatewayMode: QueueMode = 'fair';
    // Same workers, same warm system: only the gateway (admission) changes between the modes.
    const useMode = async (mode: QueueMode) => {
      context.progress(
        `pipeline (${[...ids].join(', ')}): ${mode === 'fair' ? 'fair queue' : 'FIFO baseline'}`,
      );
      if (mode === gatewayMode) return;
      await bench.replaceGateway(buildGatewayEnv(mode));
      gatewayMode = mode;
    };
    const costTiming = buildCostTiming(context.quick);
    if (ids.has('cost')) {
      context.progress('pipeline: warming up (the cost load, unmeasured)');
      await timed('cost', () => warmUpPipeline(bench, 2 * costTiming.warmUpMs));
      for (const mode of buildInterleavedModes(context.quick)) {
        await useMode(mode);
        runs[mode].costs.push(await timed('cost', () => measureCost(context, bench, mode, costTiming)));
      }
    }
    for (const mode of ['fair', 'fifo'] as const) {
      if (!ids.has('redis') && !ids.has('gate') && !(ids.has('cost') && mode === 'fair')) continue;
      await useMode(mode);
      const results = runs[mode];
      if (ids.has('cost') && mode === 'fair') {
        results.costVariants = await measureVariants('cost', (variant) =>
          measureCost(context, bench, mode, costTiming, `cost-${variant.id}`),
        );
      }
      if (ids.has('redis')) {
        const messages = buildRedisBatchSize(context.quick);
        results.redis = await timed('redis', () => measureRedisCost(context, bench, mode, messages));
        if (mode === 'fair') {
          results.redisVariants = await measureVariants('redis', (variant) =>
            measureRedisCost(context, bench, mode, messages, `redis-${variant.id}`),
          );
        }
      }
      // Waiting is the workers' business, the same in both modes: measured once.
      if (ids.has('gate') && mode === 'fair') {
        results.gate = await timed('gate', () => measureGateWait(context, bench));
      }
    }
    if (ids.has('latency')) {
      for (const mode of buildInterleavedModes(context.quick)) {
        await useMode(mode);
        const results = runs[mode];
        results.latency.push(
          await timed('latency', () => measureLoadedLatency(context, bench, mode, context.quick)),
        );
        if (results.latencyLight === undefined) {
          results.latencyLight = await timed('latency', () =>
            measureLightLatency(context, bench, mode, context.quick),
          );
        }
      }
    }
  }
  const output: ScenarioResult[] = [];
  if (runs.fair.costs.length > 0 && runs.fifo.costs.length > 0) {
    context.progress('cost: raw BullMQ no-op');
    const noop = await timed('cost', () => measureBullmqNoop(context, buildNoopJobCount(context.quick)));
    const noopCommands = await timed('cost', () => countBullmqNoopCommands(context, NOOP_COMMAND_JOBS));
    output.push(
      buildCostResult(
        { fair: runs.fair.costs, fifo: runs.fifo.costs },
        noop,
        noopCommands,
        runs.fair.costVariants,
        durations.cost,
      ),
    );
  }
  const { latencyLight: fairLight } = runs.fair;
  const { latencyLight: fifoLight } = runs.fifo;
  if (fairLight && fifoLight) {
    output.push(
      buildLatencyResult(
        {
          loaded: { fair: runs.fair.latency, fifo: runs.fifo.latency },
          light: { fair: fairLight, fifo: fifoLight },
        },
        durations.latency,
      ),
    );
  }
  if (runs.fair.redis && runs.fifo.redis)
    output.push(
      buildRedisCostResult(runs.fair.redis, runs.fifo.redis, runs.fair.redisVariants, durations.redis),
    );
  if (runs.fair.gate) output.push(buildGateWaitResult(runs.fair.gate, durations.gate));
  return output;
}
