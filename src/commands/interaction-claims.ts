import type { RedisClient } from '../redis/index.js';
import { buildInteractionClaimKey } from './keys.js';

/** Options for {@link InteractionClaims}. */
export interface InteractionClaimsOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * How long a claim is remembered, in ms: an interaction's token lives 15 minutes, after which nobody can
   * answer it anyway. @defaultValue 900000
   */
  ttlMs: number;
}

export const DefaultInteractionClaimsOptions = {
  ttlMs: 15 * 60_000,
} as const satisfies Omit<Required<InteractionClaimsOptions>, 'prefix'>;

/**
 * First-come claims on interactions. Gateway replicas that share shards all receive every interaction; the
 * one whose claim lands handles it, so a command is applied and answered once however many replicas see it.
 */
export class InteractionClaims {
  readonly options: Readonly<InteractionClaimsOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<InteractionClaimsOptions, 'prefix'> & Partial<InteractionClaimsOptions>,
  ) {
    this.options = { ...DefaultInteractionClaimsOptions, ...options };
  }

  /** true when this caller is the first to claim the interaction. */
  async claim(interactionId: string, claimant: string): Promise<boolean> {
    const key = buildInteractionClaimKey(this.options.prefix, interactionId);
    return (await this.redis.set(key, claimant, 'PX', this.options.ttlMs, 'NX')) === 'OK';
  }
}
