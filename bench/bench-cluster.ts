import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  type ChorusProcess,
  LocalCluster,
  type LocalClusterOptions,
} from '../scripts/cluster/local-cluster.js';
import { type Personality, PersonalityRepository } from '../src/state/index.js';
import { deleteKeysWithPrefix } from '../tests/support/redis.js';
import {
  fetchPeakRssBytes,
  fetchProcessSample,
  type ProcessSample,
  resetPeakRss,
} from './process-metrics.js';
import { type PromptWindowSummary, summarizeChannelLines } from './prompt-window.js';
import { ReplyTracker } from './reply-tracker.js';
import type { QueueMode } from './scenario-result.js';

/** Limits high enough that no per-user limit binds: the benchmark measures the pipeline, not the limiter. */
export const UNBOUNDED_USER_LIMITS = {
  USER_MAX_PENDING: '100000',
  // Must hold every pending job's records (at least USER_MAX_PENDING).
  USER_INDEX_MAX_ENTRIES: '100000',
  USER_RATE_PER_MINUTE: '1000000',
  USER_BURST: '100000',
  QUEUE_MAX_DEPTH: '10000000',
} as const;

/**
 * The fleet's side of Discord's limits off (the global rate, each channel's budget), for scenarios whose sandbox
 * has its rate limits off: they measure the pipeline, with hundreds of replies a second into a few channels.
 */
export const NO_DISCORD_LIMITS = {
  WEBHOOK_GLOBAL_RATE_PER_SECOND: '100000',
  WEBHOOK_CHANNEL_PER_MINUTE: '0',
} as const;

/**
 * The gateway's environment for a queue mode, per-user limits raised. Only admission (the gateway) reads these,
 * so a scenario switches modes with {@link BenchCluster.replaceGateway} on the same workers.
 */
export function buildGatewayEnv(mode: QueueMode): Record<string, string> {
  return { ...UNBOUNDED_USER_LIMITS, FAIR_QUEUE: String(mode === 'fair') };
}

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
  /** Public personalities (`Bench`, then `Alpha`, `Bravo`…); a conversation is per user, channel and personality. @defaultValue 1 */
  readonly personalities?: number;
  /** Warm-up: one message per channel, answered before the scenario starts (webhooks created, code hot). */
  readonly warmUp: boolean;
}

/**
 * Clusters not yet disposed. If the bench process exits early (a crash, Ctrl-C), their gateway and worker
 * processes are killed with it instead of outliving it. Process-wide because the exit hook is.
 */
const liveClusters = new Set<LocalCluster>();
process.once('exit', () => {
  for (const cluster of liveClusters) for (const running of cluster.processes) running.child.kill('SIGKILL');
});

/** Names of the benchmark's personalities; the first is the one messages mention by default. */
const PERSONALITY_NAMES = [
  'Bench',
  ...'Alpha Bravo Charlie Delta Echo Foxtrot Golf Hotel India Juliett Kilo Lima Mike November Oscar Papa Quebec Romeo Sierra Tango Uniform Victor Whiskey Xray Yankee Zulu'.split(
    ' ',
  ),
];
const START_TIMEOUT_MS = 60_000;
const WARM_UP_TIMEOUT_MS = 30_000;

/** The display name of the bench's `index`-th user, as the gateway names them in a channel's window. */
export function buildBenchUserName(index: number): string {
  return `User ${index}`;
}

/**
 * One scenario's system: a {@link LocalCluster} (sandbox + stub here, gateway and workers as child processes
 * started as production starts them, from a dist/ the first cluster of the process builds) under a fresh
 * `test-<uuid>` prefix, with a guild, channels, users and public personalities, plus a {@link ReplyTracker}.
 * Disposing it stops the processes and deletes every key of its prefix.
 */
export class BenchCluster implements AsyncDisposable {
  readonly tracker: ReplyTracker;

  private constructor(
    readonly cluster: LocalCluster,
    readonly redis: Redis,
    readonly prefix: string,
    /** The one guild every channel and user belongs to. */
    readonly guildId: string,
    readonly channelIds: readonly string[],
    readonly userIds: readonly string[],
    readonly personalities: readonly Personality[],
  ) {
    this.tracker = new ReplyTracker(cluster.sandbox, PERSONALITY_NAMES[0]!);
  }

  static async start(options: BenchClusterOptions): Promise<BenchCluster> {
    const prefix = `test-${randomUUID()}`;
    const redis = new Redis(options.redisUrl, {
      maxRetriesPerRequest: null,
      connectionName: `bench-${prefix}`,
    });
    let cluster: LocalCluster | undefined;
    try {
      cluster = await LocalCluster.start({
        redisUrl: options.redisUrl,
        prefix,
        // The plain reply path: its latency figures are the pipeline's own, not a coalesce window's wait, and its
        // reply is posted whole (streaming, on by default, is the streaming scenario's, which turns it on).
        env: { COALESCE_WINDOW_MS: '0', STREAM_REPLIES: 'false', ...options.env },
        sandbox: options.sandbox,
        aiStub: options.aiStub,
        startTimeoutMs: START_TIMEOUT_MS,
        // What production runs, not tsx, whose loader and in-memory source maps add 20-30 MB to every process.
        runtime: 'dist',
      });
      liveClusters.add(cluster);
      const { sandbox } = cluster;
      const guild = sandbox.createGuild({ name: 'bench' });
      const channelIds = Array.from(
        { length: options.channels },
        (_, index) => sandbox.createChannel(guild.id, { name: `bench-${index}` }).id,
      );
      const userIds = Array.from({ length: options.users }, (_, index) => {
        const user = sandbox.createUser({ username: `user${index}`, globalName: buildBenchUserName(index) });
        sandbox.addMember(guild.id, user.id);
        return user.id;
      });
      const count = options.personalities ?? 1;
      if (count > PERSONALITY_NAMES.length)
        throw new Error(`at most ${PERSONALITY_NAMES.length} personalities`);
      const repository = new PersonalityRepository(redis, { prefix });
      const personalities: Personality[] = [];
      for (const name of PERSONALITY_NAMES.slice(0, count)) {
        personalities.push(
          await repository.create({
            ownerId: userIds[0]!,
            name,
            visibility: 'public',
            systemPrompt: `You are ${name}, a patient benchmark partner.`,
            // The plain reply path (issue 22's figures). Room context is measured on its own run, which switches
            // it on; in room mode the stub's echo of the last user turn also holds the channel's earlier lines.
            contextMode: 'personal',
            avatarUrl: `https://cdn.example.com/${name.toLowerCase()}.png`,
            provider: 'default',
            model: 'stub-small',
            temperature: null,
          }),
        );
      }
      const running = cluster;
      // allSettled: when one process fails to start, the others must have started (and be known to the
      // cluster) before it is disposed, or they would outlive the bench.
      const spawned = await Promise.allSettled([
        running.spawn('gateway', options.gatewayEnv),
        ...Array.from({ length: options.workers }, () => running.spawn('worker', options.workerEnv)),
      ]);
      const failed = spawned.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
      const bench = new BenchCluster(cluster, redis, prefix, guild.id, channelIds, userIds, personalities);
      if (options.warmUp) await bench.warmUp();
      return bench;
    } catch (error) {
      await cluster?.[Symbol.asyncDispose]().catch(() => undefined);
      if (cluster) liveClusters.delete(cluster);
      await deleteKeysWithPrefix(redis, prefix).catch(() => undefined);
      redis.disconnect();
      throw error;
    }
  }

  /** How messages mention the i-th personality. */
  mention(index: number): string {
    return this.personalities[index % this.personalities.length]!.name;
  }

  get sandbox(): LocalCluster['sandbox'] {
    return this.cluster.sandbox;
  }

  get aiStub(): LocalCluster['aiStub'] {
    return this.cluster.aiStub;
  }

  /**
   * The channel's lines in the prompts the AI stub received since its requests were last cleared, which it then
   * forgets (it keeps every request, and prompts with room context are kilobytes each).
   */
  takePromptWindows(): PromptWindowSummary {
    const summary = summarizeChannelLines(
      this.aiStub.requests.map((request) => request.messages),
      (seq) => this.tracker.messages.get(seq)?.userId,
    );
    this.aiStub.clearRequests();
    return summary;
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

  /**
   * Stops the gateway and starts another with `env` over the cluster's (e.g. `FAIR_QUEUE=false`: the FIFO
   * baseline on the same, already warm workers, since only admission reads it). Resolves once the new gateway
   * has routed a message to a reply.
   */
  replaceGateway(env: Record<string, string>): Promise<void> {
    return this.#replace('gateway', env);
  }

  /**
   * Stops every worker and starts one with `env` over the cluster's (e.g. another `WORKER_CONCURRENCY`).
   * Resolves once it has answered a message; the AI stub must answer promptly meanwhile.
   */
  replaceWorkers(env: Record<string, string>): Promise<void> {
    return this.#replace('worker', env);
  }

  async #replace(role: ChorusProcess['role'], env: Record<string, string>): Promise<void> {
    for (const running of this.processes(role)) await this.cluster.stop(running, 'SIGTERM');
    await this.cluster.spawn(role, env);
    const probe = this.tracker.send(this.userIds[0]!, this.channelIds[0]!);
    await this.tracker.waitForAll([probe], WARM_UP_TIMEOUT_MS, `the new ${role}`);
  }

  /** Starts the peak-RSS count of a process afresh (Linux), so the next {@link peakRssBytes} is this run's. */
  async resetPeakRss(process: ChorusProcess): Promise<void> {
    await resetPeakRss(process.child.pid ?? -1);
  }

  /** Peak RSS (Linux VmHWM) of one process, falling back to its current RSS from `/metrics`. */
  async peakRssBytes(process: ChorusProcess): Promise<number> {
    return (
      (await fetchPeakRssBytes(process.child.pid ?? -1)) ??
      (await fetchProcessSample(process.httpPort)).rssBytes
    );
  }

  /**
   * One message per channel from distinct users, all answered: webhooks exist, buckets are learned from
   * headers and every code path is compiled before anything is measured.
   */
  async warmUp(): Promise<void> {
    const seqs = this.channelIds.map((channelId, index) =>
      this.tracker.send(this.userIds[index % this.userIds.length]!, channelId),
    );
    await this.tracker.waitForAll(seqs, WARM_UP_TIMEOUT_MS, 'warm-up replies');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.tracker[Symbol.dispose]();
    try {
      await this.cluster[Symbol.asyncDispose]();
      liveClusters.delete(this.cluster);
    } finally {
      await deleteKeysWithPrefix(this.redis, this.prefix);
      this.redis.disconnect();
    }
  }
}
