import { performance } from 'node:perf_hooks';
import { buildGatewayEnv } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { startPipelineCluster } from '../pipeline-cluster.js';
import type { QueueMode, ScenarioResult } from '../scenario-result.js';
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
}

/**
 * Scenarios 1, 2 and 6 (and the conversation wait, fair mode only) on one system (they need the same one: 1 gateway + 2 workers, AI 0 ms, limits off), in
 * the order cost → latency → Redis cost, first with the fair queue, then, after swapping the gateway, with FIFO;
 * each phase and mode with its own users. One system instead of one per scenario and mode keeps the quick run
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
      }
      if (ids.has('latency')) {
        results.latency = await timed('latency', () => measureLatencies(context, bench, mode, context.quick));
      }
      if (ids.has('redis')) {
        results.redis = await timed('redis', () =>
          measureRedisCost(context, bench, mode, buildRedisBatchSize(context.quick)),
        );
      }
      // Waiting is the workers' business, the same in both modes: measured once.
      if (ids.has('gate') && mode === 'fair') {
        results.gate = await timed('gate', () => measureGateWait(context, bench));
      }
    }
  }
  const output: ScenarioResult[] = [];
  if (runs.fair.cost && runs.fifo.cost) {
    context.progress('cost: raw BullMQ no-op');
    const noop = await timed('cost', () => measureBullmqNoop(context, buildNoopJobCount(context.quick)));
    output.push(buildCostResult(runs.fair.cost, runs.fifo.cost, noop, durations.cost));
  }
  if (runs.fair.latency && runs.fifo.latency)
    output.push(buildLatencyResult(runs.fair.latency, runs.fifo.latency, durations.latency));
  if (runs.fair.redis && runs.fifo.redis)
    output.push(buildRedisCostResult(runs.fair.redis, runs.fifo.redis, durations.redis));
  if (runs.fair.gate) output.push(buildGateWaitResult(runs.fair.gate, durations.gate));
  return output;
}
