import type { RedisClient } from '../redis/index.js';
import { buildPromptRecordsKey } from './keys.js';
import { type PromptRecord, PromptRecordSchema } from './prompt-record.js';

/** Options for {@link PromptInspectorRepository}. */
export interface PromptInspectorRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** About how many records a user's stream keeps (`XADD MAXLEN ~`). @defaultValue 200 */
  maxRecords: number;
  /** How long a user's records last after their newest write, ms. @defaultValue 3,600,000 (1 h) */
  ttlMs: number;
  /** How many records {@link PromptInspectorRepository.listForUser} returns unless told. @defaultValue 50 */
  defaultListLimit: number;
}

export const DefaultPromptInspectorRepositoryOptions = {
  maxRecords: 200,
  ttlMs: 3_600_000,
  defaultListLimit: 50,
} as const satisfies Omit<Required<PromptInspectorRepositoryOptions>, 'prefix'>;

/** The stream entry's field holding the record's JSON. */
const RECORD_FIELD = 'record';

/**
 * The prompt records of `DEBUG_PROMPTS` (docs/playground.md, Inspector): per user, a capped stream that expires an
 * hour after its newest write. A reply may be written more than once (when answered, when posted, by a retry):
 * readers see its newest record only.
 */
export class PromptInspectorRepository {
  readonly options: Readonly<PromptInspectorRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<PromptInspectorRepositoryOptions, 'prefix'> & Partial<PromptInspectorRepositoryOptions>,
  ) {
    this.options = { ...DefaultPromptInspectorRepositoryOptions, ...options };
  }

  /** Appends the record to its user's stream (trimmed to about `maxRecords`) and renews the stream's TTL. */
  async record(record: PromptRecord): Promise<void> {
    const key = buildPromptRecordsKey(this.options.prefix, record.userId);
    await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', this.options.maxRecords, '*', RECORD_FIELD, JSON.stringify(record))
      .pexpire(key, this.options.ttlMs)
      .exec();
  }

  /** The user's records, newest first, one per reply (its newest). */
  async listForUser(userId: string, limit = this.options.defaultListLimit): Promise<PromptRecord[]> {
    const entries = await this.redis.xrevrange(buildPromptRecordsKey(this.options.prefix, userId), '+', '-');
    const seen = new Set<string>();
    const records: PromptRecord[] = [];
    for (const [, fields] of entries) {
      const record = parseEntry(fields);
      if (record === null || seen.has(record.replyId)) continue;
      seen.add(record.replyId);
      records.push(record);
      if (records.length >= limit) break;
    }
    return records;
  }

  /** The newest record of the reply that posted `messageId`, among the records of `userIds`; null = none. */
  async findByMessageId(userIds: readonly string[], messageId: string): Promise<PromptRecord | null> {
    // Each user's stream is in its own slot: one read per user.
    const lists = await Promise.all(
      userIds.map((userId) => this.listForUser(userId, this.options.maxRecords * 2)),
    );
    let found: PromptRecord | null = null;
    for (const record of lists.flat()) {
      if (!record.postedMessageIds.includes(messageId)) continue;
      if (found === null || record.timings.startedAt > found.timings.startedAt) found = record;
    }
    return found;
  }

  /** The reply's newest record; null = none kept. */
  async findByReplyId(userId: string, replyId: string): Promise<PromptRecord | null> {
    const records = await this.listForUser(userId, this.options.maxRecords * 2);
    return records.find((record) => record.replyId === replyId) ?? null;
  }

  /** Deletes the user's records (`/forget-me`). */
  async eraseUser(userId: string): Promise<void> {
    await this.redis.del(buildPromptRecordsKey(this.options.prefix, userId));
  }
}

/**
 * The record of a stream entry (`[field, value, …]`); null when it does not parse: a debugging aid skips what
 * another version wrote rather than failing the whole list.
 */
function parseEntry(fields: readonly string[]): PromptRecord | null {
  const index = fields.indexOf(RECORD_FIELD);
  const json = index % 2 === 0 ? fields[index + 1] : undefined;
  if (json === undefined) return null;
  try {
    const parsed = PromptRecordSchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
