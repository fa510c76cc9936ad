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
import { buildRatioCheck, divide, summarizePairedRepetitions } from '../ratio-check.js';
import { FIRST_REDIS_CPU_RATIO } from '../redis-cpu-reference.js';
import { fetchRedisCpuSeconds } from '../redis-info.js';
import { type MonitoredCommand, RedisMonitor } from '../redis-monitor.js';
import {
  buildCheck,
  buildScenarioResult,
  buildVariantRows,
  type DeliveryCount,
  type QueueMode,
  type ScenarioResult,
  sumDelivery,
  type VariantRun,
} from '../scenario-result.js';
import { buildScriptNames } from '../script-names.js';
import { buildPerReplyByScript, countCommands, emptyTally, type ScriptCost } from './redis-cost-scenario.js';

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
  /** Messages of the run never answered (after 15 s of waiting once the load stopped), and second replies. */
  readonly delivery: DeliveryCount;
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
  const delivery = tracker.countDelivery(driver.seqs);

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
    delivery,
  };
}

/** What a raw BullMQ no-op job costs: the baseline of the cost ratios. */
export interface NoopRun {
  readonly jobs: number;
  readonly jobsPerSecond: number;
  /** CPU of this process (the producer adding the jobs and the worker running them) per job, ms. */
  readonly cpuMsPerJob: number;
  /** The Redis server's CPU per job, ms. */
  readonly redisCpuMsPerJob: number;
}

/** BullMQ's own Redis commands per no-op job (MONITOR, a smaller batch): the floor of what a job costs. */
export interface NoopCommands {
  readonly jobs: number;
  readonly commandsPerJob: number;
  readonly scriptCommandsPerJob: number;
  readonly perJobByScript: Record<string, ScriptCost>;
}

/**
 * Adds `jobs` no-op jobs (batches of 100, as a producer would) to a fresh queue on the same Redis and runs them
 * with one in-process worker (concurrency 50, as each of our workers); resolves when all are done.
 */
async function runNoopJobs(context: BenchContext, prefix: string, jobs: number): Promise<void> {
  const connection = new Redis(context.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: `bench-${prefix}`,
  });
  const workerConnection = new Redis(context.redisUrl, {
    maxRetriesPerRequest: null,
    connectionName: `bench-${prefix}-worker`,
  });
  const queue = new Queue('noop', { connection, prefix: `{${prefix}}` });
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => {
    finished = resolve;
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
  try {
    for (let added = 0; added < jobs; added += NOOP_BATCH) {
      await queue.addBulk(
        Array.from({ length: Math.min(NOOP_BATCH, jobs - added) }, (_, index) => ({
          name: 'noop',
          data: { n: added + index },
          // As the first reported ratio's baseline ran (FIRST_REDIS_CPU_RATIO): the ratio is against that one.
          opts: { removeOnComplete: { age: 3600 }, priority: 1 },
        })),
      );
    }
    await allDone;
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeysWithPrefix(connection, prefix);
    workerConnection.disconnect();
    connection.disconnect();
  }
}

/** Jobs a no-op producer adds per call. */
const NOOP_BATCH = 100;

/**
 * The cost load, unmeasured, on users of its own: the first measured phase would otherwise pay the processes'
 * compiling of their hot paths (a first fair run read up to twice its variants' CPU per reply run just after it),
 * and fair ÷ FIFO would measure the order of the phases.
 */
export async function warmUpPipeline(bench: BenchCluster, durationMs: number): Promise<void> {
  const userIds = selectPhaseUsers(bench, 'warm-up', 'fair');
  const driver = new ClosedLoopDriver(
    bench.tracker,
    (n) => ({
      userId: userIds[n % userIds.length]!,
      channelId: bench.channelIds[n % bench.channelIds.length]!,
    }),
    IN_FLIGHT,
    'chat',
  );
  driver.start();
  await sleep(durationMs);
  driver.stop();
  await bench.tracker.waitForAll(driver.seqs, 30_000, 'the warm-up replies');
  bench.aiStub.clearRequests();
}

/** Raw BullMQ on the same Redis: CPU of its producer + worker and of Redis per no-op job, and jobs/s. */
export async function measureBullmqNoop(context: BenchContext, jobs: number): Promise<NoopRun> {
  const redis = new Redis(context.redisUrl, { maxRetriesPerRequest: null });
  try {
    const redisBefore = await fetchRedisCpuSeconds(redis);
    const ownBefore = process.cpuUsage();
    const startedAt = performance.now();
    await runNoopJobs(context, `test-${randomUUID()}`, jobs);
    const elapsedMs = performance.now() - startedAt;
    const own = process.cpuUsage(ownBefore);
    const redisCpu = (await fetchRedisCpuSeconds(redis)) - redisBefore;
    return {
      jobs,
      jobsPerSecond: round((jobs * 1000) / elapsedMs, 0),
      cpuMsPerJob: round((own.user + own.system) / 1000 / jobs, 4),
      redisCpuMsPerJob: round((redisCpu * 1000) / jobs, 4),
    };
  } finally {
    redis.disconnect();
  }
}

/** BullMQ's own commands per no-op job, through MONITOR (apart from the CPU run, which MONITOR would slow). */
export async function countBullmqNoopCommands(context: BenchContext, jobs: number): Promise<NoopCommands> {
  const prefix = `test-${randomUUID()}`;
  const listeners = new Set<(command: MonitoredCommand) => void>();
  const monitor = await RedisMonitor.start(context.redisUrl, (command) => {
    for (const listener of listeners) listener(command);
  });
  try {
    const idle = { counts: emptyTally(), elapsedMs: 1 };
    const batch = await countCommands(listeners, prefix, buildScriptNames(), () =>
      runNoopJobs(context, prefix, jobs),
    );
    return {
      jobs,
      commandsPerJob: round(batch.counts.topLevel / jobs, 2),
      scriptCommandsPerJob: round(batch.counts.inScripts / jobs, 2),
      perJobByScript: buildPerReplyByScript(batch, idle, jobs),
    };
  } finally {
    monitor.close();
  }
}

/** Raw BullMQ no-op jobs for the cost scenario, full and quick. */
export function buildNoopJobCount(quick: boolean): number {
  return quick ? 5000 : 20_000;
}

/** No-op jobs counted through MONITOR: the counts per job are the same at any size. */
export const NOOP_COMMAND_JOBS = 500;

/** Each mode's cost runs, in the order of {@link buildInterleavedModes}: repetition k pairs each mode's k-th run. */
export interface CostRuns {
  readonly fair: readonly CostRun[];
  readonly fifo: readonly CostRun[];
}

/**
 * Scenario 1's result: CPU per reply and sustained replies/s, ours vs FIFO (the median of the interleaved pairs'
 * ratios), and against raw BullMQ no-op jobs on the same Redis (our processes' CPU, Redis's CPU, the Redis CPU
 * ratio against the first one reported: each mode's median run), and (fair queue) each variant's figures beside
 * the last plain fair run's.
 */
export function buildCostResult(
  runs: CostRuns,
  noop: NoopRun,
  noopCommands: NoopCommands,
  variants: readonly VariantRun<CostRun>[],
  durationMs: number,
): ScenarioResult {
  const reps = runs.fair.map((fair, index) => ({ fair, fifo: runs.fifo[index]! }));
  const paired = (pick: (run: CostRun) => number) =>
    summarizePairedRepetitions(reps.map((rep) => ({ value: pick(rep.fair), baseline: pick(rep.fifo) })));
  const cpu = paired((run) => run.cpuMsPerReply);
  const redisCpu = paired((run) => run.redisCpuMsPerReply);
  const repliesPerSecond = paired((run) => run.repliesPerSecond);
  const fair = runs.fair.at(-1)!;
  const redisCpuRatio = divide(redisCpu.value, noop.redisCpuMsPerJob);
  const reference = FIRST_REDIS_CPU_RATIO;
  return buildScenarioResult({
    id: 'cost',
    title: `Cost: 1 gateway + 2 workers, AI 0 ms, sandbox limits off, closed loop (median of ${reps.length} interleaved repetitions); raw BullMQ no-op jobs`,
    target: 'CPU per reply fair ÷ FIFO ≤ 1.10, ÷ raw BullMQ job ≤ 8; Redis CPU ratio ≤ half the first one',
    checks: [
      buildCheck({ name: 'CPU per reply', value: cpu.value, unit: 'ms', fifo: cpu.baseline }),
      buildCheck({ name: 'Redis CPU per reply', value: redisCpu.value, unit: 'ms', fifo: redisCpu.baseline }),
      buildCheck({
        name: 'sustained replies/s',
        value: repliesPerSecond.value,
        unit: '/s',
        fifo: repliesPerSecond.baseline,
      }),
      buildCheck({ name: 'raw BullMQ no-op jobs/s', value: noop.jobsPerSecond, unit: '/s' }),
      buildCheck({ name: 'raw BullMQ commands sent per job', value: noopCommands.commandsPerJob, unit: '' }),
      buildCheck({
        name: 'raw BullMQ commands in Lua per job',
        value: noopCommands.scriptCommandsPerJob,
        unit: '',
      }),
    ],
    ratios: [
      buildRatioCheck({
        name: `CPU per reply, fair ÷ FIFO, median of ${reps.length}`,
        value: cpu.value,
        baseline: cpu.baseline,
        baselineName: 'FIFO',
        unit: 'ms',
        ratio: cpu.ratio,
        target: { op: '<=', value: 1.1 },
      }),
      buildRatioCheck({
        name: 'CPU per reply (gateway + workers) ÷ per no-op job (producer + worker)',
        value: cpu.value,
        baseline: noop.cpuMsPerJob,
        baselineName: 'raw BullMQ',
        unit: 'ms',
        target: { op: '<=', value: 8 },
      }),
      buildRatioCheck({
        name: 'Redis CPU per reply ÷ per no-op job',
        value: redisCpu.value,
        baseline: noop.redisCpuMsPerJob,
        baselineName: 'raw BullMQ',
        unit: 'ms',
      }),
      buildRatioCheck({
        name: `that ratio ÷ the first one (${reference.measuredAt}, ${reference.commit})`,
        value: redisCpuRatio,
        baseline: reference.ratio,
        baselineName: 'first ratio',
        unit: '×',
        target: { op: '<=', value: 0.5 },
      }),
    ],
    delivery: sumDelivery(
      [...runs.fair, ...runs.fifo, ...variants.map(({ run }) => run)].map((run) => run.delivery),
    ),
    figures: {
      fair: runs.fair,
      fifo: runs.fifo,
      cpuRatioPerRepetition: cpu.ratios,
      fairVariants: Object.fromEntries(variants.map(({ label, run }) => [label, run])),
      bullmqNoop: noop,
      bullmqNoopCommands: noopCommands,
      firstRedisCpuRatio: reference,
      inFlight: IN_FLIGHT,
    },
    variantRows: buildVariantRows(fair, variants, [
      { name: 'CPU per reply (gateway + workers)', unit: 'ms', pick: (run) => run.cpuMsPerReply },
      // The variants run on the processes of the last fair run (the interleaved order ends with fair).
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
