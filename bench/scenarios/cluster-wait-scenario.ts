import { performance } from 'node:perf_hooks';
import { LocalRedisCluster } from '../../scripts/redis-cluster/redis-cluster.js';
import { createLogger } from '../../src/log/index.js';
import { createRedis, type RedisClient } from '../../src/redis/index.js';
import { DeliveryLedger, type ReplyDecision } from '../../src/replies/delivery-ledger.js';
import type { BenchContext } from '../bench-context.js';
import { type LatencySummary, summarizeLatencies } from '../latency-summary.js';
import { buildCheck, buildScenarioResult, type ScenarioResult } from '../scenario-result.js';

/** Claim latencies of one mode, in ms. */
export interface ClaimLatencies {
  /** `decideReply`: records the answer and claims its first chunk (a one-chunk reply's only claim). */
  readonly decide: LatencySummary;
  /** `claimChunk`: each further chunk's claim. */
  readonly claim: LatencySummary;
}

/** Figures of the WAIT-cost run. */
export interface ClusterWaitRun {
  readonly jobs: number;
  readonly concurrency: number;
  readonly plain: ClaimLatencies;
  readonly durable: ClaimLatencies;
  /** Measured claims whose `WAIT` timed out short of a replica. */
  readonly shortfalls: number;
  /** The same during the warm-up, just after the cluster formed. */
  readonly warmUpShortfalls: number;
  /** What `WAIT` adds to a one-chunk reply (its one claim, in `decideReply`), p50 and mean, ms. */
  readonly addedPerReplyP50Ms: number;
  readonly addedPerReplyMeanMs: number;
  /** What it adds per further chunk (`claimChunk`), p50, ms. */
  readonly addedPerChunkP50Ms: number;
}

/** Jobs per mode (each: `decideReply`, then `claimChunk` on its second chunk); rounds alternate the modes. */
const JOBS = 2000;
const ROUNDS = 4;
const CONCURRENCY = 50;
/** Jobs per mode run first and not counted: scripts loaded, connections to every master open. */
const WARM_UP_JOBS = 200;
/** Users the jobs spread over, so their records (one slot per user) fall on every master. */
const USERS = 300;
/** `REDIS_WAIT_TIMEOUT_MS`'s default. */
const WAIT_TIMEOUT_MS = 500;

const DECISION: ReplyDecision = {
  chunks: ['first chunk of the answer', 'second chunk of the answer'],
  isNotice: false,
  reply: 'first chunk of the answer second chunk of the answer',
  asBot: false,
};

interface Samples {
  readonly decide: number[];
  readonly claim: number[];
}

/** Runs `count` jobs' claims through `ledger`, `CONCURRENCY` at a time; appends their latencies to `samples`. */
async function driveClaims(
  ledger: DeliveryLedger,
  label: string,
  count: number,
  samples: Samples | null,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    for (let index = next++; index < count; index = next++) {
      const userId = `user-${index % USERS}`;
      const jobId = `${label}-${index}`;
      const owner = `lock-${jobId}`;
      const decideStart = performance.now();
      const decided = await ledger.decideReply(userId, jobId, DECISION, owner, Date.now());
      const claimStart = performance.now();
      const second = await ledger.claimChunk(userId, jobId, 1, owner, Date.now());
      const claimEnd = performance.now();
      if (decided.firstChunk.kind !== 'claimed' || second.kind !== 'claimed')
        throw new Error(`job ${jobId}: a fresh job's chunk was not claimed`);
      samples?.decide.push(claimStart - decideStart);
      samples?.claim.push(claimEnd - claimStart);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
}

function connect(url: string, name: string): RedisClient {
  return createRedis({
    url,
    cluster: true,
    role: 'commands',
    connectionName: `bench:${name}`,
    logger: createLogger({ level: 'silent', service: 'bench' }),
  });
}

/**
 * Scenario: the cost of delivery claims waiting for one replica on a Redis Cluster. A local cluster (3 masters,
 * 1 replica each); the delivery ledger's claim path driven directly, as a worker runs it: once plain, once with
 * `durableClaims` (`WAIT 1` on a connection of its own, as `workers/reply-worker.ts` wires it), in alternating
 * rounds so both see the same machine.
 */
export async function measureClusterWait(context: BenchContext): Promise<ClusterWaitRun> {
  context.progress('cluster-wait: starting a local Redis Cluster (3 masters, 3 replicas)');
  await using cluster = await LocalRedisCluster.start();
  const redis = connect(cluster.url, 'commands');
  const claimsRedis = connect(cluster.url, 'claims');
  let shortfalls = 0;
  try {
    const prefix = 'bench-wait';
    const plain = new DeliveryLedger(redis, { prefix });
    const durable = new DeliveryLedger(redis, {
      prefix,
      durableClaims: {
        redis: claimsRedis,
        replicas: 1,
        timeoutMs: WAIT_TIMEOUT_MS,
        onShortfall: () => {
          shortfalls += 1;
        },
      },
    });
    await driveClaims(plain, 'warm-plain', WARM_UP_JOBS, null);
    await driveClaims(durable, 'warm-durable', WARM_UP_JOBS, null);
    const warmUpShortfalls = shortfalls;
    shortfalls = 0;
    const plainSamples: Samples = { decide: [], claim: [] };
    const durableSamples: Samples = { decide: [], claim: [] };
    const perRound = Math.ceil(JOBS / ROUNDS);
    for (let pass = 0; pass < ROUNDS; pass += 1) {
      context.progress(`  cluster-wait: round ${pass + 1}/${ROUNDS} (${perRound} jobs per mode)`);
      const runs = [
        () => driveClaims(plain, `plain-${pass}`, perRound, plainSamples),
        () => driveClaims(durable, `durable-${pass}`, perRound, durableSamples),
      ];
      for (const run of pass % 2 === 0 ? runs : runs.toReversed()) await run();
    }
    const summarize = (samples: Samples): ClaimLatencies => ({
      decide: summarizeLatencies(samples.decide),
      claim: summarizeLatencies(samples.claim),
    });
    const plainLatencies = summarize(plainSamples);
    const durableLatencies = summarize(durableSamples);
    return {
      jobs: perRound * ROUNDS,
      concurrency: CONCURRENCY,
      plain: plainLatencies,
      durable: durableLatencies,
      shortfalls,
      warmUpShortfalls,
      addedPerReplyP50Ms: round(durableLatencies.decide.p50 - plainLatencies.decide.p50),
      addedPerReplyMeanMs: round(durableLatencies.decide.mean - plainLatencies.decide.mean),
      addedPerChunkP50Ms: round(durableLatencies.claim.p50 - plainLatencies.claim.p50),
    };
  } finally {
    redis.disconnect();
    claimsRedis.disconnect();
  }
}

/** Scenario 6c: the WAIT-cost run and its result. */
export async function runClusterWaitScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const run = await measureClusterWait(context);
  const { plain, durable } = run;
  const ms = (name: string, value: number) => buildCheck({ name, value, unit: 'ms' });
  return buildScenarioResult({
    id: 'cluster-wait',
    title: `Cost of WAIT 1 on a Redis Cluster: delivery claims of ${run.jobs} jobs, ${run.concurrency} at a time`,
    target: 'reported; no WAIT short of its replica',
    checks: [
      ms('first-chunk claim p50, no WAIT', plain.decide.p50),
      ms('first-chunk claim p50, WAIT 1', durable.decide.p50),
      ms('first-chunk claim p99, no WAIT', plain.decide.p99),
      ms('first-chunk claim p99, WAIT 1', durable.decide.p99),
      buildCheck({
        name: 'p50 ratio, WAIT / none',
        value: round(durable.decide.p50 / plain.decide.p50),
        unit: '×',
      }),
      ms('added per one-chunk reply, p50', run.addedPerReplyP50Ms),
      ms('added per further chunk, p50', run.addedPerChunkP50Ms),
      buildCheck({
        name: 'WAITs short of a replica',
        value: run.shortfalls,
        unit: '',
        target: { op: '==', value: 0 },
      }),
    ],
    figures: { run },
    durationMs: performance.now() - startedAt,
  });
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
