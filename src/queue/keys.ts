import { buildChannelTag, buildKey, buildUserTag } from '../redis/index.js';

/**
 * Redis keys of the queue area, one pure builder per key. A user's admission state sits under
 * `{u:<userId>}` (one slot, so one script updates it atomically); BullMQ's keys sit under the `{<prefix>}`
 * hash tag (one slot per queue shard: see reply-shards.ts); a channel's personality-chain keys under `{c:<channelId>}`.
 */
const AREA = 'queue';

/** The one BullMQ queue of reply jobs. */
export const QUEUE_NAME = 'replies';

/**
 * BullMQ `prefix`: `{<prefix>}`, hash-tagged so every BullMQ key of the queue shares one Cluster slot
 * (BullMQ's scripts touch many of them at once). Never ioredis `keyPrefix`, which BullMQ rejects.
 */
export function buildBullPrefix(prefix: string): string {
  return `{${prefix}}`;
}

/** The hash tag (without braces) of reply shard candidate `n` ≥ 1: `<prefix>:replies-<n>` (see reply-shards.ts). */
export function buildReplyShardTag(prefix: string, n: number): string {
  return `${prefix}:${QUEUE_NAME}-${n}`;
}

/**
 * The BullMQ hash of one reply job, as BullMQ names it (`<bullPrefix>:<queue>:<jobId>`), in the shard whose
 * BullMQ prefix is `bullPrefix` (`{<prefix>}` with one shard: see `buildReplyShardPrefixes`).
 */
export function buildBullJobKey(bullPrefix: string, jobId: string): string {
  return buildKey(bullPrefix, QUEUE_NAME, jobId);
}

/**
 * ZSET jobId → lease expiry (Unix ms): the user's unsettled jobs. Expired entries are pruned. Also holds the
 * empty member (score 0), which keeps the key, and so its TTL, when the last job settles (see admitReply).
 */
export function buildPendingKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'pending');
}

/**
 * HASH jobId → priority given at admission, for the user's pending jobs; plus `tokens` and `at`, the user's
 * token bucket (job ids start with `reply-`, so never one of those).
 */
export function buildPrioritiesKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'priorities');
}

/**
 * ZSET jobId → admission time: recently admitted jobs, so a repeated admission is a duplicate; plus
 * `keys-expire-at` → the expiry last given to the pending, priorities, admitted and gate keys (see admitReply).
 */
export function buildAdmittedKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'admitted');
}

/**
 * HASH `tokens`, `at`: the user's token bucket as older versions kept it (it now lives in the priorities hash).
 * Not read; listed for erasure until such keys have expired (their TTL is the bucket's refill time).
 */
export function buildBucketKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'bucket');
}

/**
 * ZSET `<guildId>:<jobId>` → lease expiry: the user's pending jobs in servers with their own pending cap
 * (a subset of the pending set; settled entries are dropped at the user's next such admission).
 */
export function buildServerPendingKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'server-pending');
}

/**
 * ZSET `<guildId>:<jobId>` → admission time: the user's jobs admitted in the last minute in servers with their
 * own per-minute limit. One key for all servers, so erasing a user needs no SCAN.
 */
export function buildServerAdmittedKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'server-admitted');
}

/** Why an admission was refused: the operator's limits (`user-*`, `queue-full`) or a server's stricter ones. */
export type RefusalReason = 'user-pending' | 'user-rate' | 'queue-full' | 'server-pending' | 'server-rate';

/** Every refusal reason, in the order the admission script expects their notice keys. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'user-pending',
  'user-rate',
  'queue-full',
  'server-pending',
  'server-rate',
];

/** STRING (expiring): the user was already told about this refusal reason in the current window. */
export function buildNotifiedKey(prefix: string, userId: string, reason: RefusalReason): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'notified', reason);
}

/**
 * ZSET (all scores 0, so ordered by member) of `<channelId>:<personalityId>:<messageId, 20 digits>:<jobId>`:
 * the user's unsettled jobs grouped by conversation, each conversation in message order. Also holds the empty
 * member, outside every conversation's range, which keeps the key and its TTL (see admitReply).
 */
export function buildGateKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'gate');
}

/**
 * SET of the user's job ids told to wait for an earlier job of their conversation: the settle that makes one
 * of them its conversation's first job names it, so the worker wakes it (see `ConversationGate`).
 */
export function buildGateWaitingKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'gate-waiting');
}

/** `<channelId>:<personalityId>:`, the start of every gate member of one conversation. */
export function buildGateConversationPrefix(channelId: string, personalityId: string): string {
  return `${channelId}:${personalityId}:`;
}

/** A job's gate member; the zero-padded snowflake makes member order equal message order. */
export function buildGateMember(
  channelId: string,
  personalityId: string,
  messageId: string,
  jobId: string,
): string {
  return `${buildGateConversationPrefix(channelId, personalityId)}${messageId.padStart(20, '0')}:${jobId}`;
}

/** The keys of a user's conversation gate, in the order `checkReplyTurn` takes them. */
export function buildGateScriptKeys(prefix: string, userId: string): string[] {
  return [
    buildPendingKey(prefix, userId),
    buildPrioritiesKey(prefix, userId),
    buildGateKey(prefix, userId),
    buildAdmittedKey(prefix, userId),
    buildGateWaitingKey(prefix, userId),
  ];
}

/** The keys `settleReply` takes: the gate's, then the coalesce slots and groups (a settled job's are dropped). */
export function buildSettleScriptKeys(prefix: string, userId: string): string[] {
  return [
    ...buildGateScriptKeys(prefix, userId),
    buildCoalesceSlotsKey(prefix, userId),
    buildCoalesceGroupsKey(prefix, userId),
  ];
}

/**
 * HASH `<channelId>:<personalityId>` → slot JSON `{jobId, lastAt, named, trigger}`: the user's replies that have
 * not started yet, which a back-to-back follow-up in the same channel may join (docs/fair-queue.md, Coalescing).
 * A field leaves when its reply starts or settles.
 */
export function buildCoalesceSlotsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'coalesce-slots');
}

/**
 * HASH jobId → group JSON `{slot, open, parts: [{messageId, content, at}]}`: the follow-ups joined to a reply.
 * Closed (`open` false) when the reply starts, so every attempt reads the same parts; dropped when it settles.
 */
export function buildCoalesceGroupsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'coalesce-groups');
}

/** A field of {@link buildCoalesceSlotsKey}: one conversation (channel, personality) of the user. */
export function buildCoalesceSlotField(channelId: string, personalityId: string): string {
  return `${channelId}:${personalityId}`;
}

/**
 * STRING (expiring) `<userId>:<jobId>`: the reply a follow-up message joined. A deletion carries no author, so
 * this is how the gateway finds the group to take a deleted follow-up out of. Deleted when the reply starts.
 */
export function buildJoinedMessageKey(prefix: string, messageId: string): string {
  return buildKey(prefix, AREA, 'joined', messageId);
}

/** Every per-user key of the queue area (for erasing a user's data without SCAN). */
export function buildUserQueueKeys(prefix: string, userId: string): string[] {
  return [
    buildPendingKey(prefix, userId),
    buildPrioritiesKey(prefix, userId),
    buildAdmittedKey(prefix, userId),
    buildBucketKey(prefix, userId),
    buildGateKey(prefix, userId),
    buildGateWaitingKey(prefix, userId),
    buildServerPendingKey(prefix, userId),
    buildServerAdmittedKey(prefix, userId),
    buildCoalesceSlotsKey(prefix, userId),
    buildCoalesceGroupsKey(prefix, userId),
    ...REFUSAL_REASONS.map((reason) => buildNotifiedKey(prefix, userId, reason)),
  ];
}

/**
 * STRING (expiring): a personality chain's link was decided: the job that answered `sourceMessageId` as
 * `speakerId` named `targetId` (once per reply, however many of its chunks name it, and whichever gateway
 * replica saw them).
 */
export function buildChainLinkKey(
  prefix: string,
  channelId: string,
  sourceMessageId: string,
  speakerId: string,
  targetId: string,
): string {
  return buildKey(
    prefix,
    AREA,
    buildChannelTag(channelId),
    'chain-link',
    sourceMessageId,
    speakerId,
    targetId,
  );
}

/** STRING counter (expiring one minute after its first link): the channel's personality-chain links this minute. */
export function buildChainBudgetKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'chain-budget');
}
