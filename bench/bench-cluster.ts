import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { type ChorusProcess, LocalCluster, type LocalClusterOptions } from '../scripts/cluster/local-cluster.js';
import { type Personality, PersonalityRepository } from '../src/state/index.js';
import { deleteKeysWithPrefix } from '../tests/support/redis.js';
import { fetchPeakRssBytes, fetchProcessSample, type ProcessSample } from './process-metrics.js';
import { ReplyTracker } from './reply-tracker.js';

/** Limits high enough that no per-user limit binds: the benchmark measures the pipeline, not the limiter. */
export const UNBOUNDED_USER_LIMITS = {
  USER_MAX_PENDING: '100000',
  USER_RATE_PER_MINUTE: '1000000',
  USER_BURST: '100000',
  QUEUE_MAX_DEPTH: '10000000',
} as const;

/** How one scenario's system is built. */
export interface BenchClusterOptions {
  readonly redisUrl: string;
  /** Environment of every Chorus process. */
  readonly env: Record<string, string>;
  /** Extra environment of the worker processes only (e.g. `NODE_OPTIONS` for a profile). */
  readonly workerEnv: Record<string, string>;
  /** Extra environment of the gateway only. */
  readonly gatewayEnv: Record<string, string>;
  readonly workers: number;
  readonly sandbox: LocalClusterOptions['sandbox'];
  readonly aiStub: LocalClusterOptions['aiStub'];
  /** Text channels in the one guild. */
  readonly channels: number;
  /** Users, all members of the guild. */
  readonly users: number;
  /** Warm-up: one message per channel, answered before the scenario starts (webhooks created, code hot). */
  readonly warmUp: boolean;
}

/** The personality every benchmark message mentions. */
const PERSONALITY_NAME = 'Bench';
const START_TIMEOUT_MS = 60_000;
const WARM_UP_TIMEOUT_MS = 30_000;

/**
 * One scenario's system: a {@link LocalCluster} (sandbox + stub here, gateway and workers as child processes)
 * under a fresh `test-<uuid>` prefix, with a guild, channels, users and one public personality, plus a
 * {@link ReplyTracker}. Disposing it stops the processes and deletes every key of its prefix.
 */
export class BenchCluster implements AsyncDisposable {
  readonly tracker: ReplyTracker;

  private constructor(
    readonly cluster: LocalCluster,
    readonly redis: Redis,
    readonly prefix: string,
    readonly channelIds: readonly string[],
    readonly userIds: readonly string[],
    readonly personality: Personality,
  ) {
    this.tracker = new ReplyTracker(cluster.sandbox, PERSONALITY_NAME);
  }

  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const prefix = `test-${randomUUID()}`;
    const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null, connectionName: `bench-${prefix}` });
    let cluster: LocalCluster | undefined;
    try {
      cluster = await LocalCluster.start({
        redisUrl: options.redisUrl,
        prefix,
        env: options.env,
        sandbox: options.sandbox,
        aiStub: options.aiStub,
        startTimeoutMs: START_TIMEOUT_MS,
      });
      const { sandbox } = cluster;
      const guild = sandbox.createGuild({ name: 'bench' });
      const channelIds = Array.from({ length: options.channels }, (_, index) => sandbox.createChannel(guild.id, { name: `bench-${index}` }).id);
      const userIds = Array.from({ length: options.users }, (_, index) => {
        const user = sandbox.createUser({ username: `user${index}`, globalName: `User ${index}` });
        sandbox.addMember(guild.id, user.id);
        return user.id;
      });
      const personality = await new PersonalityRepository(redis, { prefix }).create({
        ownerId: userIds[0]!,
        name: PERSONALITY_NAME,
        visibility: 'public',
        systemPrompt: 'You are Bench, a patient benchmark partner.',
        avatarUrl: 'https://cdn.example.com/bench.png',
        provider: 'default',
        model: 'stub-small',
        temperature: null,
      });
      const running = cluster;
      await Promise.all([
        running.spawn('gateway', options.gatewayEnv),
        ...Array.from({ length: options.workers }, () => running.spawn('worker', options.workerEnv)),
      ]);
      const bench = new BenchCluster(cluster, redis, prefix, channelIds, userIds, personality);
      if (options.warmUp) await bench.warmUp();
      return bench;
    } catch (error) {
      await cluster?.[Symbol.asyncDispose]().catch(() => undefined);
      await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
      throw error;
    }
  }

  get sandbox(): LocalCluster['sandbox'] {
    return this.cluster.sandbox;
  }

  get aiStub(): LocalCluster['aiStub'] {
    return this.cluster.aiStub;
  }

  /** The running Chorus processes of a role. */
  processes(role?: ChorusProcess['role']): ChorusProcess[] {
    return this.cluster.processes.filter((process) => role === undefined || process.role === role);
  }

  /** Scrapes `/metrics` of every running Chorus process, by process name. */
  async sample(): Promise<Map<string, ProcessSample>> {
    const running = this.processes();
    const samples = await Promise.all(running.map((process) => fetchProcessSample(process.httpPort)));
    return new Map(running.map((process, index) => [process.name, samples[index]!]));
  }

  /** Peak RSS (Linux VmHWM) of one process, falling back to its current RSS from `/metrics`. */
  async peakRssBytes(process: ChorusProcess): Promise<number> {
    return (await fetchPeakRssBytes(process.child.pid ?? -1)) ?? (await fetchProcessSample(process.httpPort)).rssBytes;
  }

  /**
   * One message per channel from distinct users, all answered: webhooks exist, buckets are learned from
   * headers and every code path is compiled before anything is measured.
   */
  async warmUp(): Promise<void> {
    const seqs = this.channelIds.map((channelId, index) => this.tracker.send(this.userIds[index % this.userIds.length]!, channelId));
    await this.tracker.waitUntil(
      () => seqs.every((seq) => this.tracker.messages.get(seq)?.repliedAt !== null),
      WARM_UP_TIMEOUT_MS,
      'warm-up replies',
    );
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.tracker[Symbol.dispose]();
    try {
      await this.cluster[Symbol.asyncDispose]();
    } finally {
      await deleteKeysWithPrefix(this.redis, this.prefix);
      this.redis.disconnect();
    }
  }
}
