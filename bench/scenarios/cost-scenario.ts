import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '../../tests/support/redis.js';
import type { BenchCluster } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { ClosedLoopDriver } from '../closed-loop-driver.js';
import { type CostPhase, selectPhaseUsers } from '../pipeline-cluster.js';
import type { PromptWindowSummary } from '../prompt-window.js';
import { fetchRedisCpuSeconds } from '../redis-info.js';
import {
  buildCheck,
  buildScenarioResult,
  buildVariantRows,
  type QueueMode,
  type ScenarioResult,
  type VariantRun,
} from '../scenario-result.js';

/** Figures of one cost run (one queue mode). */
export interface CostRun {
  readonly mode: QueueMode;
  readonly windowMs: number;
  /** The window on the monotonic clock (`process.hrtime`, µs), to cut CPU profiles to it. */
  readonly windowUs: { readonly from: number; readonly to: number };
  readonly replies: number;
  readonly repliesPerSecond: number;
  /** CPU of gateway + workers over the window, per reply. */
  readonly cpuMsPerReply: number;
  /** Replies/s two cores would give if Chorus had them to itself: 2000 ms ÷ CPU per reply. */
  readonly twoCoreCeilingPerSecond: number;
  readonly cpuMsPerReplyByProcess: Record<string, number>;
  /** This process (Discord sandbox + AI stub) and Redis, per reply: where the rest of the two cores went. */
  readonly sandboxAndStubCpuMsPerReply: number;
  readonly redisCpuMsPerReply: number;
  /** The channel's lines in the prompts of the window (none in personal context). */
  readonly prompts: PromptWindowSummary;
}

/** Timing of {@link measureCost}. */
export interface CostTiming {
  readonly warmUpMs: number;
  readonly windowMs: number;
}

/** Messages kept unanswered: enough to keep two workers' 50 slots each busy, few enough not to queue. */
const IN_FLIGHT = 200;

/** The cost scenario's timing in a full and a quick run. */
export function buildCostTiming(quick: boolean): CostTiming {
  return quick ? { warmUpMs: 2000, windowMs: 3000 } : { warmUpMs: 5000, windowMs: 10_000 };
}

/**
 * Runs a closed-loop load of chat-length messages against the pipeline cluster (1 gateway + 2 workers, AI 0 ms,
 * sandbox limits off) and measures CPU per reply over a window after a warm-up. `phase` picks the users:
 * `cost-<variant>` for a variant's run (the caller applies it first).
 */
export async function measureCost(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  options: CostTiming,
  phase: CostPhase = 'cost',
): Promise<CostRun> {
  const { tracker, channelIds, aiStub } = bench;
  const userIds = selectPhaseUsers(bench, phase, mode);
  const driver = new ClosedLoopDriver(
    tracker,
    (n) => ({ userId: userIds[n % userIds.length]!, channelId: channelIds[n % channelIds.length]! }),
    IN_FLIGHT,
    'chat',
  );
  driver.start();
  await sleep(options.warmUpMs);
  // From here on, the window's prompts only (see takePromptWindows).
  aiStub.clearRequests();
  const before = await bench.sample();
  const redisBefore = await fetchRedisCpuSeconds(bench.redis);
  const ownBefore = process.cpuUsage();
  const from = performance.now();
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  await sleep(options.windowMs);
  const to = performance.now();
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const ownCpu = process.cpuUsage(ownBefore);
  const redisAfter = await fetchRedisCpuSeconds(bench.redis);
  const after = await bench.sample();
  const prompts = bench.takePromptWindows();
  driver.stop();
  const replies = tracker.repliesBetween(from, to);
  await tracker
    .waitForAll(driver.seqs, 15_000, 'the last cost replies')
    .catch((error: unknown) => context.progress(`  cost: ${String(error)}`));

  const byProcess: Record<string, number> = {};
  let cpuSeconds = 0;
  for (const [name, sample] of after) {
    const delta = sample.cpuSeconds - (before.get(name)?.cpuSeconds ?? Number.NaN);
    cpuSeconds += delta;
    byProcess[name] = round((delta * 1000) / replies, 3);
  }
  const windowMs = to - from;
  return {
    mode,
    windowMs: Math.round(windowMs),
    windowUs: { from: fromUs, to: toUs },
    replies,
    repliesPerSecond: round((replies * 1000) / windowMs, 1),
    cpuMsPerReply: round((cpuSeconds * 1000) / replies, 3),
    twoCoreCeilingPerSecond: Math.round((2 * replies) / cpuSeconds),
    cpuMsPerReplyByProcess: byProcess,
    sandboxAndStubCpuMsPerReply: round((ownCpu.user + ownCpu.system) / 1000 / replies, 3),
    redisCpuMsPerReply: round(((redisAfter - redisBefore) * 1000) / replies, 3),
    prompts,
  };
}

/** Raw BullMQ on the same Redis: jobs with an empty processor, processed per second by one in-process worker. */
export async function measureBullmqNoop(
  context: BenchContext,
  jobs: number,
): Promise<{ jobs: number; jobsPerSecond: number }> {
  const prefix = `test-${randomUUID()}`;
  const connection = new Redis(context.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: `bench-${prefix}`,
  });
  const queue = new Queue('noop', { connection, prefix: `{${prefix}}` });
  try {
    for (let added = 0; added < jobs; added += 1000) {
      const batch = Array.from({ length: Math.min(1000, jobs - added) }, (_, index) => ({
        name: 'noop',
        data: { n: added + index },
        opts: { removeOnComplete: { age: 3600 }, priority: 1 },
      }));
      await queue.addBulk(batch);
    }
    let done = 0;
    let finished: () => void = () => undefined;
    const allDone = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const startedAt = performance.now();
    const workerConnection = new Redis(context.redisUrl, {
      maxRetriesPerRequest: null,
      connectionName: `bench-${prefix}-worker`,
    });
    const worker = new Worker('noop', async () => undefined, {
      connection: workerConnection,
      prefix: `{${prefix}}`,
      concurrency: 50,
    });
    worker.on('completed', () => {
      done += 1;
      if (done === jobs) finished();
    });
    await allDone;
    const elapsedMs = performance.now() - startedAt;
    await worker.close();
    workerConnection.disconnect();
    return { jobs, jobsPerSecond: round((jobs * 1000) / elapsedMs, 0) };
  } finally {
    await queue.close();
    await deleteKeysWithPrefix(connection, prefix);
    connection.disconnect();
  }
}

/** Raw BullMQ no-op jobs for the cost scenario, full and quick. */
export function buildNoopJobCount(quick: boolean): number {
  return quick ? 5000 : 20_000;
}

/**
 * Scenario 1's result: CPU per reply and sustained replies/s, ours vs FIFO, plus raw BullMQ no-op throughput,
 * and (fair queue) each variant's figures beside the plain run's.
 */
export function buildCostResult(
  fair: CostRun,
  fifo: CostRun,
  bullmq: { jobs: number; jobsPerSecond: number },
  variants: readonly VariantRun<CostRun>[],
  durationMs: number,
): ScenarioResult {
  return buildScenarioResult({
    id: 'cost',
    title: 'Cost: 1 gateway + 2 workers, AI 0 ms, sandbox limits off, closed loop',
    target: '≤ 2 ms CPU (gateway + workers) per reply',
    checks: [
      buildCheck({
        name: 'CPU per reply',
        value: fair.cpuMsPerReply,
        unit: 'ms',
        target: { op: '<=', value: 2 },
        fifo: fifo.cpuMsPerReply,
      }),
      buildCheck({
        name: 'sustained replies/s',
        value: fair.repliesPerSecond,
        unit: '/s',
        fifo: fifo.repliesPerSecond,
      }),
      buildCheck({ name: 'raw BullMQ no-op jobs/s', value: bullmq.jobsPerSecond, unit: '/s' }),
    ],
    figures: {
      fair,
      fifo,
      fairVariants: Object.fromEntries(variants.map(({ label, run }) => [label, run])),
      bullmqNoop: bullmq,
      inFlight: IN_FLIGHT,
    },
    variantRows: buildVariantRows(fair, variants, [
      { name: 'CPU per reply (gateway + workers)', unit: 'ms', pick: (run) => run.cpuMsPerReply },
      // The same processes in every fair-queue run: the FIFO phase comes after, with its own gateway.
      ...Object.keys(fair.cpuMsPerReplyByProcess).map((name) => ({
        name: `CPU per reply, ${name}`,
        unit: 'ms',
        pick: (run: CostRun) => run.cpuMsPerReplyByProcess[name] ?? Number.NaN,
      })),
      { name: 'Redis CPU per reply', unit: 'ms', pick: (run) => run.redisCpuMsPerReply },
      { name: 'sustained replies/s', unit: '/s', pick: (run) => run.repliesPerSecond },
      { name: 'channel lines per prompt', unit: '', pick: (run) => run.prompts.meanChannelLines },
      { name: 'channel lines per prompt, fewest', unit: '', pick: (run) => run.prompts.fewestChannelLines },
      { name: 'characters per channel line', unit: '', pick: (run) => run.prompts.meanCharsPerChannelLine },
    ]),
    durationMs,
  });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
