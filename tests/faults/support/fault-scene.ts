/**
 * The stage every fault scenario plays on: a {@link LocalCluster} (sandbox and AI stub in this process, gateway
 * and workers as real child processes) under a fresh `test-<uuid>` prefix, a guild with channels and users, a
 * personality, and the bookkeeping that turns "nothing lost, nothing doubled" into exact counts read from the
 * sandbox transcript and the delivery ledger — never from timings.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import type { TranscriptEntry } from '../../../sandbox/index.js';
import {
  type ChorusProcess,
  LocalCluster,
  type LocalClusterOptions,
  type ProcessRole,
} from '../../../scripts/cluster/local-cluster.js';
import { createLogger } from '../../../src/log/index.js';
import { buildBullPrefix, buildReplyJobId, QUEUE_NAME, ReplyQueueShards } from '../../../src/queue/index.js';
import { createRedis, type RedisClient } from '../../../src/redis/index.js';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import { type Personality, PersonalityRepository } from '../../../src/state/index.js';
import { readJobEvents } from '../../support/job-events.js';
import {
  createTestPrefix,
  deleteKeysWithPrefix,
  TEST_REDIS_CLUSTER,
  TEST_REDIS_URL,
} from '../../support/redis.js';

/**
 * Environment every fault scenario starts from: per-user limits that never bind (scenarios about limits set
 * their own), and BullMQ stall detection shortened so a killed worker's jobs come back within seconds.
 */
const FAULT_ENV = {
  USER_BURST: '1000',
  USER_RATE_PER_MINUTE: '100000',
  USER_MAX_PENDING: '1000',
  // Must hold every pending job's records (at least USER_MAX_PENDING).
  USER_INDEX_MAX_ENTRIES: '1000',
  WORKER_LOCK_DURATION_MS: '4000',
  WORKER_STALLED_INTERVAL_MS: '1000',
} as const;

/** The personality every scenario talks to. */
const PERSONA_NAME = 'Alice';

/** Options of {@link FaultScene.start}. */
export interface FaultSceneOptions {
  /** Redis the processes use. @defaultValue TEST_REDIS_URL */
  readonly redisUrl: string;
  /** `redisUrl` is a Redis Cluster node. @defaultValue TEST_REDIS_CLUSTER */
  readonly redisCluster: boolean;
  /** Environment of every process, over {@link FAULT_ENV}. @defaultValue {} */
  readonly env: Record<string, string>;
  /** Gateway processes started at once. @defaultValue 1 */
  readonly gateways: number;
  /** Worker processes started at once. @defaultValue 2 */
  readonly workers: number;
  /**
   * Text channels in the guild. A fresh webhook sends 5 messages per 2 s until Discord's headers say otherwise,
   * so bursts spread over channels keep a scenario short. @defaultValue 3
   */
  readonly channels: number;
  /** Users, all members of the guild. @defaultValue 20 */
  readonly users: number;
  /**
   * Sandbox options. @defaultValue Discord's rate limits off: they only slow scenarios that are not about them
   * (the Discord-trouble scenario turns them on).
   */
  readonly sandbox: LocalClusterOptions['sandbox'];
  readonly aiStub: LocalClusterOptions['aiStub'];
}

/** One user message sent through the sandbox, addressed to one personality. */
export interface SentMessage {
  readonly messageId: string;
  readonly channelId: string;
  readonly authorId: string;
  readonly authorName: string;
  readonly text: string;
  readonly personalityId: string;
}

/** How the messages sent so far were answered. */
export interface DeliveryTally {
  /** Messages answered by the AI's reply. */
  readonly replies: number;
  /** Messages answered by a notice (provider down, internal error). */
  readonly notices: number;
  /** Limit notices: the gateway's replies to messages it refused (not queued, so not in {@link FaultScene.sent}). */
  readonly limitNotices: number;
}

/** A user of the scene's guild. */
export interface SceneUser {
  readonly id: string;
  /** The display name the AI sees (and the stub echoes). */
  readonly name: string;
}

const POLL_MS = 200;

/** See the module comment. Disposing it stops every process and deletes every key of its prefix. */
export class FaultScene implements AsyncDisposable {
  readonly sent: SentMessage[] = [];
  /** The reply queue's shard 0 (the only one unless `REPLY_QUEUE_SHARDS` is in the scene's `env`). */
  readonly queue: Queue;
  /** Every reply queue shard (`REPLY_QUEUE_SHARDS` of the scene's `env`, else 1). */
  readonly replyShards: ReplyQueueShards;
  readonly ledger: DeliveryLedger;

  private constructor(
    readonly cluster: LocalCluster,
    readonly redis: RedisClient,
    readonly prefix: string,
    readonly guildId: string,
    readonly channelIds: readonly string[],
    readonly users: readonly SceneUser[],
    readonly personality: Personality,
    shards: number,
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection: redis, prefix: buildBullPrefix(prefix) });
    this.replyShards = ReplyQueueShards.open(redis, shards, {
      prefix,
      logger: createLogger({ level: 'silent', service: 'faults' }),
    });
    this.ledger = new DeliveryLedger(redis, { prefix });
  }

  static async start(options: Partial<FaultSceneOptions> = {}): Promise<FaultScene> {
    const redisUrl = options.redisUrl ?? TEST_REDIS_URL;
    const prefix = createTestPrefix();
    const redisCluster = options.redisCluster ?? TEST_REDIS_CLUSTER;
    const connectionName = `faults-${prefix}`;
    // A scenario may restart Redis (or fail a Cluster master over): the client reconnects by itself, and its
    // commands wait for it.
    const redis: RedisClient = redisCluster
      ? createRedis({
          url: redisUrl,
          cluster: true,
          role: 'bullmq-blocking',
          connectionName,
          logger: createLogger({ level: 'silent', service: 'faults' }),
        })
      : new Redis(redisUrl, { maxRetriesPerRequest: null, connectionName });
    redis.on('error', () => undefined);
    let cluster: LocalCluster | undefined;
    try {
      cluster = await LocalCluster.start({
        redisUrl,
        redisCluster,
        prefix,
        env: {
          ...FAULT_ENV,
          // With the sandbox's limits off (the default), so is the fleet's channel budget: scenarios put hundreds
          // of replies into a few channels to load the pipeline, not Discord's 30 per minute per channel.
          ...(options.sandbox === undefined ? { WEBHOOK_CHANNEL_PER_MINUTE: '0' } : {}),
          ...options.env,
        },
        sandbox: options.sandbox ?? { rateLimits: { enabled: false } },
        aiStub: options.aiStub,
        startTimeoutMs: 60_000,
      });
      const { sandbox } = cluster;
      const guild = sandbox.createGuild({ name: 'faults' });
      const channelIds = Array.from(
        { length: options.channels ?? 3 },
        (_, index) => sandbox.createChannel(guild.id, { name: `faults-${index}` }).id,
      );
      const users = Array.from({ length: options.users ?? 20 }, (_, index) => {
        const user = sandbox.createUser({ username: `user${index}`, globalName: `User ${index}` });
        sandbox.addMember(guild.id, user.id);
        return { id: user.id, name: `User ${index}` };
      });
      const personality = await new PersonalityRepository(redis, { prefix }).create({
        ownerId: users[0]!.id,
        name: PERSONA_NAME,
        visibility: 'public',
        systemPrompt: 'You are Alice, a careful librarian.',
        avatarUrl: 'https://cdn.example.com/alice.png',
        provider: 'default',
        model: 'stub-small',
        temperature: null,
        // The scenes find each message's reply through the stub's echo of the last user turn, which in `room`
        // mode also holds the channel's earlier lines.
        contextMode: 'personal',
      });
      const shards = Number(options.env?.['REPLY_QUEUE_SHARDS'] ?? '1');
      const scene = new FaultScene(cluster, redis, prefix, guild.id, channelIds, users, personality, shards);
      const running = cluster;
      await Promise.all([
        ...Array.from({ length: options.gateways ?? 1 }, () => running.spawn('gateway')),
        ...Array.from({ length: options.workers ?? 2 }, () => running.spawn('worker')),
      ]);
      return scene;
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

  /** The running processes of a role. */
  processes(role: ProcessRole): ChorusProcess[] {
    return this.cluster.processes.filter((running) => running.role === role);
  }

  /** Starts one more gateway or worker. */
  spawn(role: ProcessRole, env: Record<string, string> = {}): Promise<ChorusProcess> {
    return this.cluster.spawn(role, env);
  }

  /**
   * `user` writes `@<personality> <text>` in `channelId` (just `<text>` with `mention: false`, for a channel
   * where the personality is activated); the message is remembered for the checks. `text` should be unique in
   * the scene: the stub echoes it, and that is how replies are matched to messages.
   */
  say(
    user: SceneUser,
    channelId: string,
    text: string,
    options: { personality?: Personality; mention?: boolean } = {},
  ): SentMessage {
    const personality = options.personality ?? this.personality;
    const content = options.mention === false ? text : `@${personality.name} ${text}`;
    const entry = this.sandbox.userSays(user.id, channelId, content);
    const sent: SentMessage = {
      messageId: entry.id,
      channelId,
      authorId: user.id,
      authorName: user.name,
      text,
      personalityId: personality.id,
    };
    this.sent.push(sent);
    return sent;
  }

  /**
   * Sends `count` messages, user `i % users` in channel `i % channels`, `batch` at a time with a pause of
   * `pauseMs` between batches (so a fault can land mid-load). Texts are `<label>-<i>`. `users` defaults to all.
   */
  async sayMany(
    count: number,
    label: string,
    options: { batch?: number; pauseMs?: number; users?: readonly SceneUser[] } = {},
  ): Promise<SentMessage[]> {
    const batch = options.batch ?? count;
    const users = options.users ?? this.users;
    const sent: SentMessage[] = [];
    for (let index = 0; index < count; index += 1) {
      const user = users[index % users.length]!;
      const channelId = this.channelIds[index % this.channelIds.length]!;
      sent.push(this.say(user, channelId, `${label}-${index}`));
      if ((index + 1) % batch === 0 && index + 1 < count) await sleep(options.pauseMs ?? 0);
    }
    return sent;
  }

  /**
   * Keeps in {@link FaultScene.sent} only the messages the gateway enqueued a job for, and returns the others
   * (a gateway that stopped before routing them never admitted them).
   */
  async keepEnqueued(): Promise<SentMessage[]> {
    const dropped: SentMessage[] = [];
    const added = new Set(await this.addedJobIds());
    for (const sent of [...this.sent]) {
      if (added.has(buildReplyJobId(sent.messageId, sent.personalityId))) continue;
      dropped.push(sent);
      this.sent.splice(this.sent.indexOf(sent), 1);
    }
    return dropped;
  }

  /**
   * Messages of the bot and its webhooks in the scene's channels: the workers' replies and notices. Limit
   * notices (the gateway's Discord replies to refused messages) are apart: {@link FaultScene.limitNotices}.
   */
  answers(): TranscriptEntry[] {
    return this.botMessages().filter((message) => message.referencedMessageId === null);
  }

  /** The gateway's limit notices, each a Discord reply to the message it refused. */
  limitNotices(): TranscriptEntry[] {
    return this.botMessages().filter((message) => message.referencedMessageId !== null);
  }

  /** Answers echoing `sent`'s text: the AI's replies to it. */
  repliesTo(sent: SentMessage, answers: readonly TranscriptEntry[] = this.answers()): TranscriptEntry[] {
    const marker = `last="${sent.authorName}: ${sent.text}"`;
    return answers.filter((message) => message.content.includes(marker));
  }

  /**
   * Per shard, the ids of the reply jobs `event` (`added`, `completed`…) happened to, oldest first, one per
   * event: a completed job is removed at once, so BullMQ's events stream is what says it was added and ended.
   */
  async jobEvents(event: string): Promise<string[][]> {
    return Promise.all(this.replyShards.shards.map((shard) => readJobEvents(this.redis, shard, event)));
  }

  /** The ids of every reply job added so far, all shards; one per add (a job added twice appears twice). */
  async addedJobIds(): Promise<string[]> {
    return (await this.jobEvents('added')).flat();
  }

  /** Waiting, active, delayed and prioritized jobs: 0 once nothing more can be posted. */
  async unfinishedJobs(): Promise<number> {
    const counts = await this.replyShards.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    return Object.values(counts).reduce((sum, count) => sum + count, 0);
  }

  /**
   * Waits until every message sent so far has a posted answer in the ledger and the queue holds no unfinished
   * job (so nothing more can arrive). Throws, naming what is missing, after `timeoutMs`.
   */
  async waitUntilSettled(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let missing: SentMessage[] = [];
    let unfinished = 0;
    for (;;) {
      missing = [];
      for (const sent of this.sent) if ((await this.fetchPostedIds(sent)).length === 0) missing.push(sent);
      unfinished = await this.unfinishedJobs();
      if (missing.length === 0 && unfinished === 0) return;
      if (Date.now() > deadline) break;
      await sleep(POLL_MS);
    }
    throw new Error(
      `not settled after ${timeoutMs} ms: ${unfinished} unfinished jobs; unanswered: ${missing
        .slice(0, 10)
        .map((sent) => sent.text)
        .join(', ')}${missing.length > 10 ? ` … (${missing.length})` : ''}; ${await this.describeState()}`,
    );
  }

  /** AI calls made and still pending, and the queue's job counts: for failure messages. */
  async describeState(): Promise<string> {
    const requests = this.aiStub.requests;
    const pending = requests.filter((request) => request.outcome === 'pending').length;
    const counts = await this.replyShards.getJobCounts();
    return `AI calls ${requests.length} (${pending} pending); jobs ${JSON.stringify(counts)}`;
  }

  /** AI calls the stub is still answering. */
  pendingAiCalls(): number {
    return this.aiStub.requests.filter((request) => request.outcome === 'pending').length;
  }

  /** Polls `condition` until it holds; throws with `what` after `timeoutMs`. */
  async waitFor(
    what: string,
    condition: () => boolean | Promise<boolean>,
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${await this.describeState()}`);
      }
      await sleep(POLL_MS / 4);
    }
  }

  /**
   * The exactly-once check. Every message sent has its answer recorded in the delivery ledger; the ledger's
   * message ids and the answers in the transcript match one to one (an answer the ledger does not know is a
   * double post); and no message's text is echoed by two answers. Returns how many were replies and notices.
   */
  async expectExactlyOnce(): Promise<DeliveryTally> {
    const answers = this.answers();
    const byId = new Map(answers.map((answer) => [answer.id, answer]));
    const claimed = new Set<string>();
    const problems: string[] = [];
    let replies = 0;
    for (const sent of this.sent) {
      const postedIds = await this.fetchPostedIds(sent);
      if (postedIds.length === 0) problems.push(`${sent.text}: no answer recorded`);
      for (const id of postedIds) {
        if (!byId.has(id)) problems.push(`${sent.text}: recorded answer ${id} is not in the channel`);
        if (claimed.has(id)) problems.push(`${sent.text}: answer ${id} recorded for two messages`);
        claimed.add(id);
      }
      const echoes = this.repliesTo(sent, answers).length;
      if (echoes > 1) problems.push(`${sent.text}: replied ${echoes} times`);
      if (echoes === 1) replies += 1;
    }
    for (const answer of answers) {
      if (!claimed.has(answer.id))
        problems.push(`unrecorded answer (a double?): ${answer.content.slice(0, 120)}`);
    }
    expect(problems).toEqual([]);
    return { replies, notices: this.sent.length - replies, limitNotices: this.limitNotices().length };
  }

  /** The message ids the ledger recorded for `sent`'s job, in chunk order. */
  async fetchPostedIds(sent: SentMessage): Promise<string[]> {
    const record = await this.ledger.fetch(
      sent.authorId,
      buildReplyJobId(sent.messageId, sent.personalityId),
    );
    return [...record.posted.entries()].sort(([a], [b]) => a - b).map(([, id]) => id);
  }

  private botMessages(): TranscriptEntry[] {
    return this.channelIds
      .flatMap((channelId) => this.sandbox.transcript(channelId))
      .filter((message) => message.webhookId !== null || message.authorId === this.sandbox.bot.userId);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await this.replyShards.close().catch(() => undefined);
    await this.cluster[Symbol.asyncDispose]().catch(() => undefined);
    await deleteKeysWithPrefix(this.redis, this.prefix).catch(() => undefined);
    this.redis.disconnect();
  }
}
