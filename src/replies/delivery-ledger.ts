import type { RedisClient } from '../redis/index.js';
import { buildDeliveryIndexKey, buildDeliveryKey } from './keys.js';

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
}

/** What a job has already done, read back on a retry. */
export interface DeliveryRecord {
  /** A retry posts this decision, never a second, different answer. */
  readonly decision: ReplyDecision | null;
  /** chunk index → posted message id. */
  readonly posted: ReadonlyMap<number, string>;
  /**
   * chunk index → when its POST was started (Unix ms, intent recorded): posted or maybe posted. The time bounds
   * the search for a maybe-posted chunk: it cannot be older than its intent.
   */
  readonly intents: ReadonlyMap<number, number>;
  readonly historyAppended: boolean;
}

export interface DeliveryLedgerOptions {
  readonly prefix: string;
  /** How long a record outlives its job (retries come within minutes; a day is generous). @defaultValue 86_400 */
  readonly ttlSeconds: number;
}

/**
 * Per-job delivery progress, so a job retried after a crash or a stall posts nothing twice.
 * Discord's Execute Webhook has no idempotency key: the one open window (a crash after Discord accepted a
 * chunk, before its id was recorded) is closed by recording intent first and, on a retry that finds an
 * intent without an id, looking for the chunk in the channel's recent messages.
 */
export class DeliveryLedger {
  private readonly options: DeliveryLedgerOptions;

  constructor(
    private readonly redis: RedisClient,
    options: Partial<DeliveryLedgerOptions> & Pick<DeliveryLedgerOptions, 'prefix'>,
  ) {
    this.options = { ttlSeconds: 86_400, ...options };
  }

  async fetch(userId: string, jobId: string): Promise<DeliveryRecord> {
    const fields = await this.redis.hgetall(this.key(userId, jobId));
    const posted = new Map<number, string>();
    const intents = new Map<number, number>();
    for (const [field, value] of Object.entries(fields)) {
      if (field.startsWith('posted:')) posted.set(Number(field.slice(7)), value);
      else if (field.startsWith('intent:')) intents.set(Number(field.slice(7)), Number(value));
    }
    const decision = fields['decision'] ? (JSON.parse(fields['decision']) as ReplyDecision) : null;
    return { decision, posted, intents, historyAppended: fields['history'] === '1' };
  }

  /**
   * Records the answer once (HSETNX of the whole decision, so it is all or nothing) and returns the
   * recorded one: an earlier attempt's when there was one.
   */
  async decideReply(userId: string, jobId: string, decision: ReplyDecision): Promise<ReplyDecision> {
    const key = this.key(userId, jobId);
    const index = buildDeliveryIndexKey(this.options.prefix, userId);
    // One slot (the user's tag): the record and its index entry are written in one transaction.
    const results = await this.redis
      .multi()
      .hsetnx(key, 'decision', JSON.stringify(decision))
      .expire(key, this.options.ttlSeconds)
      .hget(key, 'decision')
      .sadd(index, jobId)
      .expire(index, this.options.ttlSeconds)
      .exec();
    const stored = results?.[2]?.[1];
    return typeof stored === 'string' ? (JSON.parse(stored) as ReplyDecision) : decision;
  }

  /** Erases every delivery record of a user (/forget-me); returns how many there were. */
  async forgetUser(userId: string): Promise<number> {
    const index = buildDeliveryIndexKey(this.options.prefix, userId);
    const jobIds = await this.redis.smembers(index);
    const keys = jobIds.map((jobId) => this.key(userId, jobId));
    const results = await this.redis
      .multi()
      .del(...keys, index)
      .exec();
    return Math.max(0, Number(results?.[0]?.[1] ?? 0) - 1);
  }

  async recordIntent(userId: string, jobId: string, chunkIndex: number, now: number): Promise<void> {
    await this.redis.hset(this.key(userId, jobId), `intent:${chunkIndex}`, String(now));
  }

  async recordPosted(userId: string, jobId: string, chunkIndex: number, messageId: string): Promise<void> {
    await this.redis.hset(this.key(userId, jobId), `posted:${chunkIndex}`, messageId);
  }

  async recordHistoryAppended(userId: string, jobId: string): Promise<void> {
    await this.redis.hset(this.key(userId, jobId), 'history', '1');
  }

  private key(userId: string, jobId: string): string {
    return buildDeliveryKey(this.options.prefix, userId, jobId);
  }
}
