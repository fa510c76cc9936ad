import { randomBytes } from 'node:crypto';
import { DiscordLimits } from '../discord/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch, StoredTextCache } from '../redis/index.js';
import { ActivationRepository } from './activation-repository.js';
import { buildPersonalitiesKey, buildPersonalityNamesKey, buildSharedPersonalitiesKey } from './keys.js';
import { StateMessages } from './messages.js';
import {
  isPersonalityEditableBy,
  isPersonalityUsableBy,
  listPersonalityNameKeys,
  MAX_PERSONALITY_EDITORS,
  normalizePersonalityName,
  type Personality,
  type PersonalityDraft,
  PersonalitySchema,
  tryParseStoredPersonality,
} from './personality.js';
import { PersonalityCatalog, type PersonalityCatalogOptions } from './personality-catalog.js';
import {
  buildPersonalityId,
  PERSONALITY_ID_RANDOM_LENGTH,
  tryParsePersonalityOwner,
} from './personality-id.js';
import { FORBIDDEN_NAME_CHARACTERS } from './personality-validation.js';
import { MAX_WRITE_ATTEMPTS, type PersonalityAccess, PersonalityWriter } from './personality-writer.js';
import { publishRoutingChange } from './routing-changes.js';
import { fromScriptCode, runStateScript, StateScript, StateScriptCode } from './state-scripts.js';

/**
 * The fields {@link PersonalityRepository.update} changes (aliases have their own methods). Co-editors may
 * change all but `visibility`: who may talk to a personality is its owner's choice, like who edits it.
 */
export type PersonalityPatch = Partial<
  Pick<
    Personality,
    | 'name'
    | 'visibility'
    | 'systemPrompt'
    | 'avatarUrl'
    | 'provider'
    | 'model'
    | 'temperature'
    | 'nsfw'
    | 'contextMode'
    | 'memoryScope'
    | 'fallbackModels'
    | 'streamReplies'
  >
>;

/** Options of one edit. */
export interface PersonalityEditOptions {
  /**
   * The personality as the edit's author read it. When given, the edit is refused (Conflict, naming what
   * changed) if the stored version differs, instead of applying over a change the author never saw.
   */
  readonly basedOn?: Personality;
}

const PATCHABLE_FIELDS = [
  'name',
  'visibility',
  'systemPrompt',
  'avatarUrl',
  'provider',
  'model',
  'temperature',
  'nsfw',
  'contextMode',
  'memoryScope',
  'fallbackModels',
  'streamReplies',
] as const satisfies ReadonlyArray<keyof PersonalityPatch>;

/** Options for {@link PersonalityRepository}. */
export interface PersonalityRepositoryOptions extends PersonalityCatalogOptions {
  /** Aliases one personality may have. @defaultValue 10 */
  maxAliases: number;
  /**
   * Personalities one owner may have (`MAX_PERSONALITIES_PER_USER`): {@link PersonalityRepository.create}
   * refuses one more, atomically with the write. @defaultValue 50
   */
  maxPerOwner: number;
  /** Clock (createdAt). @defaultValue Date.now */
  now: () => number;
  /** Random bytes for ids. @defaultValue crypto.randomBytes */
  random: (size: number) => Uint8Array;
}

export const DefaultPersonalityRepositoryOptions = {
  maxAliases: 10,
  maxPerOwner: 50,
  autocompleteScanLimit: 2000,
  now: Date.now,
  random: (size: number) => randomBytes(size),
} as const satisfies Omit<Required<PersonalityRepositoryOptions>, 'prefix'>;

/**
 * Personalities. Layout (docs in keys.ts):
 * - the owner's slot `{u:<ownerId>}` holds the truth: every personality (HASH id → JSON) and the owner's
 *   names and aliases (HASH normalized → id), changed together by one script, so names stay unique per owner;
 * - the `{catalog}` slot holds a projection of public personalities ({@link PersonalityCatalog}), so name
 *   lookups for any number of names are one script there plus one in the caller's slot, sent together: one
 *   round trip;
 * - ids encode their owner (personality-id.ts), so an id alone reaches the owner's slot.
 *
 * Cross-slot order: becoming (or staying) public writes the owner's record first, then the catalog, then
 * re-reads the record and re-syncs if it changed meanwhile; becoming private or being removed takes the
 * catalog entry out FIRST. A crash between the steps therefore leaves, at worst, a public personality
 * missing from (or stale in) the catalog — never a private or deleted one listed — and
 * {@link PersonalityRepository.listByOwner} repairs the owner's catalog entries when it sees a difference.
 * Workers always read the owner's record by id, so a stale projection only affects name routing.
 */
export class PersonalityRepository {
  readonly options: Readonly<PersonalityRepositoryOptions>;
  private readonly activations: ActivationRepository;
  private readonly catalog: PersonalityCatalog;
  private readonly writer: PersonalityWriter;
  /**
   * Personalities read by id before, parsed once per process while their record is unchanged: a worker reads
   * the personality of every reply, and its schema check showed in the worker's profile (docs/performance.md).
   */
  private readonly parsedById = new StoredTextCache((json) => {
    const personality = tryParseStoredPersonality(json);
    return personality === null ? null : Object.freeze(personality);
  });

  constructor(
    private readonly redis: RedisClient,
    options: Pick<PersonalityRepositoryOptions, 'prefix'> & Partial<PersonalityRepositoryOptions>,
  ) {
    this.options = { ...DefaultPersonalityRepositoryOptions, ...options };
    this.activations = new ActivationRepository(redis, { prefix: this.options.prefix });
    this.catalog = new PersonalityCatalog(redis, this.options);
    this.writer = new PersonalityWriter(redis, this.options, this.catalog);
  }

  /**
   * Creates a personality with a new id. Its name and aliases must not clash (case-insensitively, see
   * {@link normalizePersonalityName}) with any name or alias of the owner's other personalities, and the
   * owner must have fewer than `maxPerOwner`.
   * @throws UserFacingError Conflict (naming the clash or the cap) or InvalidInput.
   */
  async create(draft: PersonalityDraft): Promise<Personality> {
    if (!PersonalitySchema.shape.ownerId.safeParse(draft.ownerId).success) {
      throw this.invalid(StateMessages.invalidPersonality('the owner id is not a Discord id'));
    }
    const createdAt = this.options.now();
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt += 1) {
      const id = buildPersonalityId(draft.ownerId, this.options.random(PERSONALITY_ID_RANDOM_LENGTH));
      const personality = this.writer.validate({
        ...draft,
        aliases: draft.aliases ?? [],
        nsfw: draft.nsfw ?? false,
        contextMode: draft.contextMode ?? 'room',
        memoryScope: draft.memoryScope ?? 'conversation',
        fallbackModels: draft.fallbackModels ?? [],
        streamReplies: draft.streamReplies ?? null,
        greeting: draft.greeting ?? null,
        card: draft.card ?? null,
        editorIds: [],
        version: 1,
        id,
        createdAt,
      });
      const json = JSON.stringify(personality);
      const [code, detail] = await this.writer.write(personality, json, '', []);
      if (code === 1) {
        if (personality.visibility === 'public') await this.catalog.publish(personality, json);
        return personality;
      }
      if (code !== StateScriptCode.IdTaken) throw this.writer.scriptError(code, detail, personality);
    }
    throw fromScriptCode(StateScriptCode.IdTaken, undefined, { userId: draft.ownerId });
  }

  /** The personality with this id, or null. */
  async fetchById(id: string, batch?: RedisBatch): Promise<Personality | null> {
    const ownerId = tryParsePersonalityOwner(id);
    if (ownerId === null) return null;
    const key = buildPersonalitiesKey(this.options.prefix, ownerId);
    return this.parsedById.parse(
      await RedisBatch.send<string | null>(this.redis, batch, key, (pipeline) => pipeline.hget(key, id)),
    );
  }

  /**
   * Several personalities by id in one round trip (one HMGET per owner, sent together, or in `batch`); missing
   * ids are absent.
   */
  async fetchManyByIds(ids: readonly string[], batch?: RedisBatch): Promise<Map<string, Personality>> {
    const byOwner = new Map<string, string[]>();
    for (const id of new Set(ids)) {
      const ownerId = tryParsePersonalityOwner(id);
      if (ownerId === null) continue;
      byOwner.set(ownerId, [...(byOwner.get(ownerId) ?? []), id]);
    }
    const owners = [...byOwner];
    const read = (target: RedisBatch) =>
      Promise.all(
        owners.map(([ownerId, ownerIds]) => {
          const key = buildPersonalitiesKey(this.options.prefix, ownerId);
          return RedisBatch.send<Array<string | null>>(this.redis, target, key, (commands) =>
            commands.hmget(key, ...ownerIds),
          );
        }),
      );
    const replies = await (batch === undefined ? RedisBatch.together(read) : read(batch));
    const found = new Map<string, Personality>();
    owners.forEach(([, ownerIds], ownerIndex) => {
      ownerIds.forEach((id, index) => {
        const personality = tryParseStoredPersonality(replies[ownerIndex]?.[index]);
        if (personality) found.set(id, personality);
      });
    });
    return found;
  }

  /**
   * Changes fields of a personality, by its owner or a co-editor (`visibility` by the owner only); a rename
   * keeps names unique per owner. With `basedOn`, an edit of an outdated version is refused.
   * @throws UserFacingError NotFound, Forbidden, Conflict (a name, or a stale `basedOn`), InvalidInput.
   */
  async update(
    id: string,
    editorId: string,
    patch: PersonalityPatch,
    options: PersonalityEditOptions = {},
  ): Promise<Personality> {
    // Only the patchable fields, and only those given: a stray `id` or `undefined` never lands in the record.
    const changes = Object.fromEntries(
      PATCHABLE_FIELDS.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]]),
    ) as PersonalityPatch;
    const access: PersonalityAccess = changes.visibility === undefined ? 'editor' : 'owner';
    return this.writer.mutate(
      id,
      editorId,
      access,
      (current) => ({ ...current, ...changes }),
      options.basedOn,
    );
  }

  /**
   * Makes `editorId` a co-editor (at most {@link MAX_PERSONALITY_EDITORS}); already one is no change.
   * @throws UserFacingError NotFound, Forbidden (not the owner), InvalidInput (the owner themselves), Conflict.
   */
  async share(id: string, ownerId: string, editorId: string): Promise<Personality> {
    if (editorId === ownerId) throw this.invalid(StateMessages.shareWithOwner());
    if (!PersonalitySchema.shape.ownerId.safeParse(editorId).success) {
      throw this.invalid(StateMessages.invalidPersonality('the co-editor id is not a Discord id'));
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

  /** Adds an alias (unique per owner like names; the owner only). @throws UserFacingError as {@link update}. */
  async addAlias(id: string, ownerId: string, alias: string): Promise<Personality> {
    return this.writer.mutate(id, ownerId, 'owner', (current) => ({
      ...current,
      aliases: [...current.aliases, alias],
    }));
  }

  /** Removes an alias (matched case-insensitively). @throws UserFacingError NotFound when it has no such alias. */
  async removeAlias(id: string, ownerId: string, alias: string): Promise<Personality> {
    const key = normalizePersonalityName(alias);
    return this.writer.mutate(id, ownerId, 'owner', (current) => {
      const aliases = current.aliases.filter((existing) => normalizePersonalityName(existing) !== key);
      if (aliases.length === current.aliases.length) {
        throw new UserFacingError(ChorusErrorCode.NotFound, StateMessages.aliasNotFound(alias), {
          personalityId: id,
        });
      }
      return { ...current, aliases };
    });
  }

  /**
   * Deletes a personality: out of the catalog first, then its channel activations, then the record with its
   * names and aliases. DM sticky pointers to it are dropped lazily (DmStickyRepository.fetch).
   * @throws UserFacingError NotFound, Forbidden.
   */
  async remove(id: string, ownerId: string): Promise<Personality> {
    const { personality } = await this.writer.fetchRecord(id);
    this.writer.requireAccess(personality, ownerId, 'owner');
    const { prefix } = this.options;
    // Unconditionally: a private record may still have a catalog entry a racing publish left behind.
    await this.catalog.unpublish(id);
    await this.activations.removePersonality(id);
    await runStateScript<number>(
      this.redis,
      StateScript.deletePersonality,
      [buildPersonalitiesKey(prefix, ownerId), buildPersonalityNamesKey(prefix, ownerId)],
      [id],
    );
    await publishRoutingChange(this.redis, prefix, { personalityId: id });
    await Promise.all(
      personality.editorIds.map((editorId) =>
        this.redis.srem(buildSharedPersonalitiesKey(prefix, editorId), id),
      ),
    );
    return personality;
  }

  /**
   * The owner's personalities, oldest first. Also repairs their catalog entries where a crash left them
   * out of step (see the class comment).
   */
  async listByOwner(ownerId: string): Promise<Personality[]> {
    const { prefix } = this.options;
    const raw = await this.redis.hgetall(buildPersonalitiesKey(prefix, ownerId));
    const owned = Object.entries(raw).flatMap(([id, json]) => {
      const personality = tryParseStoredPersonality(json);
      return personality ? [{ id, json, personality }] : [];
    });
    await this.catalog.repair(ownerId, owned);
    return owned
      .map(({ personality }) => personality)
      .sort((left, right) => left.createdAt - right.createdAt);
  }

  /** How many personalities a user owns. */
  async countByOwner(ownerId: string): Promise<number> {
    return this.redis.hlen(buildPersonalitiesKey(this.options.prefix, ownerId));
  }

  /** A page of public personalities, oldest first, and how many there are. */
  async listPublic(page: {
    offset: number;
    limit: number;
  }): Promise<{ items: Personality[]; total: number }> {
    return this.catalog.listPage(page);
  }

  /**
   * Resolves normalized names (names or aliases, from {@link normalizePersonalityName}) for a caller: the
   * caller's own personality first, else the oldest public one with that name; someone else's private
   * personality never. One round trip for all names (a script in the caller's slot and one in the catalog's,
   * sent together, or in `batch`). Names without a match are absent from the map.
   */
  async resolveNames(
    callerId: string,
    normalizedNames: readonly string[],
    batch?: RedisBatch,
  ): Promise<Map<string, Personality>> {
    const names = [...new Set(normalizedNames)].filter(
      (name) => name.length > 0 && !FORBIDDEN_NAME_CHARACTERS.test(name),
    );
    const resolved = new Map<string, Personality>();
    if (names.length === 0) return resolved;
    const lookUp = (target: RedisBatch) =>
      Promise.all([this.resolveOwnNames(callerId, names, target), this.resolvePublicNames(names, target)]);
    const [own, shared] = await (batch === undefined ? RedisBatch.together(lookUp) : lookUp(batch));
    names.forEach((name, index) => {
      const found = pickNamedPersonality(callerId, own[index] ?? null, shared[index] ?? null);
      if (found !== null) resolved.set(name, found);
    });
    return resolved;
  }

  /**
   * For each normalized name, in order, the caller's own personality of that name or alias, or null: half of
   * {@link resolveNames} (see {@link pickNamedPersonality}), for a caller that caches the halves apart.
   */
  async resolveOwnNames(
    callerId: string,
    names: readonly string[],
    batch: RedisBatch,
  ): Promise<Array<Personality | null>> {
    const { prefix } = this.options;
    const own = await runStateScript<Array<string | null>>(
      this.redis,
      StateScript.resolveOwnNames,
      [buildPersonalityNamesKey(prefix, callerId), buildPersonalitiesKey(prefix, callerId)],
      names,
      batch,
    );
    return own.map(tryParseStoredPersonality);
  }

  /** For each normalized name, in order, the oldest public personality of that name or alias, or null. */
  resolvePublicNames(names: readonly string[], batch: RedisBatch): Promise<Array<Personality | null>> {
    return this.catalog.resolveNames(names, batch);
  }

  /** Every name and alias (normalized) of the caller's own personalities. In `batch` when given. */
  fetchOwnNameKeys(callerId: string, batch?: RedisBatch): Promise<string[]> {
    const key = buildPersonalityNamesKey(this.options.prefix, callerId);
    return RedisBatch.send<string[]>(this.redis, batch, key, (commands) => commands.hkeys(key));
  }

  /** Every name and alias (normalized) some public personality has: the whole catalog's names, one read. */
  fetchPublicNameKeys(): Promise<Set<string>> {
    return this.catalog.fetchNameKeys();
  }

  /**
   * Autocomplete: the caller's own personalities first, then (with `shared`) those they co-edit, then public
   * ones; within each, names or aliases starting with the query before those containing it. At most `limit`
   * (≤ 25, Discord's cap) results.
   */
  async searchForAutocomplete(
    callerId: string,
    query: string,
    limit: number,
    options: { shared?: boolean } = {},
  ): Promise<Personality[]> {
    const { prefix } = this.options;
    const wanted = Math.min(DiscordLimits.autocompleteChoices, Math.max(1, Math.floor(limit)));
    const normalized = normalizePersonalityName(query).replaceAll(/[\p{Cc}\p{Cs}]/gu, '');
    const [own, coEdited, shared] = await Promise.all([
      runStateScript<string[]>(
        this.redis,
        StateScript.searchOwnNames,
        [buildPersonalityNamesKey(prefix, callerId), buildPersonalitiesKey(prefix, callerId)],
        [normalized, wanted],
      ),
      options.shared === true ? this.listSharedWith(callerId) : [],
      this.catalog.search(normalized, wanted),
    ]);
    const results: Personality[] = [];
    const seen = new Set<string>();
    const candidates = [
      ...own.flatMap((json) => tryParseStoredPersonality(json) ?? []),
      ...rankByName(coEdited, normalized),
      ...shared,
    ];
    for (const personality of candidates) {
      if (seen.has(personality.id)) continue;
      if (!isPersonalityUsableBy(personality, callerId) && !isPersonalityEditableBy(personality, callerId))
        continue;
      seen.add(personality.id);
      results.push(personality);
      if (results.length === wanted) break;
    }
    return results;
  }

  private invalid(message: string): UserFacingError {
    return new UserFacingError(ChorusErrorCode.InvalidInput, message);
  }
}

/**
 * Which personality a name denotes for `callerId`, from the caller's own of that name (`own`) and the oldest
 * public one (`shared`): their own first, someone else's private one never; null = none.
 */
export function pickNamedPersonality(
  callerId: string,
  own: Personality | null,
  shared: Personality | null,
): Personality | null {
  const found = own?.ownerId === callerId ? own : shared;
  return found !== null && isPersonalityUsableBy(found, callerId) ? found : null;
}

/** Those whose name or an alias starts with `key` first, then those containing it; others left out. */
function rankByName(personalities: readonly Personality[], key: string): Personality[] {
  const keysOf = (personality: Personality) => listPersonalityNameKeys(personality);
  const starts = personalities.filter((personality) =>
    keysOf(personality).some((name) => name.startsWith(key)),
  );
  const contains = personalities.filter(
    (personality) => !starts.includes(personality) && keysOf(personality).some((name) => name.includes(key)),
  );
  return [...starts, ...contains];
}
