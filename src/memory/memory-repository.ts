import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { type ConversationTurn, ConversationTurnSchema, type TurnHandOver } from '../state/index.js';
import {
  buildClaimKey,
  buildMemoryIndexKey,
  buildNotesKey,
  buildPendingKey,
  buildSummaryKey,
  parseMemorySuffix,
} from './keys.js';
import { runMemoryScript } from './memory-scripts.js';

/** Options for {@link MemoryRepository}. */
export interface MemoryRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** How long a summary and its pending turns live after the last append, in seconds (`CONVERSATION_TTL_SECONDS`). */
  ttlSeconds: number;
  /** Most turns waiting for the summary; beyond it the oldest are dropped (and logged). @defaultValue 200 */
  maxPendingTurns: number;
  /** Most characters waiting for the summary; beyond it the oldest turns are dropped. @defaultValue 100000 */
  maxPendingChars: number;
  /** How long a summarization claim holds when never released (a worker died), in ms. @defaultValue 600000 */
  claimTtlMs: number;
}

export const DefaultMemoryRepositoryOptions = {
  maxPendingTurns: 200,
  maxPendingChars: 100_000,
  claimTtlMs: 600_000,
} as const satisfies Omit<Required<MemoryRepositoryOptions>, 'prefix' | 'ttlSeconds'>;

/** Most notes a user keeps per personality. */
export const MAX_NOTES = 20;
/** Longest note, in characters. */
export const MAX_NOTE_CHARS = 500;

const NotesSchema = z.array(z.string());

/** A turn waiting for the summary. */
export interface PendingTurn extends ConversationTurn {
  /** `<role>:<messageId>:<at>`: what the fold script compares. */
  readonly id: string;
}

/** What a fold did, or null when the claim was no longer the caller's (nothing written). */
export interface FoldResult {
  readonly removed: number;
  readonly remaining: number;
}

const ENTRY = /^(\d+):/;

/** The id the fold script computes for a turn. */
export function buildTurnId(turn: Pick<ConversationTurn, 'role' | 'messageId' | 'at'>): string {
  return `${turn.role}:${turn.messageId}:${Math.round(turn.at)}`;
}

/**
 * The rolling summaries and their pending turns, in the user's slot. The reply path reads the summary and hands
 * trimmed turns over (through the conversation append); the summarization task reads the pending turns, writes
 * the summary and removes what it folded.
 */
export class MemoryRepository {
  readonly options: Readonly<MemoryRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<MemoryRepositoryOptions, 'prefix' | 'ttlSeconds'> & Partial<MemoryRepositoryOptions>,
  ) {
    this.options = { ...DefaultMemoryRepositoryOptions, ...options };
  }

  /** The keys and caps the conversation append hands trimmed turns over with, claiming with a fresh token. */
  buildHandOver(userId: string, suffix: string): TurnHandOver {
    const { prefix, maxPendingTurns, maxPendingChars, claimTtlMs } = this.options;
    return {
      pendingKey: buildPendingKey(prefix, userId, suffix),
      summaryKey: buildSummaryKey(prefix, userId, suffix),
      claimKey: buildClaimKey(prefix, userId, suffix),
      indexKey: buildMemoryIndexKey(prefix, userId),
      suffix,
      maxPendingTurns,
      maxPendingChars,
      claimToken: randomUUID(),
      claimTtlMs,
    };
  }

  /** The rolling summary, or null when there is none (yet, or it expired). */
  async fetchSummary(userId: string, suffix: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildSummaryKey(this.options.prefix, userId, suffix);
    return RedisBatch.read<string | null>(this.redis, batch, key, 'get');
  }

  /** The turns waiting for the summary, oldest first. */
  async fetchPending(userId: string, suffix: string): Promise<PendingTurn[]> {
    const entries = await this.redis.lrange(buildPendingKey(this.options.prefix, userId, suffix), 0, -1);
    return entries.flatMap((entry) => {
      const match = ENTRY.exec(entry);
      if (!match) return [];
      try {
        const parsed = ConversationTurnSchema.safeParse(JSON.parse(entry.slice(match[0].length)));
        return parsed.success ? [{ ...parsed.data, id: buildTurnId(parsed.data) }] : [];
      } catch {
        return [];
      }
    });
  }

  /**
   * Writes `summary` and removes exactly the `folded` turns from the pending list, then releases the claim,
   * atomically and only while `claimToken` still holds it (else null).
   */
  async fold(
    userId: string,
    suffix: string,
    claimToken: string,
    summary: string,
    folded: readonly Pick<PendingTurn, 'id'>[],
  ): Promise<FoldResult | null> {
    const { prefix, ttlSeconds } = this.options;
    const result = await runMemoryScript<[number, number] | number>(
      this.redis,
      'foldSummary',
      [
        buildSummaryKey(prefix, userId, suffix),
        buildPendingKey(prefix, userId, suffix),
        buildClaimKey(prefix, userId, suffix),
      ],
      [claimToken, summary, ttlSeconds * 1000, ...folded.map((turn) => turn.id)],
    );
    return typeof result === 'number' ? null : { removed: result[0], remaining: result[1] };
  }

  /** Releases the claim when `claimToken` still holds it (a failed summarization, so the next append retries). */
  async releaseClaim(userId: string, suffix: string, claimToken: string): Promise<boolean> {
    const released = await runMemoryScript<number>(
      this.redis,
      'releaseClaim',
      [buildClaimKey(this.options.prefix, userId, suffix)],
      [claimToken],
    );
    return released === 1;
  }

  /** The user's notes for the personality, oldest first. */
  async fetchNotes(userId: string, personalityId: string, batch?: RedisBatch): Promise<string[]> {
    const key = buildNotesKey(this.options.prefix, userId);
    const raw = await RedisBatch.read<string | null>(this.redis, batch, key, 'hget', personalityId);
    if (raw === null) return [];
    try {
      const parsed = NotesSchema.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : [];
    } catch {
      return [];
    }
  }

  /**
   * Adds a note (the caller checked its length against {@link MAX_NOTE_CHARS}); returns how many the personality
   * keeps now, or null when it already keeps {@link MAX_NOTES}.
   */
  async addNote(userId: string, personalityId: string, note: string): Promise<number | null> {
    const count = await runMemoryScript<number>(
      this.redis,
      'addNote',
      [buildNotesKey(this.options.prefix, userId)],
      [personalityId, note, MAX_NOTES],
    );
    return count < 0 ? null : count;
  }

  /** Deletes the user's notes for the personality (none given: all); returns how many personalities had some. */
  async forgetNotes(userId: string, personalityId?: string): Promise<number> {
    const key = buildNotesKey(this.options.prefix, userId);
    if (personalityId !== undefined) return this.redis.hdel(key, personalityId);
    const [[, count] = [null, 0]] = ((await this.redis.multi().hlen(key).del(key).exec()) ?? []) as Array<
      [unknown, number]
    >;
    return count;
  }

  /** The user's memories (summaries and pending turns) the index lists, parsed. */
  async listMemories(
    userId: string,
  ): Promise<Array<{ suffix: string; channelId: string | null; personalityId: string }>> {
    const suffixes = await this.redis.smembers(buildMemoryIndexKey(this.options.prefix, userId));
    return suffixes.sort().flatMap((suffix) => {
      const parsed = parseMemorySuffix(suffix);
      return parsed === null ? [] : [{ suffix, ...parsed }];
    });
  }

  /** The personalities the user keeps notes for, with them. */
  async fetchAllNotes(userId: string): Promise<Map<string, string[]>> {
    const all = await this.redis.hgetall(buildNotesKey(this.options.prefix, userId));
    const notes = new Map<string, string[]>();
    for (const [personalityId, raw] of Object.entries(all)) {
      try {
        const parsed = NotesSchema.safeParse(JSON.parse(raw));
        if (parsed.success && parsed.data.length > 0) notes.set(personalityId, parsed.data);
      } catch {
        // A record this version cannot read shows as no notes; /memory forget still deletes it.
      }
    }
    return notes;
  }

  /**
   * Deletes the user's summaries, pending turns and claims within `scope` (found through the user's memory index):
   * with a channel, only that channel's `conversation`-scope memories (a `user`-scope memory spans channels);
   * with a personality, only its; neither, all. Returns how many memories went.
   */
  async forget(userId: string, scope: MemoryForgetScope): Promise<number> {
    const { prefix } = this.options;
    const indexKey = buildMemoryIndexKey(prefix, userId);
    const suffixes = (await this.redis.smembers(indexKey)).filter((suffix) => {
      const parsed = parseMemorySuffix(suffix);
      if (parsed === null) return true;
      if (scope.personalityId !== undefined && parsed.personalityId !== scope.personalityId) return false;
      return scope.channelId === undefined || parsed.channelId === scope.channelId;
    });
    if (suffixes.length === 0) return 0;
    // One slot (the user's tag): one transaction.
    const transaction = this.redis.multi();
    for (const suffix of suffixes) {
      transaction.del(
        buildSummaryKey(prefix, userId, suffix),
        buildPendingKey(prefix, userId, suffix),
        buildClaimKey(prefix, userId, suffix),
      );
      transaction.srem(indexKey, suffix);
    }
    await transaction.exec();
    return suffixes.length;
  }
}

/** Which of a user's memories to forget: in a channel and/or with a personality (neither: all). */
export interface MemoryForgetScope {
  readonly channelId?: string;
  readonly personalityId?: string;
}
