import {
  fetchIndexMembers,
  RedisBatch,
  type RedisClient,
  registerScripts,
  runScript,
  waitForReplicas,
} from '../redis/index.js';
import type { AnswerUsage } from '../usage/index.js';
import { buildDeliveryIndexKey, buildDeliveryKey } from './keys.js';
import { REPLY_SCRIPTS } from './reply-scripts.js';

/** The record's field the history append sets, once. */
const HISTORY_FIELD = 'history';

/** The answer a job settled on, recorded before anything is posted. */
export interface ReplyDecision {
  /** The chunks to post, in order (already split and within Discord's limits). */
  readonly chunks: readonly string[];
  /** `true` for a notice (provider failure…): posted, but not remembered as a conversation turn. */
  readonly isNotice: boolean;
  /** The full answer as the conversation remembers it. */
  readonly reply: string;
  /** Posted by the bot itself (a system notice) rather than in the personality's name. */
  readonly asBot: boolean;
  /**
   * What the AI call that wrote the answer cost, when the provider said: recorded with the decision, so the
   * attempt that appends the history counts it, once, whichever attempt called the AI.
   */
  readonly usage?: AnswerUsage;
}

/** What a job has already done, read back on a retry. */
export interface DeliveryRecord {
  /** A retry posts this decision, never a second, different answer. */
  readonly decision: ReplyDecision | null;
  /** chunk index → posted message id. */
  readonly posted: ReadonlyMap<number, string>;
  /**
   * chunk index → when an attempt claimed it to post it (Unix ms): posted or maybe posted. The time bounds the
   * search for a maybe-posted chunk: it cannot be older than its claim.
   */
  readonly intents: ReadonlyMap<number, number>;
  /**
   * message index → the content an attempt first posted it with, for the messages of a streamed reply (the
   * final text is decided only when the stream ends). Empty for a reply that was never streamed.
   */
  readonly drafts: ReadonlyMap<number, string>;
  readonly historyAppended: boolean;
}

/**
 * Claims copied to replicas before their chunk is posted. Replication is asynchronous: a claim acknowledged by
 * a master that fails before its replica has it is lost, and a retry that finds no claim posts the chunk
 * again without looking for it first. `WAIT` closes that window.
 */
export interface DurableClaims {
  /** A connection of its own for the claim scripts: `WAIT` holds it until the replicas answer. */
  readonly redis: RedisClient;
  /** Replicas that must have the claim. */
  readonly replicas: number;
  /** Longest wait, in ms; past it the post goes ahead (a replica that is down cannot be promoted either). */
  readonly timeoutMs: number;
  /** Told when fewer replicas than asked had the claim in time. */
  readonly onShortfall: (acknowledged: number) => void;
}

export interface DeliveryLedgerOptions {
  readonly prefix: string;
  /** How long a record outlives its job (retries come within minutes; a day is generous). @defaultValue 86_400 */
  readonly ttlSeconds: number;
  /**
   * How long a claimed chunk counts as being posted by the attempt that claimed it, in ms. The attempt renews
   * it while its post runs ({@link DeliveryLedger.renewChunk}), so it must outlast one request to Discord after
   * the last renewal (15 s timeout): then a claim that lapses belongs to an attempt with nothing in flight, and
   * the next attempt may look for the chunk and post it. A dead worker's claim holds its chunk this long.
   * @defaultValue 20_000
   */
  readonly claimLeaseMs: number;
  /**
   * How many job ids a user's delivery index keeps (newest first); the records of older ones are deleted. Well
   * above the jobs one user can have unsettled at once, so a job still running never loses its record.
   * @defaultValue 500
   */
  readonly maxIndexed: number;
  /** Wait for replicas after each claim (a Redis Cluster). @defaultValue null: claims are not waited for */
  readonly durableClaims: DurableClaims | null;
}

/** What {@link DeliveryLedger.claimChunk} found. */
export type ChunkClaim =
  /** Already posted (by this job's earlier or concurrent attempt): record nothing more, post nothing. */
  | { readonly kind: 'posted'; readonly messageId: string }
  /** Another attempt's claim is live: it may be posting right now, so this one must not. */
  | { readonly kind: 'busy'; readonly leaseUntil: number }
  /**
   * Claimed: post it. `previousClaimAt` (Unix ms) is set when an earlier attempt had claimed it and may have
   * posted it before dying: look for it first.
   */
  | { readonly kind: 'claimed'; readonly previousClaimAt: number | null };

/** What {@link DeliveryLedger.leaseStream} found. */
export type StreamLease =
  /** This attempt holds the lease on the stream's messages until then. */
  | { readonly kind: 'held'; readonly leaseUntil: number }
  /** Another attempt does: it may be writing them right now, so this one must not. */
  | { readonly kind: 'busy'; readonly leaseUntil: number };

/** What {@link DeliveryLedger.decideReply} recorded and claimed. */
export interface DecidedReply {
  /** The recorded answer: this attempt's, or an earlier attempt's when there was one. */
  readonly decision: ReplyDecision;
  /** The claim on its first chunk, for the attempt that decided. */
  readonly firstChunk: ChunkClaim;
}

type ClaimReply =
  | [code: 1, messageId: string]
  | [code: 2, leaseUntil: number]
  | [code: 3, previousClaimAt: number]
  | [code: 4];

/**
 * Per-job delivery progress, so a job retried after a crash or a stall posts nothing twice.
 * Discord's Execute Webhook has no idempotency key: the open window (a crash after Discord accepted a chunk,
 * before its id was recorded) is closed by claiming each chunk first and, on a retry that finds an earlier
 * claim without an id, looking for the chunk in the channel's messages since that claim. A claim is leased
 * (`claimLeaseMs`), so an attempt BullMQ restarted while the first still runs never posts beside it.
 */
export class DeliveryLedger {
  private readonly options: DeliveryLedgerOptions;

  constructor(
    private readonly redis: RedisClient,
    options: Partial<DeliveryLedgerOptions> & Pick<DeliveryLedgerOptions, 'prefix'>,
  ) {
    this.options = {
      ttlSeconds: 86_400,
      claimLeaseMs: 20_000,
      maxIndexed: 500,
      durableClaims: null,
      ...options,
    };
  }

  async fetch(userId: string, jobId: string, batch?: RedisBatch): Promise<DeliveryRecord> {
    const key = this.key(userId, jobId);
    const fields = await RedisBatch.read<Record<string, string>>(this.redis, batch, key, 'hgetall');
    const posted = new Map<number, string>();
    const intents = new Map<number, number>();
    const drafts = new Map<number, string>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('posted:')) posted.set(Number(field.slice(7)), value);
      else if (field.startsWith('draft:')) drafts.set(Number(field.slice(6)), value);
      // `<claimedAt>:<leaseUntil>:<owner>` (a bare time from older versions): the leading number is the claim time.
      else if (field.startsWith('intent:')) intents.set(Number(field.slice(7)), Number.parseInt(value, 10));
    }
    const decision = fields['decision'] ? (JSON.parse(fields['decision']) as ReplyDecision) : null;
    return { decision, posted, intents, drafts, historyAppended: fields[HISTORY_FIELD] === '1' };
  }

  /**
   * Records the answer once (the whole decision in one field, so it is all or nothing) and claims its first
   * chunk for `owner`, who posts it next (as {@link DeliveryLedger.claimChunk} would, in the same script).
   * Returns the recorded answer: an earlier attempt's when there was one.
   */
  async decideReply(
    userId: string,
    jobId: string,
    decision: ReplyDecision,
    owner: string,
    now: number,
  ): Promise<DecidedReply> {
    const { prefix, ttlSeconds, claimLeaseMs, maxIndexed } = this.options;
    const key = this.key(userId, jobId);
    // One slot (the user's tag): the record and its index entry are written by one script.
    const [stored, dropped, ...claim] = await runScript<[string, string[], ...ClaimReply]>(
      this.claimClient(),
      'decideReply',
      [key, buildDeliveryIndexKey(prefix, userId)],
      [JSON.stringify(decision), jobId, ttlSeconds, owner, now, claimLeaseMs, maxIndexed],
    );
    const firstChunk = toChunkClaim(claim);
    await this.replicateClaim(key, firstChunk);
    // Records the index no longer lists: past their TTL already, or beyond the count, whose jobs are long settled.
    if (dropped.length > 0) await this.redis.del(...dropped.map((id) => this.key(userId, id)));
    return { decision: JSON.parse(stored) as ReplyDecision, firstChunk };
  }

  /** Erases every delivery record of a user (/forget-me); returns how many there were. */
  async forgetUser(userId: string): Promise<number> {
    const index = buildDeliveryIndexKey(this.options.prefix, userId);
    const jobIds = await fetchIndexMembers(this.redis, index);
    const keys = jobIds.map((jobId) => this.key(userId, jobId));
    const results = await this.redis
      .multi()
      .del(...keys, index)
      .exec();
    return Math.max(0, Number(results?.[0]?.[1] ?? 0) - 1);
  }

  /**
   * Claims chunk `chunkIndex` for the attempt `owner` (its BullMQ lock token) before it posts it, atomically:
   * two attempts of one job (a retry racing an attempt that lost its lock but still runs) never both post.
   */
  async claimChunk(
    userId: string,
    jobId: string,
    chunkIndex: number,
    owner: string,
    now: number,
  ): Promise<ChunkClaim> {
    const key = this.key(userId, jobId);
    const claim = toChunkClaim(
      await runScript<ClaimReply>(
        this.claimClient(),
        'claimDeliveryChunk',
        [key],
        [chunkIndex, owner, now, this.options.claimLeaseMs, this.options.ttlSeconds],
      ),
    );
    await this.replicateClaim(key, claim);
    return claim;
  }

  /**
   * Claims message `index` of a streamed reply for `owner`, who posts it next with `draft` as its content: like
   * {@link DeliveryLedger.claimChunk}, but under the stream's lease (taken or renewed by the same script; busy
   * while another attempt holds it), keeping `draft` so a retry can find the message before its id is recorded,
   * and indexing the record for /forget-me (a streamed reply has no decision until it ends).
   */
  async claimStreamMessage(
    userId: string,
    jobId: string,
    index: number,
    owner: string,
    now: number,
    draft: string,
  ): Promise<ChunkClaim> {
    const { prefix, ttlSeconds, claimLeaseMs, maxIndexed } = this.options;
    const key = this.key(userId, jobId);
    const [dropped, ...reply] = await runScript<[string[], ...ClaimReply]>(
      this.claimClient(),
      'claimStreamMessage',
      [key, buildDeliveryIndexKey(prefix, userId)],
      [index, owner, now, claimLeaseMs, ttlSeconds, draft, jobId, maxIndexed],
    );
    const claim = toChunkClaim(reply);
    await this.replicateClaim(key, claim);
    if (dropped.length > 0) await this.redis.del(...dropped.map((id) => this.key(userId, id)));
    return claim;
  }

  /**
   * Takes or renews, for one lease from `now`, the lease on a streamed reply's messages: an attempt holds it
   * while it posts, edits or deletes them, so two attempts of one job never write them at once.
   */
  async leaseStream(userId: string, jobId: string, owner: string, now: number): Promise<StreamLease> {
    return this.moveStreamLease(userId, jobId, owner, now, now + this.options.claimLeaseMs);
  }

  /** Gives up `owner`'s lease on a streamed reply's messages, so the next attempt need not wait it out. */
  async releaseStream(userId: string, jobId: string, owner: string, now: number): Promise<void> {
    await this.moveStreamLease(userId, jobId, owner, now, now);
  }

  /**
   * Forgets message `index` of a streamed reply once it was deleted from the channel (a withdrawn reply, or one
   * a retry's shorter answer no longer needs): its id, claim and draft.
   */
  async forgetMessage(userId: string, jobId: string, index: number): Promise<void> {
    await this.redis.hdel(this.key(userId, jobId), `posted:${index}`, `intent:${index}`, `draft:${index}`);
  }

  private async moveStreamLease(
    userId: string,
    jobId: string,
    owner: string,
    now: number,
    leaseUntil: number,
  ): Promise<StreamLease> {
    const [code, until] = await runScript<[number, number]>(
      this.claimClient(),
      'leaseDeliveryStream',
      [this.key(userId, jobId)],
      [owner, now, leaseUntil, this.options.ttlSeconds],
    );
    return { kind: code === 1 ? 'held' : 'busy', leaseUntil: Number(until) };
  }

  /** The client claim scripts run on (registered there first): the durable-claims one when configured. */
  private claimClient(): RedisClient {
    const redis = this.options.durableClaims?.redis ?? this.redis;
    registerScripts(redis, REPLY_SCRIPTS);
    return redis;
  }

  /** With durable claims, waits until the replicas have a claim this attempt is about to post under. */
  private async replicateClaim(key: string, claim: ChunkClaim): Promise<void> {
    const durable = this.options.durableClaims;
    if (durable === null || claim.kind !== 'claimed') return;
    const acknowledged = await waitForReplicas(durable.redis, key, durable.replicas, durable.timeoutMs);
    if (acknowledged < durable.replicas) durable.onShortfall(acknowledged);
  }

  /** Extends `owner`'s claim on a chunk whose post is still running by one lease from `now`. */
  async renewChunk(
    userId: string,
    jobId: string,
    chunkIndex: number,
    owner: string,
    now: number,
  ): Promise<void> {
    await this.moveLease(userId, jobId, chunkIndex, owner, now + this.options.claimLeaseMs);
  }

  /** Ends `owner`'s claim on a chunk whose post failed, so the next attempt need not wait out its lease. */
  async releaseChunk(
    userId: string,
    jobId: string,
    chunkIndex: number,
    owner: string,
    now: number,
  ): Promise<void> {
    await this.moveLease(userId, jobId, chunkIndex, owner, now);
  }

  /**
   * Withdraws `owner`'s claim on a chunk it never sent (the post was put off before any request left), so the
   * next attempt posts it without first looking for it in the channel.
   */
  async withdrawChunk(userId: string, jobId: string, chunkIndex: number, owner: string): Promise<void> {
    registerScripts(this.redis, REPLY_SCRIPTS);
    await runScript<number>(
      this.redis,
      'withdrawDeliveryChunk',
      [this.key(userId, jobId)],
      [chunkIndex, owner],
    );
  }

  /** How often an attempt renews its claim while posting: three renewals per lease. */
  get claimRenewalMs(): number {
    return Math.floor(this.options.claimLeaseMs / 3);
  }

  /** Records that chunk `chunkIndex` was posted as `messageId`. */
  async recordPosted(
    userId: string,
    jobId: string,
    chunkIndex: number,
    messageId: string,
    batch?: RedisBatch,
  ): Promise<void> {
    const { key, field, value } = this.buildPostedRecord(userId, jobId, chunkIndex, messageId);
    await RedisBatch.send(this.redis, batch, key, (pipeline) => pipeline.hset(key, field, value));
  }

  /**
   * {@link DeliveryLedger.recordPosted}'s write, for a script of the user's slot that makes it with its own (the
   * posted-message index's).
   */
  buildPostedRecord(
    userId: string,
    jobId: string,
    chunkIndex: number,
    messageId: string,
  ): { readonly key: string; readonly field: string; readonly value: string } {
    return { key: this.key(userId, jobId), field: `posted:${chunkIndex}`, value: messageId };
  }

  /**
   * The job's one history append, as the append's script claims it (the delivery record's `history` field, set
   * once): the first attempt to append sets it, in the same script as the append, and no other appends.
   */
  buildHistoryClaim(userId: string, jobId: string): { readonly key: string; readonly field: string } {
    return { key: this.key(userId, jobId), field: HISTORY_FIELD };
  }

  private async moveLease(
    userId: string,
    jobId: string,
    chunkIndex: number,
    owner: string,
    leaseUntil: number,
  ): Promise<void> {
    registerScripts(this.redis, REPLY_SCRIPTS);
    await runScript<number>(
      this.redis,
      'leaseDeliveryChunk',
      [this.key(userId, jobId)],
      [chunkIndex, owner, leaseUntil],
    );
  }

  private key(userId: string, jobId: string): string {
    return buildDeliveryKey(this.options.prefix, userId, jobId);
  }
}

function toChunkClaim(reply: ClaimReply): ChunkClaim {
  switch (reply[0]) {
    case 1:
      return { kind: 'posted', messageId: String(reply[1]) };
    case 2:
      return { kind: 'busy', leaseUntil: Number(reply[1]) };
    case 3:
      return { kind: 'claimed', previousClaimAt: Number(reply[1]) };
    case 4:
      return { kind: 'claimed', previousClaimAt: null };
  }
}
