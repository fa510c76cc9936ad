import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChorusProcess } from '../../scripts/cluster/local-cluster.js';
import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import {
  type CapacityPlan,
  type CapacityPointSpec,
  MAX_SHARE_OF_CEILING,
  planCapacityPoint,
} from '../capacity-plan.js';
import { ClosedLoopDriver } from '../closed-loop-driver.js';
import { sendPaced } from '../paced-sender.js';
import { fetchProcessSample, type ProcessSample } from '../process-metrics.js';
import { buildRatioCheck, type RatioCheck } from '../ratio-check.js';
import { fetchRedisCpuSeconds } from '../redis-info.js';
import {
  buildCheck,
  buildScenarioResult,
  type Check,
  type DeliveryCount,
  type ScenarioResult,
  sumDelivery,
} from '../scenario-result.js';

/** Figures of one capacity point (fair queue). */
export interface CapacityRun {
  readonly plan: CapacityPlan;
  readonly sent: number;
  /** Replies per second over the steady window (every slot busy, a backlog waiting). */
  readonly repliesPerSecond: number;
  /** Offered → last reply, ms. */
  readonly totalMs: number;
  /** Replies/s ÷ the plan's ideal. */
  readonly ofIdeal: number;
  readonly windowMs: number;
  /** Peak resident memory of the worker (Linux VmHWM), MB. */
  readonly workerPeakRssMb: number;
  /** The worker's resident memory once started and warmed up, before the load (every module loaded), MB. */
  readonly workerIdleRssMb: number;
  /** (peak − idle) ÷ calls in flight: memory per AI call held, KB. */
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
  /** Messages never answered, and second replies. */
  readonly delivery: DeliveryCount;
}

/** The machine's ceiling, measured first: the pipeline with an instant AI, closed loop. */
export interface CeilingRun {
  /** Sustained replies/s: what the machine gives Chorus now, neighbours and all. */
  readonly repliesPerSecond: number;
  /** The whole machine's CPU per reply (worker, gateway, sandbox + stub, Redis), ms. */
  readonly cpuMsPerReply: number;
  /** 2,000 ms ÷ that: the replies/s two cores would allow Chorus alone. */
  readonly twoCoreCeilingPerSecond: number;
  readonly delivery: DeliveryCount;
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

/** The Little's-law point and the many-calls point, in a full and a quick run. */
const FULL = {
  little: { inFlight: 1000, minAiLatencyMs: 2000, maxAiLatencyMs: 20_000 },
  many: { inFlight: 5000, minAiLatencyMs: 25_000, maxAiLatencyMs: 50_000 },
  ceiling: { warmUpMs: 3000, windowMs: 6000 },
} as const satisfies CapacityShape;
const QUICK = {
  little: { inFlight: 100, minAiLatencyMs: 500, maxAiLatencyMs: 5000 },
  many: { inFlight: 300, minAiLatencyMs: 2500, maxAiLatencyMs: 10_000 },
  ceiling: { warmUpMs: 1000, windowMs: 2000 },
} as const satisfies CapacityShape;

interface CapacityShape {
  readonly little: CapacityPointSpec;
  readonly many: CapacityPointSpec;
  readonly ceiling: { readonly warmUpMs: number; readonly windowMs: number };
}

/** Worker RSS allowed with the many-calls point's calls in flight. */
const MANY_RSS_TARGET_MB = 400;
/** Messages in flight while the ceiling is measured: enough to keep the pipeline busy with an instant AI. */
const CEILING_IN_FLIGHT = 200;
const USERS = 3000;
const CHANNELS = 20;
/** How often the worker's heap is scraped during a run; each scrape costs the worker a little CPU. */
const SAMPLE_EVERY_MS = 1000;

/**
 * Sends the plan's messages, waits for every reply, and measures throughput between the in-flight-th reply (the
 * first wave is over) and the in-flight-th from last (until then at least that many jobs remained, so every slot
 * was busy). `shift` moves the point's messages round the channels, into conversations of their own.
 */
async function measureCapacity(bench: BenchCluster, plan: CapacityPlan, shift: number): Promise<CapacityRun> {
  const { inFlight, offeredPerSecond, messages: total } = plan;
  const { tracker, userIds, channelIds } = bench;
  bench.aiStub.setBehaviour({ latency: plan.aiLatencyMs });
  const worker = bench.processes('worker')[0]!;
  const gateway = bench.processes('gateway')[0]!;
  const cpuBefore = await sampleCpu(bench, worker, gateway);
  const idleRss = cpuBefore.worker.rssBytes;
  await bench.resetPeakRss(worker);
  const startedAt = performance.now();
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
  // Spread over every channel; a user's next message goes to the next channel over (a new conversation), so the
  // conversation gate never holds one back.
  const seqs: number[] = [];
  await sendPaced(offeredPerSecond, total, (n) => {
    const channel = (n + Math.floor(n / USERS) + shift) % CHANNELS;
    seqs.push(tracker.send(userIds[n % USERS]!, channelIds[channel]!));
  });
  await tracker
    .waitForAll(seqs, plan.aiLatencyMs * 2 + (total * 2000) / plan.idealPerSecond, 'every capacity reply')
    .finally(() => clearInterval(sampler));
  const totalMs = performance.now() - startedAt;
  const times = seqs.map((seq) => tracker.messages.get(seq)?.repliedAt ?? Number.NaN).sort((a, b) => a - b);
  const from = times[inFlight - 1]!;
  const to = times[total - inFlight - 1]!;
  const repliesPerSecond = ((total - 2 * inFlight) * 1000) / (to - from);
  const peakRss = await bench.peakRssBytes(worker);
  const cpu = diffCpu(cpuBefore, await sampleCpu(bench, worker, gateway), total);
  // Settling runs just after the last post; let it finish before the next point.
  await sleep(500);
  return {
    plan,
    sent: total,
    repliesPerSecond: Math.round(repliesPerSecond * 10) / 10,
    totalMs: Math.round(totalMs),
    ofIdeal: Math.round((1000 * repliesPerSecond) / plan.idealPerSecond) / 1000,
    windowMs: Math.round(to - from),
    workerPeakRssMb: megabytes(peakRss),
    workerIdleRssMb: megabytes(idleRss),
    kbPerJobInFlight: Math.round((peakRss - idleRss) / 1024 / inFlight),
    workerMaxHeapUsedMb: megabytes(maxHeapUsed),
    workerMaxExternalMb: megabytes(maxExternal),
    cpuMsPerReply: cpu,
    delivery: tracker.countDelivery(seqs),
  };
}

/** The ceiling: a closed loop against the instant AI, CPU and replies over a window after a warm-up. */
async function measureCeiling(bench: BenchCluster, shape: CapacityShape['ceiling']): Promise<CeilingRun> {
  const { tracker, userIds, channelIds } = bench;
  bench.aiStub.setBehaviour({ latency: 0 });
  const worker = bench.processes('worker')[0]!;
  const gateway = bench.processes('gateway')[0]!;
  // The last users, away from the points' (which start at the first): conversations of their own.
  const users = userIds.slice(USERS);
  const driver = new ClosedLoopDriver(
    tracker,
    (n) => ({ userId: users[n % users.length]!, channelId: channelIds[n % CHANNELS]! }),
    CEILING_IN_FLIGHT,
  );
  driver.start();
  await sleep(shape.warmUpMs);
  const before = await sampleCpu(bench, worker, gateway);
  const from = performance.now();
  await sleep(shape.windowMs);
  const to = performance.now();
  const after = await sampleCpu(bench, worker, gateway);
  driver.stop();
  const replies = tracker.repliesBetween(from, to);
  await tracker.waitForAll(driver.seqs, 30_000, 'the ceiling’s last replies');
  const cpu = diffCpu(before, after, replies);
  return {
    repliesPerSecond: Math.round((replies * 10_000) / (to - from)) / 10,
    cpuMsPerReply: cpu.total,
    twoCoreCeilingPerSecond: Math.round(2000 / cpu.total),
    delivery: tracker.countDelivery(driver.seqs),
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

/**
 * Scenario 4: whether one worker holds many slow AI calls at once, at low memory. First the machine's ceiling
 * (instant AI); then a point whose Little's-law ideal is at most half of it (the AI slowed to fit), then 5,000
 * calls in flight (the worker restarted at that concurrency, AI ~25 s). Fair queue only: the figure is the
 * worker's, the same under either admission.
 */
export async function runCapacityScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const shape: CapacityShape = context.quick ? QUICK : FULL;
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: { WORKER_CONCURRENCY: String(shape.little.inFlight), ...NO_DISCORD_LIMITS },
    workerEnv: {},
    gatewayEnv: buildGatewayEnv('fair'),
    workers: 1,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: 0 } },
    channels: CHANNELS,
    users: USERS + CEILING_IN_FLIGHT,
    warmUp: true,
  });
  context.progress('capacity: the machine’s ceiling (AI 0 ms)');
  const ceiling = await measureCeiling(bench, shape.ceiling);
  const ceilingPerSecond = ceiling.repliesPerSecond;
  const littlePlan = planCapacityPoint(shape.little, ceilingPerSecond);
  context.progress(
    `capacity: ${littlePlan.inFlight} in flight, AI ${littlePlan.aiLatencyMs} ms (ideal ${round1(littlePlan.idealPerSecond)}/s, ceiling ${ceilingPerSecond}/s)`,
  );
  const little = await measureCapacity(bench, littlePlan, 0);
  const manyPlan = planCapacityPoint(shape.many, ceilingPerSecond);
  context.progress(
    `capacity: ${manyPlan.inFlight} in flight, AI ${manyPlan.aiLatencyMs} ms (ideal ${round1(manyPlan.idealPerSecond)}/s, ${manyPlan.messages} messages)`,
  );
  bench.aiStub.setBehaviour({ latency: 0 });
  await bench.replaceWorkers({ WORKER_CONCURRENCY: String(manyPlan.inFlight) });
  const many = await measureCapacity(bench, manyPlan, CHANNELS / 2);
  return buildScenarioResult({
    id: 'capacity',
    title: `Capacity: 1 worker; ceiling ${ceilingPerSecond}/s (AI 0 ms), then ${littlePlan.inFlight} in flight × AI ${littlePlan.aiLatencyMs} ms and ${manyPlan.inFlight} in flight × AI ${manyPlan.aiLatencyMs} ms`,
    target: `replies/s ≥ 0.95 × Little's-law ideal (ideal ≤ ${MAX_SHARE_OF_CEILING} × ceiling) at both points; worker RSS ≤ ${MANY_RSS_TARGET_MB} MB at ${manyPlan.inFlight} in flight`,
    checks: [
      buildCheck({ name: 'ceiling (AI 0 ms), replies/s', value: ceiling.repliesPerSecond, unit: '/s' }),
      buildCheck({
        name: 'two-core ceiling (CPU per reply)',
        value: ceiling.twoCoreCeilingPerSecond,
        unit: '/s',
      }),
      ...pointChecks(little),
      ...pointChecks(many),
      buildCheck({
        name: `worker peak RSS, ${manyPlan.inFlight} in flight`,
        value: many.workerPeakRssMb,
        unit: 'MB',
        target: { op: '<=', value: MANY_RSS_TARGET_MB },
      }),
    ],
    ratios: [...pointRatios(little, ceilingPerSecond), ...pointRatios(many, ceilingPerSecond)],
    delivery: sumDelivery([ceiling.delivery, little.delivery, many.delivery]),
    figures: { ceiling, little, many },
    durationMs: performance.now() - startedAt,
  });
}

/** A point's throughput against its ideal, and the ideal against the ceiling (the condition of the figure). */
function pointRatios(run: CapacityRun, ceilingPerSecond: number): RatioCheck[] {
  const { plan } = run;
  return [
    buildRatioCheck({
      name: `replies/s ÷ ideal, ${plan.inFlight} in flight × AI ${plan.aiLatencyMs / 1000} s`,
      value: run.repliesPerSecond,
      baseline: plan.idealPerSecond,
      baselineName: 'ideal',
      unit: '/s',
      target: { op: '>=', value: 0.95 },
    }),
    buildRatioCheck({
      name: `its ideal ÷ the machine's ceiling`,
      value: plan.idealPerSecond,
      baseline: ceilingPerSecond,
      baselineName: 'ceiling',
      unit: '/s',
      target: { op: '<=', value: MAX_SHARE_OF_CEILING },
    }),
  ];
}

/** What a point's worker held and spent. */
function pointChecks(run: CapacityRun): Check[] {
  const at = `${run.plan.inFlight} in flight`;
  return [
    buildCheck({ name: `worker RSS before the load, ${at}`, value: run.workerIdleRssMb, unit: 'MB' }),
    buildCheck({ name: `worker peak RSS, ${at}`, value: run.workerPeakRssMb, unit: 'MB' }),
    buildCheck({ name: `worker peak V8 heap used, ${at}`, value: run.workerMaxHeapUsedMb, unit: 'MB' }),
    buildCheck({ name: `worker memory per call in flight, ${at}`, value: run.kbPerJobInFlight, unit: 'KB' }),
    buildCheck({ name: `worker CPU per reply, ${at}`, value: run.cpuMsPerReply.worker, unit: 'ms' }),
  ];
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}
