import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { buildSharedPersonalitiesKey } from './keys.js';
import { StateMessages } from './messages.js';
import { MAX_PERSONALITY_EDITORS, type Personality, PersonalitySchema } from './personality.js';
import type { PersonalityWriter } from './personality-writer.js';

/** What {@link PersonalitySharing} needs of the repository's options. */
export interface PersonalitySharingOptions {
  readonly prefix: string;
}

/**
 * Co-editors, for PersonalityRepository: the owner's record lists them (`editorIds`), and each co-editor's
 * index (a SET under their own tag) lists what they co-edit so their commands and `/forget-me` find it. The
 * index is written before the record and verified against it on read: it may hold a stale id, never miss one.
 */
export class PersonalitySharing {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: Readonly<PersonalitySharingOptions>,
    private readonly writer: PersonalityWriter,
    /** Personalities by id in one round trip (missing ids absent): the repository's read. */
    private readonly fetchManyByIds: (ids: readonly string[]) => Promise<Map<string, Personality>>,
  ) {}

  /**
   * Makes `editorId` a co-editor (at most {@link MAX_PERSONALITY_EDITORS}); already one is no change.
   * @throws UserFacingError NotFound, Forbidden (not the owner), InvalidInput (the owner themselves), Conflict.
   */
  async share(id: string, ownerId: string, editorId: string): Promise<Personality> {
    if (editorId === ownerId) {
      throw new UserFacingError(ChorusErrorCode.InvalidInput, StateMessages.shareWithOwner());
    }
    if (!PersonalitySchema.shape.ownerId.safeParse(editorId).success) {
      throw new UserFacingError(
        ChorusErrorCode.InvalidInput,
        StateMessages.invalidPersonality('the co-editor id is not a Discord id'),
      );
    }
    this.writer.requireAccess((await this.writer.fetchRecord(id)).personality, ownerId, 'owner');
    // The index first: a crash after it leaves an entry that reads verify away, never a co-editor it misses.
    await this.redis.sadd(buildSharedPersonalitiesKey(this.options.prefix, editorId), id);
    return this.writer.mutate(id, ownerId, 'owner', (current) => {
      if (current.editorIds.includes(editorId)) return current;
      if (current.editorIds.length >= MAX_PERSONALITY_EDITORS) {
        throw new UserFacingError(
          ChorusErrorCode.Conflict,
          StateMessages.tooManyEditors(MAX_PERSONALITY_EDITORS),
          {
            personalityId: id,
          },
        );
      }
      return { ...current, editorIds: [...current.editorIds, editorId] };
    });
  }

  /** Takes `editorId`'s co-editing away. @throws UserFacingError NotFound (also: not a co-editor), Forbidden. */
  async unshare(id: string, ownerId: string, editorId: string): Promise<Personality> {
    const updated = await this.writer.mutate(id, ownerId, 'owner', (current) => {
      if (!current.editorIds.includes(editorId)) {
        throw new UserFacingError(ChorusErrorCode.NotFound, StateMessages.notAnEditor(), {
          personalityId: id,
        });
      }
      return { ...current, editorIds: current.editorIds.filter((existing) => existing !== editorId) };
    });
    await this.redis.srem(buildSharedPersonalitiesKey(this.options.prefix, editorId), id);
    return updated;
  }

  /** The personalities `editorId` co-edits (not owns), by name. */
  async listSharedWith(editorId: string): Promise<Personality[]> {
    const ids = await this.redis.smembers(buildSharedPersonalitiesKey(this.options.prefix, editorId));
    const found = await this.fetchManyByIds(ids);
    return [...found.values()]
      .filter((personality) => personality.editorIds.includes(editorId))
      .sort((left, right) => left.name.localeCompare(right.name));
  }

  /**
   * `/forget-me` of a co-editor: removes their id from every personality they co-edit and drops their index.
   * Returns how many personalities they were taken off.
   */
  async forgetEditor(editorId: string): Promise<number> {
    const key = buildSharedPersonalitiesKey(this.options.prefix, editorId);
    let removed = 0;
    for (const personality of await this.listSharedWith(editorId)) {
      try {
        await this.unshare(personality.id, personality.ownerId, editorId);
        removed += 1;
      } catch (error) {
        // Removed or unshared meanwhile: nothing of theirs is left there.
        if (!(error instanceof UserFacingError && error.code === ChorusErrorCode.NotFound)) throw error;
      }
    }
    await this.redis.del(key);
    return removed;
  }
}
