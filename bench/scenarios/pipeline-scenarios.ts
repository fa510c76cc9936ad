import { performance } from 'node:perf_hooks';
import { type BenchCluster, buildGatewayEnv } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { startPipelineCluster } from '../pipeline-cluster.js';
import type { QueueMode, ScenarioResult } from '../scenario-result.js';
import { applyBenchServerSettings, clearBenchServerSettings } from '../server-settings.js';
import {
  buildCostResult,
  buildCostTiming,
  buildNoopJobCount,
  type CostRun,
  measureBullmqNoop,
  measureCost,
} from './cost-scenario.js';
import { buildGateWaitResult, type GateWaitRun, measureGateWait } from './gate-wait-scenario.js';
import { buildLatencyResult, type LatencyRun, measureLatencies } from './latency-scenario.js';
import {
  buildRedisBatchSize,
  buildRedisCostResult,
  measureRedisCost,
  type RedisCostRun,
} from './redis-cost-scenario.js';

/** The scenarios sharing the pipeline cluster. */
export type PipelineScenarioId = 'cost' | 'latency' | 'redis' | 'gate';

interface ModeRuns {
  cost?: CostRun;
  latency?: { loaded: LatencyRun; light: LatencyRun };
  redis?: RedisCostRun;
  gate?: GateWaitRun;
  /** The cost and Redis-cost runs again with server settings in the guild (fair queue only). */
  costWithSettings?: CostRun;
  redisWithSettings?: RedisCostRun;
}

/**
 * Scenarios 1, 2 and 6 (and the conversation wait, fair mode only) on one system (they need the same one: 1 gateway + 2 workers, AI 0 ms, limits off), in
 * the order cost → latency → Redis cost, first with the fair queue, then, after swapping the gateway, with FIFO;
 * each phase and mode with its own users. With the fair queue, cost and Redis cost each run a second time just
 * after the plain case, with server settings in the guild (see {@link withServerSettings}). One system instead of one per scenario and mode keeps the quick run
 * within its budget, and both modes run on the same warm workers.
 */
export async function runPipelineScenarios(
  context: BenchContext,
  ids: ReadonlySet<PipelineScenarioId>,
): Promise<ScenarioResult[]> {
  const runs: Record<QueueMode, ModeRuns> = { fair: {}, fifo: {} };
  const durations: Record<PipelineScenarioId, number> = { cost: 0, latency: 0, redis: 0, gate: 0 };
  const timed = async <T>(id: PipelineScenarioId, run: () => Promise<T>): Promise<T> => {
    const startedAt = performance.now();
    try {
      return await run();
    } finally {
      durations[id] += performance.now() - startedAt;
    }
  };
  {
    await using bench = await startPipelineCluster(context);
    for (const mode of ['fair', 'fifo'] as const) {
      context.progress(
        `pipeline (${[...ids].join(', ')}): ${mode === 'fair' ? 'fair queue' : 'FIFO baseline'}`,
      );
      // Same workers, same warm system: only the gateway (admission) changes between the modes.
      if (mode === 'fifo') await bench.replaceGateway(buildGatewayEnv('fifo'));
      const results = runs[mode];
      if (ids.has('cost')) {
        results.cost = await timed('cost', () =>
          measureCost(context, bench, mode, buildCostTiming(context.quick)),
        );
        if (mode === 'fair') {
          results.costWithSettings = await timed('cost', () =>
            withServerSettings(context, bench, () =>
              measureCost(context, bench, mode, buildCostTiming(context.quick), 'cost-settings'),
            ),
          );
        }
      }
      if (ids.has('latency')) {
        results.latency = await timed('latency', () => measureLatencies(context, bench, mode, context.quick));
      }
      if (ids.has('redis')) {
        results.redis = await timed('redis', () =>
          measureRedisCost(context, bench, mode, buildRedisBatchSize(context.quick)),
        );
        if (mode === 'fair') {
          results.redisWithSettings = await timed('redis', () =>
            withServerSettings(context, bench, () =>
              measureRedisCost(context, bench, mode, buildRedisBatchSize(context.quick), 'redis-settings'),
            ),
          );
        }
      }
      // Waiting is the workers' business, the same in both modes: measured once.
      if (ids.has('gate') && mode === 'fair') {
        results.gate = await timed('gate', () => measureGateWait(context, bench));
      }
    }
  }
  const output: ScenarioResult[] = [];
  if (runs.fair.cost && runs.fifo.cost && runs.fair.costWithSettings) {
    context.progress('cost: raw BullMQ no-op');
    const noop = await timed('cost', () => measureBullmqNoop(context, buildNoopJobCount(context.quick)));
    output.push(
      buildCostResult(runs.fair.cost, runs.fifo.cost, noop, runs.fair.costWithSettings, durations.cost),
    );
  }
  if (runs.fair.latency && runs.fifo.latency)
    output.push(buildLatencyResult(runs.fair.latency, runs.fifo.latency, durations.latency));
  if (runs.fair.redis && runs.fifo.redis && runs.fair.redisWithSettings)
    output.push(
      buildRedisCostResult(runs.fair.redis, runs.fifo.redis, runs.fair.redisWithSettings, durations.redis),
    );
  if (runs.fair.gate) output.push(buildGateWaitResult(runs.fair.gate, durations.gate));
  return output;
}

/**
 * Runs `measure` with the bench guild's server settings present (an allowlist of 20, 5 blocked names), then
 * removes them: the difference from the plain run beside it is what routing pays for a server's settings.
 */
async function withServerSettings<T>(
  context: BenchContext,
  bench: BenchCluster,
  measure: () => Promise<T>,
): Promise<T> {
  context.progress('pipeline: fair queue, server settings present');
  await applyBenchServerSettings(bench);
  try {
    return await measure();
  } finally {
    await clearBenchServerSettings(bench);
  }
}
