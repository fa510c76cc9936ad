import type { RedisClient } from '../redis/index.js';
import { buildChannelGreetedKey, buildUserGreetedKey } from './keys.js';

/** Options for {@link GreetingRepository}. */
export interface GreetingRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * How long a "greeted" marker lasts, seconds, from the newest greeting in the channel (or to the user): a
   * personality activated again after that long in a channel with no greeting since greets it again.
   * @defaultValue 31,536,000 (365 days)
   */
  markerTtlSeconds: number;
}

export const DefaultGreetingRepositoryOptions = {
  markerTtlSeconds: 365 * 24 * 3600,
} as const satisfies Omit<Required<GreetingRepositoryOptions>, 'prefix'>;

/**
 * Who a personality has greeted with its greeting (a character card's `first_mes`): channels it was activated in
 * and users it talked to in DMs. Marking is atomic (SADD), so of two replicas or two quick activations one
 * greets. Markers expire ({@link GreetingRepositoryOptions.markerTtlSeconds}); a user's go with `/forget-me`.
 */
export class GreetingRepository {
  readonly options: Readonly<GreetingRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<GreetingRepositoryOptions, 'prefix'> & Partial<GreetingRepositoryOptions>,
  ) {
    this.options = { ...DefaultGreetingRepositoryOptions, ...options };
  }

  /** Marks the channel greeted by the personality; true when it was not yet (the caller greets). */
  markChannelGreeted(channelId: string, personalityId: string): Promise<boolean> {
    return this.mark(buildChannelGreetedKey(this.options.prefix, channelId), personalityId);
  }

  /** Marks the user greeted by the personality in DMs; true when they were not yet (the caller greets). */
  markUserGreeted(userId: string, personalityId: string): Promise<boolean> {
    return this.mark(buildUserGreetedKey(this.options.prefix, userId), personalityId);
  }

  private async mark(key: string, personalityId: string): Promise<boolean> {
    const replies = await this.redis
      .multi()
      .sadd(key, personalityId)
      .expire(key, this.options.markerTtlSeconds)
      .exec();
    return Number(replies?.[0]?.[1] ?? 0) === 1;
  }
}
