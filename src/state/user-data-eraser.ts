import { buildUserQueueKeys } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { deleteConversations } from './conversation-repository.js';
import { buildApiKeysKey, buildConversationIndexKey, buildDmStickyKey } from './keys.js';
import { PersonalityRepository } from './personality-repository.js';

/** How much {@link UserDataEraser.forgetUser} deleted, by kind. */
export interface ErasedUserData {
  readonly personalities: number;
  readonly conversations: number;
  readonly apiKeys: number;
  readonly dmSticky: number;
  /** Keys of the user's queue state (pending jobs, rate bucket, gate, notices). */
  readonly queueKeys: number;
}

/** Options for {@link UserDataEraser}. */
export interface UserDataEraserOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
}

/**
 * Forgets a user: every key under their hash tag, found through known key builders and the user's own
 * indexes (no SCAN, so it works on a Cluster). Not covered: jobs already in the BullMQ queue (they finish
 * or expire with the queue's retention) and the 7-day posted-message index (keyed by message).
 */
export class UserDataEraser {
  readonly options: Readonly<UserDataEraserOptions>;
  private readonly personalities: PersonalityRepository;

  constructor(
    private readonly redis: RedisClient,
    options: UserDataEraserOptions,
  ) {
    this.options = { ...options };
    this.personalities = new PersonalityRepository(redis, { prefix: options.prefix });
  }

  /**
   * Deletes the user's API keys, DM sticky state, conversations and queue state; their personalities too
   * (with catalog entries, names and activations) only with `includePersonalities`.
   */
  async forgetUser(
    userId: string,
    options: { includePersonalities?: boolean } = {},
  ): Promise<ErasedUserData> {
    const { prefix } = this.options;
    let personalities = 0;
    if (options.includePersonalities === true) {
      for (const personality of await this.personalities.listByOwner(userId)) {
        await this.personalities.remove(personality.id, userId);
        personalities += 1;
      }
    }
    const conversations = await deleteConversations(this.redis, prefix, userId, {});
    // Every key here carries the user's tag: one slot, so one transaction.
    const queueKeys = buildUserQueueKeys(prefix, userId);
    const replies =
      (await this.redis
        .multi()
        .hlen(buildApiKeysKey(prefix, userId))
        .del(buildApiKeysKey(prefix, userId))
        .del(buildDmStickyKey(prefix, userId))
        .del(buildConversationIndexKey(prefix, userId))
        .del(...queueKeys)
        .exec()) ?? [];
    const count = (index: number) => Number(replies[index]?.[1] ?? 0);
    return { personalities, conversations, apiKeys: count(0), dmSticky: count(2), queueKeys: count(4) };
  }
}
