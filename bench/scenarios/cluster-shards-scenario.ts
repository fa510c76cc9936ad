import { performance } from 'node:perf_hooks';
import type { Cluster, Redis } from 'ioredis';
import { LocalCluster } from '../../scripts/cluster/local-cluster.js';
import { LocalRedisCluster } from '../../scripts/redis-cluster/redis-cluster.js';
import { createLogger } from '../../src/log/index.js';
import { buildReplyShardPrefixes } from '../../src/queue/index.js';
import { computeKeySlot, createRedis } from '../../src/redis/index.js';
import { PersonalityRepository } from '../../src/state/index.js';
import { deleteKeysWithPrefix } from '../../tests/support/redis.js';
import { NO_DISCORD_LIMITS, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { sendPaced } from '../paced-sender.js';
import { fetchCommandCalls, fetchRedisCpuSeconds } from '../redis-info.js';
import { ReplyTracker } from '../reply-tracker.js';
import {
  buildCheck,
  buildScenarioResult,
  type DeliveryCount,
  type ScenarioResult,
  sumDelivery,
} from '../scenario-result.js';

/** One master's part of the commands the masters received during a run. */
export interface MasterShare {
  readonly port: number;
  readonly commands: number;
  readonly share: number;
  /** CPU the master used during the load (`INFO cpu`, user + system), s. */
  readonly cpuSeconds: number;
  /** Its part of the CPU all masters used. */
  readonly cpuShare: number;
  /** The reply queue shards (by index) whose slot this master serves. */
  readonly replyShards: readonly number[];
  /** The other single-slot tags it serves (see {@link SINGLE_SLOT_TAGS}). */
  readonly singleSlots: readonly string[];
}

/** Figures of one run (one `REPLY_QUEUE_SHARDS` value). */
export interface ShardRun {
  readonly shards: number;
  readonly messages: number;
  readonly replies: number;
  /** Lost and doubled replies, warm-up included. */
  readonly delivery: DeliveryCount;
  /** Commands the masters received during the load (`INFO commandstats` calls, delta), all masters. */
  readonly commands: number;
  /** Per master, busiest first. */
  readonly masters: readonly MasterShare[];
  /** The busiest master's share of {@link ShardRun.commands}. */
  readonly busiestShare: number;
  /** The largest of the masters' CPU shares. */
  readonly busiestCpuShare: number;
  /** The share of the master serving shard 0 (`{<prefix>}`, the one queue's slot with one shard). */
  readonly firstShardShare: number;
  readonly durationMs: number;
}

const WORKERS = 2;
const CHANNELS = 20;
const USERS = 90;
/** Messages per run (a quarter with `--quick`), sent at {@link RATE} per second. */
const MESSAGES = 1200;
const RATE = 150;
const AI_LATENCY_MS = 50;
const REPLY_TIMEOUT_MS = 120_000;
const PERSONALITY = 'Bench';
/** `REDIS_PREFIX`'s default. */
const DEFAULT_PREFIX = 'chorus';
/**
 * Hash tags that stay in one slot whatever the shard count (docs/fair-queue.md, Shards): the webhook and bot
 * rate limiters and the public catalog. Named here only to say which master carries them.
 */
const SINGLE_SLOT_TAGS = ['rate', 'bot-rate', 'catalog'] as const;
/** Each master's share is rounded to this many decimals. */
const SHARE_DECIMALS = 3;

/** Per master (by port): its calls, every command added up (commands run by scripts included), and its CPU. */
async function countCommands(
  masters: readonly Redis[],
): Promise<Map<number, { calls: number; cpu: number }>> {
  const counts = new Map<number, { calls: number; cpu: number }>();
  for (const master of masters) {
    const calls = await fetchCommandCalls(master);
    counts.set(master.options.port ?? 0, {
      calls: [...calls.values()].reduce((sum, count) => sum + count, 0),
      cpu: await fetchRedisCpuSeconds(master),
    });
  }
  return counts;
}

/**
 * One run: a gateway and {@link WORKERS} workers with `REPLY_QUEUE_SHARDS=shards` on the Redis Cluster at
 * `redisUrl`, under the default prefix; `messages` sent at {@link RATE}/s by {@link USERS} users over
 * {@link CHANNELS} channels, all answered; each master's commands counted from the first message to the last
 * reply.
 */
async function runWithShards(
  context: BenchContext,
  redisUrl: string,
  shards: number,
  messages: number,
): Promise<ShardRun> {
  // The default prefix, so each shard and single-slot tag sits where a default deployment's does (the cluster is
  // the scenario's own, and each run's keys are deleted after it).
  const prefix = DEFAULT_PREFIX;
  const redis = createRedis({
    url: redisUrl,
    cluster: true,
    role: 'commands',
    connectionName: `bench-shards-${shards}`,
    logger: createLogger({ level: 'silent', service: 'bench' }),
  }) as Cluster;
  await using cluster = await LocalCluster.start({
    redisUrl,
    redisCluster: true,
    prefix,
    env: { ...UNBOUNDED_USER_LIMITS, ...NO_DISCORD_LIMITS, REPLY_QUEUE_SHARDS: String(shards) },
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: AI_LATENCY_MS } },
    startTimeoutMs: 60_000,
    runtime: 'dist',
  });
  using tracker = new ReplyTracker(cluster.sandbox, PERSONALITY);
  try {
    const { sandbox } = cluster;
    const guild = sandbox.createGuild({ name: 'shards' });
    const channelIds = Array.from(
      { length: CHANNELS },
      (_, index) => sandbox.createChannel(guild.id, { name: `shards-${index}` }).id,
    );
    const userIds = Array.from({ length: USERS }, (_, index) => {
      const user = sandbox.createUser({ username: `user${index}`, globalName: `User ${index}` });
      sandbox.addMember(guild.id, user.id);
      return user.id;
    });
    await new PersonalityRepository(redis, { prefix }).create({
      ownerId: userIds[0]!,
      name: PERSONALITY,
      visibility: 'public',
      systemPrompt: 'You are Bench, a patient benchmark partner.',
      contextMode: 'personal',
      avatarUrl: 'https://cdn.example.com/bench.png',
      provider: 'default',
      model: 'stub-small',
      temperature: null,
    });
    await Promise.all([
      cluster.spawn('gateway'),
      ...Array.from({ length: WORKERS }, () => cluster.spawn('worker')),
    ]);
    // Warm-up (webhooks created, scripts loaded, every shard's connections open), not counted.
    const warmUp = channelIds.map((channelId, index) => tracker.send(userIds[index % USERS]!, channelId));
    await tracker.waitForAll(warmUp, REPLY_TIMEOUT_MS, `cluster-shards ${shards}: warm-up replies`);

    const masters = redis.nodes('master');
    const before = await countCommands(masters);
    const startedAt = performance.now();
    const seqs: number[] = [];
    await sendPaced(RATE, messages, (n) => {
      seqs.push(tracker.send(userIds[n % USERS]!, channelIds[n % CHANNELS]!));
    });
    await tracker.waitForAll(seqs, REPLY_TIMEOUT_MS, `cluster-shards ${shards}: replies`);
    const durationMs = performance.now() - startedAt;
    const after = await countCommands(masters);

    // The master serving a key's slot, as the client's slot map names it (`host:port`).
    const portOf = (key: string) => Number(redis.slots[computeKeySlot(key)]?.[0]?.split(':').at(-1));
    const shardPorts = buildReplyShardPrefixes(prefix, shards).map(portOf);
    const deltas = [...after].map(([port, { calls, cpu }]) => ({
      port,
      commands: calls - (before.get(port)?.calls ?? 0),
      cpuSeconds: cpu - (before.get(port)?.cpu ?? 0),
    }));
    const total = deltas.reduce((sum, { commands }) => sum + commands, 0);
    const totalCpu = deltas.reduce((sum, { cpuSeconds }) => sum + cpuSeconds, 0);
    const shares = deltas
      .map(({ port, commands, cpuSeconds }) => ({
        port,
        commands,
        share: round(commands / total),
        cpuSeconds: round(cpuSeconds),
        cpuShare: round(cpuSeconds / totalCpu),
        replyShards: shardPorts.flatMap((owner, shard) => (owner === port ? [shard] : [])),
        singleSlots: SINGLE_SLOT_TAGS.filter((tag) => portOf(`{${tag}}`) === port),
      }))
      .sort((a, b) => b.commands - a.commands);
    context.progress(
      `  cluster-shards ${shards}: ${shares
        .map(({ port, share, cpuShare, replyShards, singleSlots }) => {
          const holds = [...replyShards.map((shard) => `shard ${shard}`), ...singleSlots].join(' ');
          return `${port} ${share} (${holds}; cpu ${cpuShare})`;
        })
        .join(', ')}`,
    );
    return {
      shards,
      messages,
      replies: seqs.filter((seq) => tracker.messages.get(seq)?.repliedAt !== null).length,
      delivery: tracker.countDelivery([...warmUp, ...seqs]),
      commands: total,
      masters: shares,
      busiestShare: shares[0]?.share ?? Number.NaN,
      busiestCpuShare: Math.max(...shares.map(({ cpuShare }) => cpuShare)),
      firstShardShare: shares.find(({ replyShards }) => replyShards.includes(0))?.share ?? Number.NaN,
      durationMs: Math.round(durationMs),
    };
  } finally {
    await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
    redis.disconnect();
  }
}

/**
 * Scenario: how the masters of a Redis Cluster share the commands of a loaded system, with the reply queue in
 * one slot (`REPLY_QUEUE_SHARDS=1`, the baseline) and spread over 3 (docs/fair-queue.md, Shards). A local
 * cluster of 3 masters and 3 replicas started by the cluster test tier's script; a gateway and 2 workers
 * against it with the Discord sandbox and the AI stub, one run per shard count in the same invocation.
 */
export async function runClusterShardsScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  context.progress('cluster-shards: starting a local Redis Cluster (3 masters, 3 replicas)');
  await using redisCluster = await LocalRedisCluster.start();
  const messages = context.quick ? MESSAGES / 4 : MESSAGES;
  const runs: ShardRun[] = [];
  // 2 shards as well: with the default prefix they miss the master of the rate limiters' slots (see the docs).
  for (const shards of [1, 2, 3]) {
    context.progress(`cluster-shards: ${messages} messages with REPLY_QUEUE_SHARDS=${shards}`);
    runs.push(await runWithShards(context, redisCluster.url, shards, messages));
  }
  const [one, two, three] = runs as [ShardRun, ShardRun, ShardRun];
  return buildScenarioResult({
    id: 'cluster-shards',
    title: `Reply queue shards on a 3-master Redis Cluster: ${messages} messages, ${WORKERS} workers, each master's share of the commands`,
    target: 'busiest master ≤ 0.45 of the commands with 3 shards (even: 1/3)',
    checks: [
      buildCheck({ name: 'busiest master share, 1 shard', value: one.busiestShare, unit: '' }),
      buildCheck({
        name: 'busiest master share, 3 shards (baseline: 1 shard)',
        value: three.busiestShare,
        unit: '',
        target: { op: '<=', value: 0.45 },
        fifo: one.busiestShare,
      }),
      buildCheck({ name: 'even share, 3 masters', value: round(1 / 3), unit: '' }),
      buildCheck({
        name: 'busiest master share, 2 shards (baseline: 1 shard)',
        value: two.busiestShare,
        unit: '',
        fifo: one.busiestShare,
      }),
      buildCheck({
        name: 'share of shard 0’s master, 3 shards (baseline: 1 shard)',
        value: three.firstShardShare,
        unit: '',
        fifo: one.firstShardShare,
      }),
      buildCheck({
        name: 'busiest master CPU share, 3 shards (baseline: 1 shard)',
        value: three.busiestCpuShare,
        unit: '',
        fifo: one.busiestCpuShare,
      }),
      buildCheck({
        name: 'commands per reply, 3 shards (baseline: 1 shard)',
        value: round(three.commands / three.messages),
        unit: '',
        fifo: round(one.commands / one.messages),
      }),
      buildCheck({
        name: 'unanswered messages',
        value: runs.reduce((sum, run) => sum + run.messages - run.replies, 0),
        unit: '',
        target: { op: '==', value: 0 },
      }),
    ],
    figures: { runs },
    delivery: sumDelivery(runs.map((run) => run.delivery)),
    durationMs: performance.now() - startedAt,
  });
}

function round(value: number): number {
  const scale = 10 ** SHARE_DECIMALS;
  return Math.round(value * scale) / scale;
}
