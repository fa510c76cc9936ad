import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChorusProcess } from '../../scripts/cluster/local-cluster.js';
import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { sendPaced } from '../paced-sender.js';
import { fetchProcessSample, type ProcessSample } from '../process-metrics.js';
import { fetchRedisCpuSeconds } from '../redis-info.js';
import { buildCheck, buildScenarioResult, type QueueMode, type ScenarioResult } from '../scenario-result.js';

/** Figures of one capacity run. */
export interface CapacityRun {
  readonly mode: QueueMode;
  readonly concurrency: number;
  readonly aiLatencyMs: number;
  readonly offeredPerSecond: number;
  readonly sent: number;
  /** Replies per second over the steady window (every slot busy, a backlog waiting). */
  readonly repliesPerSecond: number;
  /** Offered → last reply, ms. */
  readonly totalMs: number;
  /** concurrency ÷ AI latency: what Little's law allows. */
  readonly idealPerSecond: number;
  readonly percentOfIdeal: number;
  readonly windowMs: number;
  /** Peak resident memory of the worker (Linux VmHWM), MB. */
  readonly workerPeakRssMb: number;
  /** The worker's resident memory once started and warmed up, before the load (every module loaded), MB. */
  readonly workerIdleRssMb: number;
  /** (peak − idle) ÷ concurrency: memory per job in flight, KB. */
  readonly kbPerJobInFlight: number;
  /** Largest V8 heap used and external memory seen while loaded (scraped every second), MB: what the RSS holds. */
  readonly workerMaxHeapUsedMb: number;
  readonly workerMaxExternalMb: number;
  /**
   * CPU (user + system) from the first message to the last reply ÷ replies, ms, per party: who fills the two
   * cores. Background work while the system waits (the first wave, the tail) counts too, so the figures are a
   * little above the steady state's, more so in the quick run.
   */
  readonly cpuMsPerReply: CapacityCpu;
  /** 2,000 ms ÷ the whole machine's CPU per reply: the replies/s two cores allow at this cost. */
  readonly twoCoreCeilingPerSecond: number;
}

/** CPU per reply of each party of a capacity run, ms. */
export interface CapacityCpu {
  readonly worker: number;
  /**
   * Of the worker's: its main thread's garbage-collection pauses (what a heap budget trades RSS for; the
   * collector's concurrent threads count in `worker` only).
   */
  readonly workerGc: number;
  readonly gateway: number;
  /** This process: the Discord sandbox, the AI stub and the reply tracker. */
  readonly sandboxAndStub: number;
  /** The whole Redis server's: anyone else using it meanwhile counts too. */
  readonly redis: number;
  readonly total: number;
}

/** The scenario's shape: the brief's in a full run, a fifth of it in a quick one. */
interface CapacityShape {
  readonly aiLatencyMs: number;
  readonly concurrency: number;
  /** Offered load above the ideal, so a backlog builds and keeps every slot busy. */
  readonly offeredPerSecond: number;
  readonly messages: number;
}

const FULL: CapacityShape = { aiLatencyMs: 2000, concurrency: 1000, offeredPerSecond: 700, messages: 6000 };
const QUICK: CapacityShape = { aiLatencyMs: 500, concurrency: 100, offeredPerSecond: 300, messages: 500 };
const USERS = 3000;
const CHANNELS = 20;
/** How often the worker's heap is scraped during a run; each scrape costs the worker a little CPU. */
const SAMPLE_EVERY_MS = 1000;

/**
 * Sends `total` messages, waits for every reply, and measures throughput between the concurrency-th reply
 * (the first wave is over) and the concurrency-th from last (until then at least `concurrency` jobs remained,
 * so every slot was busy).
 */
async function measureCapacity(
  bench: BenchCluster,
  mode: QueueMode,
  shape: CapacityShape,
): Promise<CapacityRun> {
  const { aiLatencyMs, concurrency, offeredPerSecond, messages: total } = shape;
  const idealPerSecond = (concurrency * 1000) / aiLatencyMs;
  const { tracker, userIds, channelIds } = bench;
  const worker = bench.processes('worker')[0]!;
  const gateway = bench.processes('gateway')[0]!;
  const cpuBefore = await sampleCpu(bench, worker, gateway);
  const idleRss = cpuBefore.worker.rssBytes;
  await bench.resetPeakRss(worker);
  // FIFO runs second on the same users: shifted half-way round the channels, into fresh conversations.
  const channelShift = mode === 'fair' ? 0 : CHANNELS / 2;
  const startedAt = performance.now();
  // Spread over every channel; a user's next message goes to the next channel over (a new conversation), so the
  // conversation gate never holds one back.
  // Where the resident memory goes: the live heap and external memory, sampled while the load runs.
  let maxHeapUsed = 0;
  let maxExternal = 0;
  const sampler = setInterval(() => {
    void fetchProcessSample(worker.httpPort)
      .then((sample) => {
        maxHeapUsed = Math.max(maxHeapUsed, sample.heapUsedBytes);
        maxExternal = Math.max(maxExternal, sample.externalBytes);
      })
      .catch(() => undefined);
  }, SAMPLE_EVERY_MS);
  const seqs: number[] = [];
  await sendPaced(offeredPerSecond, total, (n) => {
    const channel = (n + Math.floor(n / USERS) + channelShift) % CHANNELS;
    seqs.push(tracker.send(userIds[n % USERS]!, channelIds[channel]!));
  });
  await tracker.waitForAll(seqs, 180_000, 'every capacity reply').finally(() => clearInterval(sampler));
  const totalMs = performance.now() - startedAt;
  const times = seqs.map((seq) => tracker.messages.get(seq)?.repliedAt ?? Number.NaN).sort((a, b) => a - b);
  const from = times[concurrency - 1]!;
  const to = times[total - concurrency - 1]!;
  const repliesPerSecond = ((total - 2 * concurrency) * 1000) / (to - from);
  const peakRss = await bench.peakRssBytes(worker);
  const cpu = diffCpu(cpuBefore, await sampleCpu(bench, worker, gateway), total);
  // Settling runs just after the last post; let it finish before the worker is stopped.
  await sleep(500);
  return {
    mode,
    concurrency,
    aiLatencyMs,
    offeredPerSecond,
    sent: total,
    repliesPerSecond: Math.round(repliesPerSecond * 10) / 10,
    totalMs: Math.round(totalMs),
    idealPerSecond,
    percentOfIdeal: Math.round((1000 * repliesPerSecond) / idealPerSecond) / 10,
    windowMs: Math.round(to - from),
    workerPeakRssMb: megabytes(peakRss),
    workerIdleRssMb: megabytes(idleRss),
    kbPerJobInFlight: Math.round((peakRss - idleRss) / 1024 / concurrency),
    workerMaxHeapUsedMb: megabytes(maxHeapUsed),
    workerMaxExternalMb: megabytes(maxExternal),
    cpuMsPerReply: cpu,
    twoCoreCeilingPerSecond: Math.round(2000 / cpu.total),
  };
}

/** CPU counters of every party at one instant. */
interface CpuSample {
  readonly worker: ProcessSample;
  readonly gateway: ProcessSample;
  readonly ownSeconds: number;
  readonly redisSeconds: number;
}

async function sampleCpu(
  bench: BenchCluster,
  worker: ChorusProcess,
  gateway: ChorusProcess,
): Promise<CpuSample> {
  const [workerSample, gatewaySample, redisSeconds] = await Promise.all([
    fetchProcessSample(worker.httpPort),
    fetchProcessSample(gateway.httpPort),
    fetchRedisCpuSeconds(bench.redis),
  ]);
  const own = process.cpuUsage();
  return {
    worker: workerSample,
    gateway: gatewaySample,
    ownSeconds: (own.user + own.system) / 1e6,
    redisSeconds,
  };
}

function diffCpu(before: CpuSample, after: CpuSample, replies: number): CapacityCpu {
  const perReply = (seconds: number) => Math.round((1e5 * seconds) / replies) / 100;
  const parts = {
    worker: after.worker.cpuSeconds - before.worker.cpuSeconds,
    gateway: after.gateway.cpuSeconds - before.gateway.cpuSeconds,
    sandboxAndStub: after.ownSeconds - before.ownSeconds,
    redis: after.redisSeconds - before.redisSeconds,
  };
  return {
    worker: perReply(parts.worker),
    workerGc: perReply(after.worker.gcSeconds - before.worker.gcSeconds),
    gateway: perReply(parts.gateway),
    sandboxAndStub: perReply(parts.sandboxAndStub),
    redis: perReply(parts.redis),
    total: perReply(parts.worker + parts.gateway + parts.sandboxAndStub + parts.redis),
  };
}

function megabytes(bytes: number): number {
  return Math.round(bytes / 1024 / 102.4) / 10;
}

/** Scenario 4: one worker at concurrency 1,000 against a 2 s AI, ours vs FIFO. */
export async function runCapacityScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const shape = context.quick ? QUICK : FULL;
  // One worker for both modes (only the gateway changes), each run with its own peak RSS.
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: { WORKER_CONCURRENCY: String(shape.concurrency), ...NO_DISCORD_LIMITS },
    workerEnv: {},
    gatewayEnv: buildGatewayEnv('fair'),
    workers: 1,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: shape.aiLatencyMs } },
    channels: CHANNELS,
    users: USERS,
    warmUp: true,
  });
  context.progress(`capacity: fair queue (${shape.messages} messages)`);
  const fair = await measureCapacity(bench, 'fair', shape);
  context.progress('capacity: FIFO baseline');
  await bench.replaceGateway(buildGatewayEnv('fifo'));
  const fifo = await measureCapacity(bench, 'fifo', shape);
  const ideal = (shape.concurrency * 1000) / shape.aiLatencyMs;
  return buildScenarioResult({
    id: 'capacity',
    title: `Capacity: 1 worker × ${shape.concurrency}, AI ${shape.aiLatencyMs} ms, ${shape.offeredPerSecond} msg/s offered (Little's law: ${ideal}/s)`,
    target: '≥ 95 % of concurrency ÷ latency; worker RSS ≤ 300 MB',
    checks: [
      buildCheck({
        name: 'replies/s',
        value: fair.repliesPerSecond,
        unit: '/s',
        fifo: fifo.repliesPerSecond,
      }),
      buildCheck({
        name: '% of ideal',
        value: fair.percentOfIdeal,
        unit: '%',
        target: { op: '>=', value: 95 },
        fifo: fifo.percentOfIdeal,
      }),
      // No FIFO figure here: FIFO runs second on the same worker, whose resident memory never shrinks back.
      buildCheck({
        name: 'worker peak RSS',
        value: fair.workerPeakRssMb,
        unit: 'MB',
        target: { op: '<=', value: 300 },
      }),
      buildCheck({ name: 'worker RSS before the load', value: fair.workerIdleRssMb, unit: 'MB' }),
      buildCheck({ name: 'worker peak V8 heap used', value: fair.workerMaxHeapUsedMb, unit: 'MB' }),
      buildCheck({
        name: 'worker CPU per reply',
        value: fair.cpuMsPerReply.worker,
        unit: 'ms',
        fifo: fifo.cpuMsPerReply.worker,
      }),
      buildCheck({
        name: 'of which GC',
        value: fair.cpuMsPerReply.workerGc,
        unit: 'ms',
        fifo: fifo.cpuMsPerReply.workerGc,
      }),
      buildCheck({
        name: 'machine CPU per reply',
        value: fair.cpuMsPerReply.total,
        unit: 'ms',
        fifo: fifo.cpuMsPerReply.total,
      }),
      buildCheck({
        name: 'two-core ceiling',
        value: fair.twoCoreCeilingPerSecond,
        unit: '/s',
        fifo: fifo.twoCoreCeilingPerSecond,
      }),
    ],
    figures: { fair, fifo },
    durationMs: performance.now() - startedAt,
  });
}
