import { RedisBatch, type RedisClient } from '../redis/index.js';
import {
  type CoalesceJoin,
  type CoalesceSlot,
  canOpenCoalesceSlot,
  type JoinOutcome,
  parseCoalesceSlot,
} from './coalescing.js';
import {
  buildAdmittedKey,
  buildCoalesceGroupsKey,
  buildCoalesceSlotField,
  buildCoalesceSlotsKey,
  buildGateWaitingKey,
  buildJoinedMessageKey,
} from './keys.js';
import { QueueScript, runQueueScript } from './queue-scripts.js';
import { DEFAULT_LEASE_MS } from './reply-admission.js';
import { buildReplyJobId, type ReplyJob } from './reply-job.js';

/** One follow-up message joined to a reply: answered by the reply of the group's first message. */
export interface CoalescedPart {
  readonly messageId: string;
  /** Its text, addressing mentions removed (its latest edit made before the reply started). */
  readonly content: string;
  /** When it was written, Unix ms. */
  readonly at: number;
}

/** Options for {@link ReplyCoalescer}. */
export interface ReplyCoalescerOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * `COALESCE_WINDOW_MS`: a follow-up joins a group whose latest message came at most this long before it, and
   * the first message's reply waits this long after it; 0 turns coalescing off (nothing is read or written).
   */
  windowMs: number;
  /** Most messages in one group, the first included; a follow-up past it gets a reply of its own. @defaultValue 10 */
  maxParts: number;
  /** Longest text of one joined part, in UTF-16 units (a job's `content` limit). @defaultValue 4000 */
  maxPartChars: number;
  /**
   * TTL of the coalesce keys, renewed on every write (the admission's lease plus its duplicate window, like the
   * other per-user queue keys): groups of a reply still waiting in a busy queue must outlive that wait, in ms.
   * @defaultValue 1200000
   */
  keyTtlMs: number;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

export const DefaultReplyCoalescerOptions = {
  maxParts: 10,
  maxPartChars: 4000,
  keyTtlMs: 2 * DEFAULT_LEASE_MS,
  now: Date.now,
} as const satisfies Omit<Required<ReplyCoalescerOptions>, 'prefix' | 'windowMs'>;

/** The reply a follow-up joins: the group's job, in its author's partition. */
export interface CoalesceTarget {
  readonly authorId: string;
  readonly channelId: string;
  readonly personalityId: string;
  /** The group's reply job. */
  readonly jobId: string;
}

/** A message about to join groups: its author and channel, and the part it becomes. */
export interface CoalesceFollowUp {
  readonly authorId: string;
  readonly channelId: string;
  readonly part: CoalescedPart;
}

const NO_PARTS: readonly CoalescedPart[] = [];

/**
 * Back-to-back messages answered once (docs/fair-queue.md, Coalescing). Admission opens a slot for a person's
 * reply job (in `admitReply`, with the job delayed by the window); the gateway reads a user's open slots with
 * its routing look-ups and lets a follow-up {@link join} one instead of admitting a job; the worker
 * {@link claim}s the joined parts as the reply starts (in its first batch), which closes the group for good.
 * Every key sits in the user's partition (`{u:<id>}`) except the per-message index a deletion needs (a
 * deletion carries no author).
 */
export class ReplyCoalescer {
  readonly options: Readonly<ReplyCoalescerOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ReplyCoalescerOptions, 'prefix' | 'windowMs'> & Partial<ReplyCoalescerOptions>,
  ) {
    this.options = { ...DefaultReplyCoalescerOptions, ...options };
  }

  /** Whether coalescing is on (`windowMs` > 0). */
  get enabled(): boolean {
    return this.options.windowMs > 0;
  }

  /** The user's replies in `channelId` that have not started, by personality id (in `batch` when given). */
  async fetchOpenSlots(
    userId: string,
    channelId: string,
    batch?: RedisBatch,
  ): Promise<Map<string, CoalesceSlot>> {
    const key = buildCoalesceSlotsKey(this.options.prefix, userId);
    const stored = await RedisBatch.send<Record<string, string>>(this.redis, batch, key, (pipeline) =>
      pipeline.hgetall(key),
    );
    const slots = new Map<string, CoalesceSlot>();
    for (const [field, value] of Object.entries(stored ?? {})) {
      const slot = parseCoalesceSlot(field, value, channelId);
      if (slot !== null) slots.set(slot.personalityId, slot);
    }
    return slots;
  }

  /**
   * Adds a follow-up to a reply that has not started (one script), and indexes its message id so that its
   * deletion finds the group (in the same round trip). `named`: the follow-up named the personality.
   */
  async join(target: CoalesceTarget, part: CoalescedPart, named: boolean): Promise<JoinOutcome> {
    const { prefix, keyTtlMs } = this.options;
    const indexKey = buildJoinedMessageKey(prefix, part.messageId);
    const code = await RedisBatch.together((batch) => {
      const joining = runQueueScript<number>(
        this.redis,
        QueueScript.joinCoalesced,
        [
          buildCoalesceSlotsKey(prefix, target.authorId),
          buildCoalesceGroupsKey(prefix, target.authorId),
          buildAdmittedKey(prefix, target.authorId),
        ],
        [
          buildCoalesceSlotField(target.channelId, target.personalityId),
          target.jobId,
          buildReplyJobId(part.messageId, target.personalityId),
          part.messageId,
          part.content.slice(0, this.options.maxPartChars),
          part.at,
          named ? '1' : '0',
          this.options.maxParts,
          this.options.now(),
          keyTtlMs,
        ],
        batch,
      );
      // Written whatever the outcome (it is not known yet): an entry naming a group without the message only
      // makes its deletion look there for nothing.
      const indexing = RedisBatch.send(this.redis, batch, indexKey, (pipeline) =>
        pipeline.sadd(indexKey, `${target.authorId}:${target.jobId}`),
      );
      const expiring = RedisBatch.send(this.redis, batch, indexKey, (pipeline) =>
        pipeline.pexpire(indexKey, keyTtlMs),
      );
      return Promise.all([joining, indexing, expiring]).then(([joined]) => joined);
    });
    if (code === 1) return 'joined';
    if (code === 2) return 'duplicate';
    return code === -1 ? 'full' : 'started';
  }

  /** Joins `followUp` to each of `joins` in turn (see {@link join}); the outcomes in the same order. */
  async joinAll(followUp: CoalesceFollowUp, joins: readonly CoalesceJoin[]): Promise<JoinOutcome[]> {
    const outcomes: JoinOutcome[] = [];
    for (const { personalityId, jobId, named } of joins) {
      const target = { authorId: followUp.authorId, channelId: followUp.channelId, personalityId, jobId };
      outcomes.push(await this.join(target, followUp.part, named));
    }
    return outcomes;
  }

  /**
   * A message was deleted: when it was joined to replies that have not started, takes it out of their groups.
   * Returns how many groups it left. One read for a message never joined.
   */
  async forgetMessage(messageId: string): Promise<number> {
    if (!this.enabled) return 0;
    const { prefix } = this.options;
    const entries = await this.redis.smembers(buildJoinedMessageKey(prefix, messageId));
    let dropped = 0;
    for (const entry of entries) {
      const separator = entry.indexOf(':');
      if (separator <= 0) continue;
      const userId = entry.slice(0, separator);
      dropped += await runQueueScript<number>(
        this.redis,
        QueueScript.dropJoinedPart,
        [buildCoalesceGroupsKey(prefix, userId)],
        [entry.slice(separator + 1), messageId],
      );
    }
    return dropped;
  }

  /** A joined message was edited before its reply started: its part takes the new text. Returns whether one did. */
  async recordEdit(authorId: string, messageId: string, content: string): Promise<boolean> {
    if (!this.enabled) return false;
    const edited = await runQueueScript<number>(
      this.redis,
      QueueScript.editJoinedPart,
      [buildCoalesceGroupsKey(this.options.prefix, authorId)],
      [messageId, content.slice(0, this.options.maxPartChars)],
    );
    return edited === 1;
  }

  /**
   * The reply of `job` starts: closes its group and returns the parts joined to it, oldest first; every later
   * call (a retry) returns the same parts. Nothing when the job cannot have a group (not a person's message) or
   * coalescing is off: then no command is sent. Run it in the worker's first batch, after the turn check: a job
   * whose turn it is not keeps its group open (and gets no parts, which it does not use).
   */
  async claim(job: ReplyJob, batch?: RedisBatch): Promise<readonly CoalescedPart[]> {
    if (!this.enabled || !canOpenCoalesceSlot(job)) return NO_PARTS;
    const { prefix } = this.options;
    const reply = await runQueueScript<Array<number | string>>(
      this.redis,
      QueueScript.claimCoalesced,
      [
        buildCoalesceSlotsKey(prefix, job.authorId),
        buildCoalesceGroupsKey(prefix, job.authorId),
        buildGateWaitingKey(prefix, job.authorId),
      ],
      [
        buildReplyJobId(job.messageId, job.personalityId),
        buildCoalesceSlotField(job.channelId, job.personalityId),
        this.options.keyTtlMs,
      ],
      batch,
    );
    const parts: CoalescedPart[] = [];
    for (let index = 1; index + 2 < reply.length; index += 3) {
      parts.push({
        messageId: String(reply[index]),
        content: String(reply[index + 1]),
        at: Number(reply[index + 2]),
      });
    }
    return parts;
  }

  /**
   * Drops the deletion index of parts whose reply started (a deletion no longer changes the group), so it keeps
   * no author id longer than needed: one round trip (in `batch` when given).
   */
  async forgetJoinedMessages(parts: readonly CoalescedPart[], batch?: RedisBatch): Promise<void> {
    const send = (own: RedisBatch) =>
      Promise.all(
        parts.map(({ messageId }) => {
          const key = buildJoinedMessageKey(this.options.prefix, messageId);
          return RedisBatch.send(this.redis, own, key, (pipeline) => pipeline.del(key));
        }),
      );
    await (batch === undefined ? RedisBatch.together(send) : send(batch));
  }

  /** `/forget-me`: see {@link deleteJoinedMessageIndex}. */
  forgetUser(userId: string): Promise<number> {
    return deleteJoinedMessageIndex(this.redis, this.options.prefix, userId);
  }
}

/**
 * `/forget-me`: deletes the deletion-index entries (message id → author) of the user's joined messages whose
 * replies have not settled; their groups themselves are among the user's queue keys (`buildUserQueueKeys`),
 * deleted after this. Returns how many entries were deleted.
 */
export async function deleteJoinedMessageIndex(
  redis: RedisClient,
  prefix: string,
  userId: string,
): Promise<number> {
  const groups = await redis.hvals(buildCoalesceGroupsKey(prefix, userId));
  const keys = groups.flatMap((group) =>
    readPartIds(group).map((messageId) => buildJoinedMessageKey(prefix, messageId)),
  );
  // One key each: on a Cluster they sit in different slots.
  const deleted = await Promise.all(keys.map((key) => redis.del(key)));
  return deleted.reduce((sum, count) => sum + count, 0);
}

/** The message ids of a stored group's parts (an empty group may be stored as `{}` by Lua's cjson). */
function readPartIds(group: string): string[] {
  try {
    const { parts } = JSON.parse(group) as { parts?: unknown };
    if (!Array.isArray(parts)) return [];
    return parts
      .map((part) => (part as { messageId?: unknown }).messageId)
      .filter((id): id is string => typeof id === 'string');
  } catch {
    return [];
  }
}
