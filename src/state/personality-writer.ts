import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { buildPersonalitiesKey, buildPersonalityNamesKey } from './keys.js';
import { StateMessages } from './messages.js';
import {
  isPersonalityEditableBy,
  listPersonalityNameKeys,
  type Personality,
  tryParseStoredPersonality,
} from './personality.js';
import type { PersonalityCatalog } from './personality-catalog.js';
import { describePersonalityChanges } from './personality-changes.js';
import { tryParsePersonalityOwner } from './personality-id.js';
import { displayNameFor, validatePersonalityRecord } from './personality-validation.js';
import { publishRoutingChange } from './routing-changes.js';
import { fromScriptCode, runStateScript, StateScript, StateScriptCode } from './state-scripts.js';

/** Who may make a change: the owner only, or the owner and co-editors. */
export type PersonalityAccess = 'owner' | 'editor';

/** Create/update attempts (a fresh id, or a re-read after a concurrent change) before giving up. */
export const MAX_WRITE_ATTEMPTS = 5;

/** What {@link PersonalityWriter} needs of the repository's options. */
export interface PersonalityWriterOptions {
  readonly prefix: string;
  readonly maxAliases: number;
  readonly maxPerOwner: number;
}

/**
 * Writes of one personality record for {@link PersonalityRepository}: read, access check, version check,
 * compare-and-set, and the catalog kept in step (the cross-slot order is the repository's class comment).
 */
export class PersonalityWriter {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: Readonly<PersonalityWriterOptions>,
    private readonly catalog: PersonalityCatalog,
  ) {}

  /**
   * Reads, checks access, applies `change`, and writes back atomically with the version one higher. Without
   * `basedOn` it retries after a concurrent change; with it, a version other than `basedOn`'s is refused.
   */
  async mutate(
    id: string,
    actorId: string,
    access: PersonalityAccess,
    change: (current: Personality) => Personality,
    basedOn?: Personality,
  ): Promise<Personality> {
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const { personality: current, json: currentJson } = await this.fetchRecord(id);
      this.requireAccess(current, actorId, access);
      if (basedOn !== undefined && current.version !== basedOn.version) {
        throw new UserFacingError(
          ChorusErrorCode.Conflict,
          StateMessages.editConflict(current.name, describePersonalityChanges(basedOn, current)),
          { personalityId: id, userId: actorId },
        );
      }
      const next = this.validate({
        ...change(current),
        id,
        ownerId: current.ownerId,
        createdAt: current.createdAt,
        version: current.version + 1,
      });
      const nextJson = JSON.stringify(next);
      const goesPrivate = current.visibility === 'public' && next.visibility === 'private';
      // Hidden from everyone before the owner's record says private: a crash here errs on privacy.
      if (goesPrivate) await this.catalog.unpublish(id);
      const released = listPersonalityNameKeys(current).filter(
        (key) => !listPersonalityNameKeys(next).includes(key),
      );
      const [code, detail] = await this.write(next, nextJson, currentJson, released);
      if (code === 1) {
        if (next.visibility === 'public') await this.catalog.publish(next, nextJson);
        return next;
      }
      // Refused on a name: nothing changed, so it is public again exactly as it was.
      if (goesPrivate && code === StateScriptCode.NameTaken) await this.catalog.publish(current, currentJson);
      if (code !== StateScriptCode.Changed) throw this.scriptError(code, detail, next);
    }
    throw fromScriptCode(StateScriptCode.Changed, undefined, { personalityId: id, userId: actorId });
  }

  /** The owner's record and its JSON. @throws UserFacingError NotFound */
  async fetchRecord(id: string): Promise<{ personality: Personality; json: string }> {
    const encodedOwner = tryParsePersonalityOwner(id);
    const json =
      encodedOwner === null
        ? null
        : await this.redis.hget(buildPersonalitiesKey(this.options.prefix, encodedOwner), id);
    const personality = tryParseStoredPersonality(json);
    if (!personality || json === null)
      throw fromScriptCode(StateScriptCode.NotFound, undefined, { personalityId: id });
    return { personality, json };
  }

  /** @throws UserFacingError Forbidden when `userId` lacks `access` to the personality. */
  requireAccess(personality: Personality, userId: string, access: PersonalityAccess): void {
    if (access === 'owner' ? personality.ownerId === userId : isPersonalityEditableBy(personality, userId)) {
      return;
    }
    const message =
      access === 'owner' && personality.editorIds.includes(userId)
        ? StateMessages.ownerOnly()
        : access === 'owner'
          ? StateMessages.notOwner()
          : StateMessages.notEditor();
    throw new UserFacingError(ChorusErrorCode.Forbidden, message, { personalityId: personality.id, userId });
  }

  /**
   * Runs writePersonality-2.lua: compare-and-set on the JSON, names kept unique per owner. A write that landed
   * is announced to the gateways' routing caches.
   */
  async write(
    personality: Personality,
    json: string,
    expectedJson: string,
    released: readonly string[],
  ): Promise<[code: number, detail?: string]> {
    const { prefix } = this.options;
    const result = await runStateScript<[number, string?]>(
      this.redis,
      StateScript.writePersonality,
      [
        buildPersonalitiesKey(prefix, personality.ownerId),
        buildPersonalityNamesKey(prefix, personality.ownerId),
      ],
      [
        personality.id,
        expectedJson,
        json,
        // Only a create (nothing expected) adds to the owner's count.
        expectedJson === '' ? this.options.maxPerOwner : 0,
        released.length,
        ...released,
        ...listPersonalityNameKeys(personality),
      ],
    );
    if (result[0] === 1) await publishRoutingChange(this.redis, prefix, { personalityId: personality.id });
    return result;
  }

  /** Schema and name rules, with the configured alias cap. */
  validate(input: Personality): Personality {
    return validatePersonalityRecord(input, this.options.maxAliases);
  }

  /** The error a negative script code stands for, naming the personality. */
  scriptError(code: number, detail: string | undefined, personality: Personality) {
    return fromScriptCode(code, detail, {
      personalityId: personality.id,
      userId: personality.ownerId,
      displayName: (key) => displayNameFor(personality, key),
      maxPerOwner: this.options.maxPerOwner,
    });
  }
}
