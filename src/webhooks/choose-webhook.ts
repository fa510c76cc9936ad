import { type BucketState, computeBucketFreeAt, computeBucketRoom } from './bucket-state.js';

/** One webhook of a channel's pool with its bucket's shared state. */
export interface PoolCandidate {
  readonly webhookId: string;
  readonly bucket: BucketState;
}

/** Inputs of {@link chooseWebhook} besides the candidates. */
export interface ChooseWebhookSettings {
  /** Unix ms. */
  readonly now: number;
  /** Safety margin added to each bucket window, ms. */
  readonly marginMs: number;
  /** The most webhooks a channel's pool may hold. */
  readonly poolLimit: number;
}

/** Which webhook to send through, and whether the pool should grow first. */
export interface WebhookChoice {
  readonly webhookId: string;
  /** When its bucket frees (Unix ms; `now` when it has room). */
  readonly freeAt: number;
  /** Every webhook must wait and the pool has room for another one. */
  readonly shouldGrow: boolean;
}

/**
 * Picks the webhook whose bucket frees soonest; among those free at the same time, the one with the most room
 * left (so a busy channel spreads over its pool), then the first listed. Throws on an empty pool: callers
 * fetch a non-empty one first.
 */
export function chooseWebhook(
  candidates: readonly PoolCandidate[],
  settings: ChooseWebhookSettings,
): WebhookChoice {
  const { now, marginMs, poolLimit } = settings;
  let best: { webhookId: string; freeAt: number; room: number } | null = null;
  for (const candidate of candidates) {
    const freeAt = computeBucketFreeAt(candidate.bucket, now, marginMs);
    const room = computeBucketRoom(candidate.bucket, now, marginMs);
    if (best === null || freeAt < best.freeAt || (freeAt === best.freeAt && room > best.room)) {
      best = { webhookId: candidate.webhookId, freeAt, room };
    }
  }
  if (best === null) throw new Error('chooseWebhook needs at least one candidate');
  return {
    webhookId: best.webhookId,
    freeAt: best.freeAt,
    shouldGrow: best.freeAt > now && candidates.length < poolLimit,
  };
}
