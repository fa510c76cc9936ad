import { buildPromptRecordsKey } from '../inspector/index.js';
import { buildUserQueueKeys, deleteJoinedMessageIndex } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { ActivationRepository } from './activation-repository.js';
import { deleteConversations } from './conversation-repository.js';
import {
  buildApiKeysKey,
  buildConversationIndexKey,
  buildDmStickyKey,
  buildEditsKey,
  buildUserGreetedKey,
} from './keys.js';
import { MessageIndexRepository } from './message-index-repository.js';
import { PersonalityRepository } from './personality-repository.js';

/** How much {@link UserDataEraser.forgetUser} deleted, by kind. */
export interface ErasedUserData {
  readonly personalities: number;
  readonly conversations: number;
  readonly apiKeys: number;
  readonly dmSticky: number;
  /** Keys of the user's queue state (pending jobs, rate bucket, gate, notices, coalesced messages). */
  readonly queueKeys: number;
  /** Index entries of the user's follow-up messages joined to replies not settled yet (message id → user). */
  readonly joinedMessages: number;
  /** Edited texts of the user's messages. */
  readonly edits: number;
  /** Entries of the posted-message index pointing at replies to the user. */
  readonly postedMessages: number;
  /** Channel activations the user made that no longer name them (the activations stay). */
  readonly activations: number;
  /** Others' personalities the user co-edited and no longer does. */
  readonly coEdited: number;
  /** Prompt records of replies to the user (`DEBUG_PROMPTS`, docs/inspector.md). */
  readonly promptRecords: number;
}

/** Options for {@link UserDataEraser}. */
export interface UserDataEraserOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
}

/**
 * Forgets a user: every key under their hash tag, found through known key builders and the user's own
 * indexes (no SCAN, so it works on a Cluster), the posted-message index entries of replies to them and
 * their id in the activations they made (both found through per-user indexes). BullMQ's jobs are the
 * queues' owners' to erase (see `/forget-me`).
 */
export class UserDataEraser {
  readonly options: Readonly<UserDataEraserOptions>;
  private readonly personalities: PersonalityRepository;
  private readonly messageIndex: MessageIndexRepository;
  private readonly activations: ActivationRepository;

  constructor(
    private readonly redis: RedisClient,
    options: UserDataEraserOptions,
  ) {
    this.options = { ...options };
    this.personalities = new PersonalityRepository(redis, { prefix: options.prefix });
    this.messageIndex = new MessageIndexRepository(redis, { prefix: options.prefix });
    this.activations = new ActivationRepository(redis, { prefix: options.prefix });
  }

  /**
   * Deletes the user's API keys, DM sticky state, conversations, edits, posted-message index entries, prompt
   * records and queue state, and removes their id from the activations they made and the personalities they co-edit;
   * their personalities too
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
    // Read from the user's coalesce groups, which the transaction below deletes.
    const joinedMessages = await deleteJoinedMessageIndex(this.redis, prefix, userId);
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
        .hlen(buildEditsKey(prefix, userId))
        .del(buildEditsKey(prefix, userId))
        .del(buildUserGreetedKey(prefix, userId))
        .xlen(buildPromptRecordsKey(prefix, userId))
        .del(buildPromptRecordsKey(prefix, userId))
        .exec()) ?? [];
    const count = (index: number) => Number(replies[index]?.[1] ?? 0);
    const postedMessages = await this.messageIndex.forgetUser(userId);
    const activations = await this.activations.forgetActivator(userId);
    const coEdited = await this.personalities.forgetEditor(userId);
    return {
      personalities,
      conversations,
      apiKeys: count(0),
      dmSticky: count(2),
      queueKeys: count(4),
      joinedMessages,
      edits: count(5),
      postedMessages,
      activations,
      coEdited,
      promptRecords: count(9),
    };
  }
}
