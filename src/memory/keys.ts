import { buildKey, buildUserTag } from '../redis/index.js';
import type { MemoryScope } from '../state/index.js';

/**
 * Redis keys of the memory area, one pure builder per key. All live in the user's slot (`{u:<userId>}`), beside
 * the conversation they summarize, so the append script moves trimmed turns in one atomic step.
 */
const AREA = 'memory';

/** Whose memory a summary is: one conversation (user × channel × personality) or the user with a personality. */
export type { MemoryScope };

/** The part of a summary's keys that names its scope: `c:<channelId>:<personalityId>` or `p:<personalityId>`. */
export function buildMemorySuffix(scope: MemoryScope, channelId: string, personalityId: string): string {
  return scope === 'user' ? `p:${personalityId}` : `c:${channelId}:${personalityId}`;
}

/** STRING, expiring with the conversation: the rolling summary. */
export function buildSummaryKey(prefix: string, userId: string, suffix: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'summary', suffix);
}

/** LIST of `<chars>:<turn JSON>`, oldest first, expiring with the conversation: turns waiting for the summary. */
export function buildPendingKey(prefix: string, userId: string, suffix: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'pending', suffix);
}

/** STRING (a token, expiring): the summarization of `suffix` in progress. */
export function buildClaimKey(prefix: string, userId: string, suffix: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'claim', suffix);
}

/**
 * SET of the user's memory suffixes, expiring the conversation TTL plus a claim's after the last append that
 * found a summary or pending turns there (so it outlives what it lists): how `/reset` and `/forget-me` find a
 * user's summaries without SCAN.
 */
export function buildMemoryIndexKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'index');
}

/** A memory suffix's channel (null in `user` scope) and personality, or null when it is not one. */
export function parseMemorySuffix(
  suffix: string,
): { readonly channelId: string | null; readonly personalityId: string } | null {
  if (suffix.startsWith('p:')) return { channelId: null, personalityId: suffix.slice(2) };
  const match = /^c:(\d+):(.+)$/.exec(suffix);
  return match ? { channelId: match[1]!, personalityId: match[2]! } : null;
}

/**
 * HASH personality id → JSON array of the user's notes for it (`/memory add`), kept until `/memory forget` or
 * `/forget-me` (a permanent family, docs/guarantees.md).
 */
export function buildNotesKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'notes');
}
