import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildDmStickyKey, buildPersonalitiesKey } from './keys.js';
import { tryParsePersonalityOwner } from './personality-id.js';

/** Options for {@link DmStickyRepository}. */
export interface DmStickyRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
}

/** The personality a user's direct messages go to until they address another one. */
export class DmStickyRepository {
  readonly options: Readonly<DmStickyRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: DmStickyRepositoryOptions,
  ) {
    this.options = { ...options };
  }

  async set(userId: string, personalityId: string): Promise<void> {
    await this.redis.set(buildDmStickyKey(this.options.prefix, userId), personalityId);
  }

  /**
   * The user's DM personality id, or null. A pointer to a personality that was deleted is cleared here
   * (deleting a personality does not chase every user's pointer). With a batch only the pointer is read in it;
   * the check that its personality still exists follows on its own.
   */
  async fetch(userId: string, batch?: RedisBatch): Promise<string | null> {
    const key = buildDmStickyKey(this.options.prefix, userId);
    const personalityId = await RedisBatch.send<string | null>(this.redis, batch, key, (commands) =>
      commands.get(key),
    );
    if (personalityId === null) return null;
    const ownerId = tryParsePersonalityOwner(personalityId);
    const exists =
      ownerId !== null &&
      (await this.redis.hexists(buildPersonalitiesKey(this.options.prefix, ownerId), personalityId)) === 1;
    if (exists) return personalityId;
    await this.clear(userId);
    return null;
  }

  /** Forgets the user's DM personality; false when there was none. */
  async clear(userId: string): Promise<boolean> {
    return (await this.redis.del(buildDmStickyKey(this.options.prefix, userId))) === 1;
  }
}
