import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { computeJainIndex } from '../jain-index.js';
import { type LatencySummary, summarizeLatencies } from '../latency-summary.js';
import { buildRatioCheck } from '../ratio-check.js';
import {
  buildCheck,
  buildScenarioResult,
  type DeliveryCount,
  type QueueMode,
  type ScenarioResult,
  sumDelivery,
} from '../scenario-result.js';

/** What the light users saw in one mode. */
export interface FairnessRun {
  readonly mode: QueueMode;
  /** Light users' wait (message dispatched → reply) with nobody flooding. */
  readonly alone: LatencySummary;
  /** The same, with one user's flood queued ahead of them. */
  readonly flooded: LatencySummary;
  /** Flood jobs waiting in the queue when the light users wrote. */
  readonly backlogAtArrival: number;
  /** Jain's index of per-user service over the first completions after the light users wrote (see docs). */
  readonly jainIndex: number;
  readonly floodMs: number;
  /** Light and flood messages never answered (the flood after 60 s of draining), and second replies. */
  readonly delivery: DeliveryCount;
}

/** What the default per-user limits did to a flood. */
export interface LimitedFloodRun {
  readonly sent: number;
  readonly answered: number;
  readonly notices: number;
}

const LIGHT_USERS = 50;
/** One worker with few slots and a 20 ms AI: about 400 replies/s at best, so a flood queues. */
const SYSTEM = { WORKER_CONCURRENCY: '10' } as const;
const AI_LATENCY_MS = 20;
/** Flood jobs go to distinct conversations (channel × personality), so none waits on the conversation gate. */
const CHANNELS = 50;
const PERSONALITIES = 10;

async function jobsAdded(bench: BenchCluster): Promise<number> {
  return Number((await bench.redis.get(`{${bench.prefix}}:replies:id`)) ?? 0);
}

/** Users of one mode's run: the flooder, then two groups of light users. */
const USERS_PER_MODE = 1 + 2 * LIGHT_USERS;

async function measureFairness(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  flood: number,
): Promise<FairnessRun> {
  const { tracker, channelIds } = bench;
  const offset = mode === 'fair' ? 0 : USERS_PER_MODE;
  const userIds = bench.userIds.slice(offset, offset + USERS_PER_MODE);
  const flooder = userIds[0]!;
  // Two groups of light users, so the flooded run's conversations start as fresh as the lone run's.
  const lightGroup = (group: number) => userIds.slice(1 + group * LIGHT_USERS, 1 + (group + 1) * LIGHT_USERS);
  const sendLight = (group: number) =>
    lightGroup(group).map((userId, index) =>
      tracker.send(userId, channelIds[index % CHANNELS]!, bench.mention(index)),
    );

  const aloneSeqs = sendLight(0);
  await tracker.waitForAll(aloneSeqs, 30_000, 'the lone light users');

  const addedBefore = await jobsAdded(bench);
  const floodStartedAt = performance.now();
  const floodSeqs = Array.from({ length: flood }, (_, index) =>
    tracker.send(flooder, channelIds[index % CHANNELS]!, bench.mention(Math.floor(index / CHANNELS))),
  );
  // Light users write as soon as the whole flood is in the queue: the figure is the queue's, not the gateway's inbox.
  while ((await jobsAdded(bench)) < addedBefore + flood) await sleep(5);
  const backlogAtArrival =
    flood - floodSeqs.filter((seq) => tracker.messages.get(seq)?.repliedAt !== null).length;
  const repliedBefore = tracker.replied;
  const lightSeqs = sendLight(1);
  await tracker.waitForAll(lightSeqs, 60_000, 'the flooded light users');
  const floodMs = performance.now() - floodStartedAt;

  // Service in the first 2 × LIGHT_USERS completions after the light users wrote: the max-min fair outcome is
  // one each for the light users and the rest for the flooder.
  const windowReplies = tracker.replyTimes.slice(repliedBefore, repliedBefore + 2 * LIGHT_USERS);
  const windowEnd = windowReplies.at(-1) ?? Number.POSITIVE_INFINITY;
  const servedIn = (seqs: readonly number[]) =>
    seqs.filter((seq) => {
      const at = tracker.messages.get(seq)?.repliedAt ?? null;
      return at !== null && at >= (tracker.replyTimes[repliedBefore] ?? 0) && at <= windowEnd;
    }).length;
  const jainIndex = computeJainIndex([
    { demand: backlogAtArrival, served: servedIn(floodSeqs) },
    ...lightSeqs.map((seq) => ({ demand: 1, served: servedIn([seq]) })),
  ]);
  // Let the rest of the flood drain before the cluster stops (its jobs would stall otherwise).
  await tracker
    .waitForAll(floodSeqs, 60_000, 'the flood to drain')
    .catch((error: unknown) => context.progress(`  fairness: ${String(error)}`));
  return {
    mode,
    alone: round(summarizeLatencies(tracker.latencies(aloneSeqs))),
    flooded: round(summarizeLatencies(tracker.latencies(lightSeqs))),
    backlogAtArrival,
    jainIndex: Math.round(jainIndex * 1000) / 1000,
    floodMs: Math.round(floodMs),
    delivery: tracker.countDelivery([...aloneSeqs, ...lightSeqs, ...floodSeqs]),
  };
}

/** With Chorus's default per-user limits: a fresh user floods one channel; the flood is cut and told once. */
async function measureLimitedFlood(bench: BenchCluster, flood: number): Promise<LimitedFloodRun> {
  const { tracker } = bench;
  const flooder = bench.userIds.at(-1)!;
  const channelId = bench.channelIds[1]!;
  const startedAt = performance.now();
  const seqs = Array.from({ length: flood }, () => tracker.send(flooder, channelId));
  // Nothing more arrives once the admitted replies and the notice are out: wait for a quiet second.
  let seen = -1;
  for (let quiet = 0; quiet < 2; ) {
    await sleep(500);
    const now = tracker.replied + tracker.notices.length;
    quiet = now === seen ? quiet + 1 : 0;
    seen = now;
  }
  return {
    sent: flood,
    answered: tracker.latencies(seqs).length,
    notices: tracker.notices.filter((notice) => notice.channelId === channelId && notice.at >= startedAt)
      .length,
  };
}

/** Scenario 3: light users behind a flood, ours vs FIFO; and the default limits cutting a flood. */
export async function runFairnessScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const flood = context.quick ? 150 : 500;
  // One worker for all three runs: the fair queue, FIFO, then default limits, each behind its own gateway.
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: { ...SYSTEM, ...NO_DISCORD_LIMITS },
    workerEnv: {},
    gatewayEnv: buildGatewayEnv('fair'),
    workers: 1,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: AI_LATENCY_MS } },
    channels: CHANNELS,
    users: 2 * USERS_PER_MODE + 1,
    personalities: PERSONALITIES,
    warmUp: true,
  });
  context.progress(`fairness: fair queue (flood ${flood})`);
  const fair = await measureFairness(context, bench, 'fair', flood);
  context.progress('fairness: FIFO baseline');
  await bench.replaceGateway(buildGatewayEnv('fifo'));
  const fifo = await measureFairness(context, bench, 'fifo', flood);
  context.progress('fairness: default limits');
  await bench.replaceGateway({});
  const limited = await measureLimitedFlood(bench, flood);
  const slowdown = (run: FairnessRun) => run.flooded.p95 / run.alone.p95;
  return buildScenarioResult({
    id: 'fairness',
    title: `Fairness: one user floods ${flood} (limits raised), then ${LIGHT_USERS} users write one message each; 1 worker × ${SYSTEM.WORKER_CONCURRENCY}, AI ${AI_LATENCY_MS} ms`,
    target:
      'light-user p95 ≤ 1.5× their p95 without the flood; with default limits the flood is cut and told exactly once',
    checks: [
      buildCheck({ name: 'light p50, flooded', value: fair.flooded.p50, unit: 'ms', fifo: fifo.flooded.p50 }),
      buildCheck({ name: 'light p95, flooded', value: fair.flooded.p95, unit: 'ms', fifo: fifo.flooded.p95 }),
      buildCheck({ name: 'light p95, no flood', value: fair.alone.p95, unit: 'ms', fifo: fifo.alone.p95 }),
      buildCheck({
        name: 'p95 flooded ÷ no flood',
        value: round2(slowdown(fair)),
        unit: '×',
        fifo: round2(slowdown(fifo)),
      }),
      buildCheck({ name: "Jain's index (service)", value: fair.jainIndex, unit: '', fifo: fifo.jainIndex }),
      buildCheck({
        name: 'default limits: flood answered',
        value: limited.answered,
        unit: `of ${limited.sent}`,
        target: { op: '<=', value: 5 },
      }),
      buildCheck({
        name: 'default limits: notices',
        value: limited.notices,
        unit: '',
        target: { op: '==', value: 1 },
      }),
    ],
    ratios: [
      buildRatioCheck({
        name: "light users' p95 wait, flooded ÷ not flooded",
        value: fair.flooded.p95,
        baseline: fair.alone.p95,
        baselineName: 'no flood',
        unit: 'ms',
        target: { op: '<=', value: 1.5 },
      }),
    ],
    delivery: sumDelivery([fair.delivery, fifo.delivery]),
    figures: { fair, fifo, limited },
    durationMs: performance.now() - startedAt,
  });
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function round(summary: LatencySummary): LatencySummary {
  return {
    count: summary.count,
    p50: round2(summary.p50),
    p95: round2(summary.p95),
    p99: round2(summary.p99),
    max: round2(summary.max),
    mean: round2(summary.mean),
  };
}
