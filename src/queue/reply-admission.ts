import type { Config } from '../config/index.js';
import type { Logger } from '../log/index.js';
import type { RedisBatch, RedisClient, ScriptCall } from '../redis/index.js';
import { buildCoalesceSlotValue, canOpenCoalesceSlot, computeCoalesceDelayMs } from './coalescing.js';
import {
  buildAdmittedKey,
  buildCoalesceGroupsKey,
  buildCoalesceSlotField,
  buildCoalesceSlotsKey,
  buildGateConversationPrefix,
  buildGateKey,
  buildGateMember,
  buildGateWaitingKey,
  buildNotifiedKey,
  buildPendingKey,
  buildPrioritiesKey,
  buildServerAdmittedKey,
  buildServerPendingKey,
  buildSettleScriptKeys,
  REFUSAL_REASONS,
  type RefusalReason,
} from './keys.js';
import { QueueDepthSampler } from './queue-depth-sampler.js';
import { fromRefusalCode, QueueScript, runQueueScript } from './queue-scripts.js';
import { buildReplyJobId, type ReplyJob, ReplyJobSchema } from './reply-job.js';
import { REPLY_JOB_NAME, type ReplyQueue, wakeReplyJob } from './reply-queue.js';
import { ReplyQueueShards } from './reply-queue-shards.js';

/** What {@link ReplyAdmission.admit} decided. */
export type AdmissionResult =
  | { readonly outcome: 'enqueued'; readonly jobId: string; readonly priority: number }
  | { readonly outcome: 'duplicate'; readonly jobId: string }
  | {
      readonly outcome: 'refused';
      readonly reason: RefusalReason;
      readonly retryAfterMs: number;
      /** true at most once per user, reason and notice window: tell the user (see `buildLimitNotice`). */
      readonly notify: boolean;
      /** The limit that refused: jobs pending, jobs per minute, or the queue's depth (the server's for `server-*`). */
      readonly limit: number;
    };

/** The limits admission applies, as `Config['limits']` holds them. */
export type AdmissionLimits = Pick<
  Config['limits'],
  'userMaxPending' | 'userRatePerMinute' | 'userBurst' | 'queueMaxDepth' | 'fairQueue'
>;

/**
 * A server's stricter per-user limits for jobs in that server (`GuildSettings` has these fields); null = only
 * the operator's. They add to the operator's limits, never replace them, so a server can only tighten.
 */
export interface ServerLimits {
  /** Most unsettled jobs a user may have in this server. */
  readonly userMaxPending: number | null;
  /** Most jobs a user may have admitted in this server in the last minute. */
  readonly userRatePerMinute: number | null;
}

/** The window of a server's per-minute limit, in ms. */
export const SERVER_RATE_WINDOW_MS = 60_000;

/** Highest priority BullMQ accepts (2^21 - 1). */
export const MAX_BULLMQ_PRIORITY = 2_097_151;

/**
 * How long an admitted job counts as pending without being settled: past it, a job lost between admission
 * and Queue.add (or by a worker that died) stops holding the user's slot and its conversation. Workers renew
 * it through `ConversationGate.isTurn`.
 */
export const DEFAULT_LEASE_MS = 10 * 60_000;

/**
 * How long a job waiting for an earlier job of its conversation stays delayed when no settle wakes it (the
 * wake-up was lost: a crash between the earlier job's settle and the promote); it then checks its turn again.
 */
export const DEFAULT_WAKE_FALLBACK_MS = 30_000;

/** Options for {@link ReplyAdmission}. */
export interface ReplyAdmissionOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** Per-user and global limits (`Config['limits']`). */
  limits: AdmissionLimits;
  /**
   * The queue to add to (one queue = one shard); when null, `shards` queues are opened on the same client and
   * closed by {@link ReplyAdmission.close}. @defaultValue null
   */
  queue: ReplyQueueShards | ReplyQueue | null;
  /** `REPLY_QUEUE_SHARDS`: how many shards it opens when `queue` is null. @defaultValue 1 */
  shards: number;
  /** Where the queue it opens logs its errors. */
  logger: Logger;
  /** Lease of a pending job, in ms. @defaultValue {@link DEFAULT_LEASE_MS} */
  leaseMs: number;
  /** How long a job id is remembered so a repeated admission is a duplicate, in ms. @defaultValue 600000 */
  duplicateWindowMs: number;
  /** A user is told about one refusal reason at most once per this window, in ms. @defaultValue 60000 */
  noticeWindowMs: number;
  /** Retry hint when the user has too many pending jobs (replies take seconds), in ms. @defaultValue 20000 */
  pendingRetryAfterMs: number;
  /** Retry hint when the whole queue is full, in ms. @defaultValue 60000 */
  queueFullRetryAfterMs: number;
  /**
   * Delay of a job admitted behind an earlier pending job of its conversation: the earlier job's settle
   * promotes it, so this only bounds a lost wake-up, in ms. @defaultValue {@link DEFAULT_WAKE_FALLBACK_MS}
   */
  wakeFallbackMs: number;
  /**
   * `COALESCE_WINDOW_MS`: a person's job opens a coalesce slot (its user's back-to-back follow-ups join it; see
   * `ReplyCoalescer`) and is added delayed until this long after its message was written; 0 = off, in ms.
   * @defaultValue 0
   */
  coalesceWindowMs: number;
  /**
   * `QUEUE_DEPTH_SAMPLE_MS`: how long a read of the queue's depth stands in for it (plus the jobs this process
   * added since), so a busy gateway reads it about once per this period rather than per message; 0 = every
   * {@link ReplyAdmission.readQueueDepth} reads Redis, in ms. The queue-full cap may then let through what other
   * processes added within this period. @defaultValue 0
   */
  queueDepthSampleMs: number;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

export const DefaultReplyAdmissionOptions = {
  queue: null,
  shards: 1,
  coalesceWindowMs: 0,
  queueDepthSampleMs: 0,
  leaseMs: DEFAULT_LEASE_MS,
  duplicateWindowMs: 10 * 60_000,
  noticeWindowMs: 60_000,
  pendingRetryAfterMs: 20_000,
  queueFullRetryAfterMs: 60_000,
  wakeFallbackMs: DEFAULT_WAKE_FALLBACK_MS,
  now: Date.now,
} as const satisfies Omit<Required<ReplyAdmissionOptions>, 'prefix' | 'limits' | 'logger'>;

/**
 * The channels the author's window index dropped, then `[code, priority, waiting]` when admitted (or a pending
 * duplicate), `[code, retryAfterMs, notify, limit]` when refused.
 */
type AdmitReply = [windowsDropped: unknown, code: number, value: number, flag?: number, limit?: number];

/** The BullMQ states `Queue.count()` adds up, in the order `countQueuedReplies` takes their keys. */
const QUEUED_STATES = ['wait', 'delayed', 'prioritized', 'waiting-children'] as const;

/**
 * Admits reply jobs into the reply queue (the user's shard) with per-user fairness and limits (docs/fair-queue.md):
 * a Lua script in the user's slot decides and records, then the job is added to BullMQ with the priority
 * it computed. Idempotent per job id, so gateway replicas seeing one event enqueue one job.
 */
export class ReplyAdmission {
  readonly options: Readonly<ReplyAdmissionOptions>;
  /** The queue shards jobs are added to, each user's to one (also what `PriorityAging` sweeps). */
  readonly queue: ReplyQueueShards;
  private readonly ownsQueue: boolean;
  /** Per shard, the keys `countQueuedReplies` reads. */
  private readonly queuedKeys: readonly string[][];
  private readonly depthSampler: QueueDepthSampler;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ReplyAdmissionOptions, 'prefix' | 'limits' | 'logger'> & Partial<ReplyAdmissionOptions>,
  ) {
    this.options = { ...DefaultReplyAdmissionOptions, ...options };
    const { queue, prefix, logger, shards } = this.options;
    this.ownsQueue = queue === null;
    this.queue =
      queue === null
        ? ReplyQueueShards.open(redis, shards, { prefix, logger })
        : queue instanceof ReplyQueueShards
          ? queue
          : new ReplyQueueShards([queue]);
    this.queuedKeys = this.queue.shards.map((shard) => QUEUED_STATES.map((state) => shard.toKey(state)));
    this.depthSampler = new QueueDepthSampler(this.options.queueDepthSampleMs, this.options.now);
  }

  /**
   * The queue's depth, as admission compares it with `queueMaxDepth`: the jobs BullMQ's `Queue.count()`
   * counts, added up over the shards (one script per shard's slot). In `batch` when given, so a caller reads it
   * with its other lookups (see {@link admit}); nothing is read while a sample is younger than `queueDepthSampleMs`.
   */
  readQueueDepth(batch?: RedisBatch): Promise<number> {
    const sampled = this.depthSampler.getDepth();
    if (sampled !== null) return Promise.resolve(sampled);
    return this.depthSampler.refresh(async () => {
      const depths = await Promise.all(
        this.queuedKeys.map((keys) =>
          runQueueScript<number>(this.redis, QueueScript.countQueuedReplies, keys, [], batch),
        ),
      );
      return depths.reduce((sum, depth) => sum + depth, 0);
    });
  }

  /**
   * Decides whether `job` enters the queue and, if so, adds it. A refused job is not enqueued; `notify`
   * says whether to tell the user this time.
   *
   * Crash window: the script records the job as pending before Queue.add (another slot). If the process dies
   * in between, the pending entry and gate entry stay until their lease expires (pruned on the user's next
   * admission; the gate also drops them as soon as it sees no job was added), and a replica admitting the
   * same event sees a pending duplicate and adds the job itself.
   *
   * A job admitted behind an earlier pending job of its conversation is added delayed (by the wake fallback):
   * no worker takes it before the earlier job's settle promotes it, so its wait costs no try. A person's job
   * opens a coalesce slot in the same script when coalescing is on, and is added delayed until the window after
   * its message ends (the same delayed add: a woken job may start sooner), so back-to-back follow-ups can join it.
   *
   * @param queueDepth The depth from {@link readQueueDepth}, read by the caller just before (the gateway reads
   * it with its routing lookups: one round trip fewer); read here when absent. The cap is approximate either
   * way: concurrent gateways admit between the read and the script.
   * @param serverLimits The job's server's stricter per-user limits, as the caller read them with its settings
   * (applied in the same script: no extra command); ignored for a job outside a server (DMs).
   * @param authorIndex The author's window-index entry their message's line made due
   * (`ChannelWindowRepository.buildUserIndexCall`, keys in the author's slot): written by the same script,
   * whatever it decides, and finished (the dropped windows' lines removed) before this resolves.
   */
  async admit(
    job: ReplyJob,
    queueDepth?: number,
    serverLimits?: ServerLimits | null,
    authorIndex?: ScriptCall<void>,
  ): Promise<AdmissionResult> {
    const data = ReplyJobSchema.parse(job);
    const { prefix, limits, leaseMs, duplicateWindowMs, noticeWindowMs } = this.options;
    const jobId = buildReplyJobId(data.messageId, data.personalityId);
    const now = this.options.now();
    const depth = queueDepth ?? (await this.readQueueDepth());
    const server = data.guildId === null ? null : (serverLimits ?? null);
    const { coalesceWindowMs } = this.options;
    const opensSlot = coalesceWindowMs > 0 && canOpenCoalesceSlot(data);
    const pendingKey = buildPendingKey(prefix, data.authorId);
    const [windowsDropped, code, value, flag, limit] = await runQueueScript<AdmitReply>(
      this.redis,
      QueueScript.admitReply,
      [
        pendingKey,
        buildPrioritiesKey(prefix, data.authorId),
        buildAdmittedKey(prefix, data.authorId),
        buildGateKey(prefix, data.authorId),
        ...REFUSAL_REASONS.map((reason) => buildNotifiedKey(prefix, data.authorId, reason)),
        buildGateWaitingKey(prefix, data.authorId),
        buildServerPendingKey(prefix, data.authorId),
        buildServerAdmittedKey(prefix, data.authorId),
        buildCoalesceSlotsKey(prefix, data.authorId),
        buildCoalesceGroupsKey(prefix, data.authorId),
        ...(authorIndex?.keys ?? [pendingKey]),
      ],
      [
        jobId,
        buildGateMember(data.channelId, data.personalityId, data.messageId, jobId),
        now,
        leaseMs,
        duplicateWindowMs,
        limits.userMaxPending,
        limits.userRatePerMinute,
        limits.userBurst,
        depth,
        limits.queueMaxDepth,
        limits.fairQueue ? 1 : 0,
        noticeWindowMs,
        this.options.pendingRetryAfterMs,
        this.options.queueFullRetryAfterMs,
        MAX_BULLMQ_PRIORITY,
        buildGateConversationPrefix(data.channelId, data.personalityId),
        data.guildId ?? '',
        server?.userMaxPending ?? 0,
        server?.userRatePerMinute ?? 0,
        SERVER_RATE_WINDOW_MS,
        opensSlot ? buildCoalesceSlotField(data.channelId, data.personalityId) : '',
        opensSlot ? buildCoalesceSlotValue(data, jobId) : '',
        ...(authorIndex?.args ?? ['', '', '', '']),
      ],
    );
    await authorIndex?.finish(windowsDropped);
    if (code < 0) {
      return {
        outcome: 'refused',
        reason: fromRefusalCode(code),
        retryAfterMs: value,
        notify: flag === 1,
        limit: limit ?? 0,
      };
    }
    // 3 = a duplicate whose job already finished: adding it again would answer the message twice.
    if (code === 3) return { outcome: 'duplicate', jobId };
    const coalesceDelayMs = opensSlot
      ? computeCoalesceDelayMs(data.messageCreatedAt, coalesceWindowMs, now)
      : 0;
    const delay = flag === 1 ? Math.max(this.options.wakeFallbackMs, coalesceDelayMs) : coalesceDelayMs;
    const queue = this.queue.forUser(data.authorId);
    try {
      // For a pending duplicate this is a no-op when the first gateway added the job, and the repair when
      // it died before adding it: BullMQ keeps one job per id. Stamped with the admission time, which
      // PriorityAging reads.
      await queue.add(REPLY_JOB_NAME, data, {
        jobId,
        priority: value,
        timestamp: now,
        ...(delay > 0 ? { delay } : {}),
      });
    } catch (error) {
      if (code === 1) await this.release(data, true).catch(() => undefined);
      throw error;
    }
    if (code === 1) this.depthSampler.noteAdded();
    // The earlier job may have settled between the script and the add: its wake-up then took the mark and met
    // no job to promote. A mark still there is taken by a later settle, which finds the job added.
    if (flag === 1 && (await this.redis.sismember(buildGateWaitingKey(prefix, data.authorId), jobId)) === 0) {
      await this.wake(queue, jobId);
    }
    return code === 1 ? { outcome: 'enqueued', jobId, priority: value } : { outcome: 'duplicate', jobId };
  }

  /**
   * The job is finished (answered, or failed for good): frees its pending slot and its place in the
   * conversation gate, and wakes (promotes) the next job of its conversation if that one is waiting for its
   * turn. Idempotent.
   */
  async settle(job: ReplyJob): Promise<void> {
    await this.release(job, false);
  }

  /** Closes the queue if this admission opened it. */
  async close(): Promise<void> {
    if (this.ownsQueue) await this.queue.close();
  }

  private async release(job: ReplyJob, forgetAdmission: boolean): Promise<void> {
    const call = this.buildReleaseCall(job, forgetAdmission);
    await call.finish(
      await runQueueScript<unknown>(this.redis, QueueScript.settleReply, call.keys, call.args),
    );
  }

  /**
   * {@link ReplyAdmission.settle} as a script call not yet sent, for a script that settles the job among other
   * steps of the user's slot (it includes `queue:includes/settleJob`); its finish wakes the job to wake.
   */
  buildSettleCall(job: ReplyJob, { turnChecked = false }: { turnChecked?: boolean } = {}): ScriptCall<void> {
    return this.buildReleaseCall(job, false, turnChecked);
  }

  /** `turnChecked`: the caller's attempt passed its turn check, which took the job's waiting mark. */
  private buildReleaseCall(job: ReplyJob, forgetAdmission: boolean, turnChecked = false): ScriptCall<void> {
    const { prefix } = this.options;
    const jobId = buildReplyJobId(job.messageId, job.personalityId);
    return {
      keys: buildSettleScriptKeys(prefix, job.authorId),
      args: [
        jobId,
        buildGateMember(job.channelId, job.personalityId, job.messageId, jobId),
        forgetAdmission ? '1' : '0',
        buildGateConversationPrefix(job.channelId, job.personalityId),
        // No admission opens a slot for a job that cannot open one, whatever its coalescing setting.
        canOpenCoalesceSlot(job) ? buildCoalesceSlotField(job.channelId, job.personalityId) : '',
        turnChecked ? '1' : '',
      ],
      finish: async (reply) => {
        const [, wakeJobId] = reply as [removed: number, wakeJobId?: string];
        // Another slot (the queue's), so a second step. Lost if the process dies just before it: the woken
        // job's fallback delay covers that.
        if (wakeJobId !== undefined) await this.wake(this.queue.forUser(job.authorId), wakeJobId);
      },
    };
  }

  /**
   * Promotes a waiting job's delayed BullMQ job in `queue` (its user's shard); nothing when it is not delayed
   * (not added yet, or woken).
   */
  private async wake(queue: ReplyQueue, jobId: string): Promise<void> {
    await wakeReplyJob({ promote: () => queue.backend.promote(jobId) });
  }
}
