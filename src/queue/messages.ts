import type { RefusalReason } from './keys.js';

/** Whole seconds, at least 1, for "try again in N seconds". */
function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

function describeWait(ms: number): string {
  const seconds = toSeconds(ms);
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}

/** "at most 2 replies" (or "only a few replies" when the limit is unknown). */
function describeAtMost(limit: number | undefined, one: string, many: string): string {
  if (limit === undefined) return `only a few ${many}`;
  return `at most ${limit} ${limit === 1 ? one : many}`;
}

/**
 * The notice a user sees when one of their messages was not queued: says why and when to retry. Sent at
 * most once per user, reason and limit window. `limit` is the refusal's `limit`, named for a server's own.
 */
export function buildLimitNotice(reason: RefusalReason, retryAfterMs: number, limit?: number): string {
  const wait = describeWait(retryAfterMs);
  switch (reason) {
    case 'user-pending':
      return `You already have several replies on the way, so I skipped that message. Try again in about ${wait}, once they have arrived.`;
    case 'user-rate':
      return `You are sending messages faster than I can answer, so I skipped that one. Try again in about ${wait}.`;
    case 'queue-full':
      return `I am very busy right now and could not take that message. Please try again in about ${wait}.`;
    case 'server-pending':
      return `This server allows each person ${describeAtMost(limit, 'reply', 'replies')} on the way at once, so I skipped that message. Try again in about ${wait}, once they have arrived.`;
    case 'server-rate':
      return `This server allows each person ${describeAtMost(limit, 'message', 'messages')} to personalities per minute, so I skipped that one. Try again in about ${wait}.`;
  }
}
