import type { Job } from 'bullmq';
import type { RedisBatch, RedisClient } from '../redis/index.js';
import {
  buildBullJobKey,
  buildCoalesceSlotField,
  buildGateConversationPrefix,
  buildGateMember,
  buildGateScriptKeys,
  buildSettleScriptKeys,
} from './keys.js';
import { QueueScript, runQueueScript } from './queue-scripts.js';
import { DEFAULT_LEASE_MS, DEFAULT_WAKE_FALLBACK_MS } from './reply-admission.js';
import { buildReplyJobId, type ReplyJob } from './reply-job.js';
import { wakeReplyJob } from './reply-queue.js';
import { buildReplyShardPrefixes, findReplyShard } from './reply-shards.js';

/** Options for {@link ConversationGate}. */
export interface ConversationGateOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** Lease a turn check renews, in ms; keep it equal to the admission's. @defaultValue {@link DEFAULT_LEASE_MS} */
  leaseMs: number;
  /**
   * How long after admission a job may still be on its way into BullMQ (the gateway runs Queue.add right
   * after the script), in ms. An earlier job older than this whose BullMQ job does not exist is dropped.
   * @defaultValue 30000
   */
  addGraceMs: number;
  /**
   * How long a job told to wait stays delayed when no settle wakes it (its wake-up was lost: a crash between
   * the earlier job's settle and the wake-up), in ms; it then checks its turn again. Each such check costs a
   * few commands, so it is long: a wake-up is normally what ends a wait.
   * @defaultValue {@link DEFAULT_WAKE_FALLBACK_MS}
   */
  wakeFallbackMs: number;
  /** `REPLY_QUEUE_SHARDS`: where an earlier job's BullMQ hash is looked for (its user's shard). @defaultValue 1 */
  shards: number;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

export const DefaultConversationGateOptions = {
  shards: 1,
  leaseMs: DEFAULT_LEASE_MS,
  addGraceMs: 30_000,
  wakeFallbackMs: DEFAULT_WAKE_FALLBACK_MS,
  now: Date.now,
} as const satisfies Omit<Required<ConversationGateOptions>, 'prefix'>;

type TurnReply =
  | [turn: 1]
  | [turn: 0, blockerJobId: string, blockerAdmittedAt: number, blockerMember: string];

/** Lost earlier jobs dropped per check before answering "not yet" (each drop is one more round trip). */
const MAX_REPAIRS_PER_CHECK = 3;

/**
 * Keeps replies of one conversation (user, channel, personality) in the order the user wrote, however many
 * workers run: admission records each job in the user's gate (and adds a job behind an earlier one delayed),
 * `ReplyAdmission.settle` removes it and wakes the job that was waiting for it. A waiting job is a delayed
 * BullMQ job: it costs nothing until it is woken. The gate is the authority: a job woken early (its fallback,
 * or a job admitted before an earlier message's job) checks here and waits again.
 */
export class ConversationGate {
  readonly options: Readonly<ConversationGateOptions>;
  /** The BullMQ prefix of each reply shard. */
  private readonly shardPrefixes: readonly string[];

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ConversationGateOptions, 'prefix'> & Partial<ConversationGateOptions>,
  ) {
    this.options = { ...DefaultConversationGateOptions, ...options };
    this.shardPrefixes = buildReplyShardPrefixes(this.options.prefix, this.options.shards);
  }

  /**
   * true when no earlier, unsettled job of the job's conversation remains, so the worker may answer it now.
   * Also renews the job's lease, and marks a job told "not yet" as waiting (the settle that makes it its
   * conversation's first job then names it for a wake-up). An earlier job whose lease expired, or that was admitted but never reached
   * BullMQ, does not block. With `batch`, the check goes out with the batch (the rare repairs after it on their
   * own): added first, it runs before the batch's reads of the user's keys, so they see the earlier job's
   * writes whenever it is this job's turn.
   */
  async isTurn(job: ReplyJob, batch?: RedisBatch): Promise<boolean> {
    const { prefix } = this.options;
    const jobId = buildReplyJobId(job.messageId, job.personalityId);
    const keys = buildGateScriptKeys(prefix, job.authorId);
    for (let repairs = 0; ; repairs += 1) {
      const now = this.options.now();
      const reply = await runQueueScript<TurnReply>(
        this.redis,
        QueueScript.checkReplyTurn,
        keys,
        [
          jobId,
          buildGateMember(job.channelId, job.personalityId, job.messageId, jobId),
          buildGateConversationPrefix(job.channelId, job.personalityId),
          now,
          this.options.leaseMs,
          this.options.leaseMs * 2,
        ],
        repairs === 0 ? batch : undefined,
      );
      if (reply[0] === 1) return true;
      const [, blockerJobId, blockerAdmittedAt, blockerMember] = reply;
      if (repairs >= MAX_REPAIRS_PER_CHECK || now - blockerAdmittedAt < this.options.addGraceMs) return false;
      // The earlier job is the same user's, so it is in the same shard.
      const shardPrefix = this.shardPrefixes[findReplyShard(job.authorId, this.shardPrefixes.length)] ?? '';
      if ((await this.redis.exists(buildBullJobKey(shardPrefix, blockerJobId))) === 1) return false;
      // Admitted, but its gateway died before Queue.add: it can never run, so it must not hold the
      // conversation until its lease expires.
      // A job it names to wake is not promoted here: it is this one, or one whose fallback delay brings it back.
      await runQueueScript<number>(
        this.redis,
        QueueScript.settleReply,
        buildSettleScriptKeys(prefix, job.authorId),
        [
          blockerJobId,
          blockerMember,
          '0',
          buildGateConversationPrefix(job.channelId, job.personalityId),
          buildCoalesceSlotField(job.channelId, job.personalityId),
        ],
      );
    }
  }

  /**
   * Parks a job {@link isTurn} just found not to be its turn: moves it (held with `token`) to BullMQ's delayed
   * set, where it holds no worker slot and costs no command until the earlier job's settle promotes it, or the
   * fallback delay ends. Then checks its turn once more: a settle that came before the job was delayed could
   * not promote it, and would otherwise leave it to the fallback. The caller then throws BullMQ's
   * `DelayedError`.
   */
  async wait(job: ReplyJob, bullJob: Job, token: string | undefined): Promise<void> {
    await bullJob.moveToDelayed(this.options.now() + this.options.wakeFallbackMs, token);
    if (await this.isTurn(job)) await wakeReplyJob(bullJob);
  }
}
