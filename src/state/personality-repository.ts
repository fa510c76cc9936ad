import { randomBytes } from 'node:crypto';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch, StoredTextCache } from '../redis/index.js';
import { ActivationRepository } from './activation-repository.js';
import { buildPersonalitiesKey, buildPersonalityNamesKey, buildSharedPersonalitiesKey } from './keys.js';
import { StateMessages } from './messages.js';
import {
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
import { PersonalityNames } from './personality-names.js';
import { type PersonalityEditOptions, type PersonalityPatch, pickPatchChanges } from './personality-patch.js';
import { PersonalitySharing } from './personality-sharing.js';
import { MAX_WRITE_ATTEMPTS, type PersonalityAccess, PersonalityWriter } from './personality-writer.js';
import { publishRoutingChange } from './routing-changes.js';
import { fromScriptCode, runStateScript, StateScript, StateScriptCode } from './state-scripts.js';

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
 * Personalities: their storage here; lookups by name in {@link PersonalityNames}, co-editors in
 * {@link PersonalitySharing}. Layout (docs in keys.ts):
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
  private readonly sharing: PersonalitySharing;
  private readonly names: PersonalityNames;
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
    this.sharing = new PersonalitySharing(redis, this.options, this.writer, (ids) =>
      this.fetchManyByIds(ids),
    );
    this.names = new PersonalityNames(redis, this.options, this.catalog, (editorId) =>
      this.sharing.listSharedWith(editorId),
    );
  }

  /**
   * Creates a personality with a new id. Its name and aliases must not clash (case-insensitively, see
   * {@link normalizePersonalityName}) with any name or alias of the owner's other personalities, and the
   * owner must have fewer than `maxPerOwner`.
   * @throws UserFacingError Conflict (naming the clash or the cap) or InvalidInput.
   */
  async create(draft: PersonalityDraft): Promise<Personality> {
    if (!PersonalitySchema.shape.ownerId.safeParse(draft.ownerId).success) {
      throw new UserFacingError(
        ChorusErrorCode.InvalidInput,
        StateMessages.invalidPersonality('the owner id is not a Discord id'),
      );
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
    return this.parsedById.parse(await RedisBatch.read<string | null>(this.redis, batch, key, 'hget', id));
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
    const changes = pickPatchChanges(patch);
    const access: PersonalityAccess = changes.visibility === undefined ? 'editor' : 'owner';
    return this.writer.mutate(
      id,
      editorId,
      access,
      (current) => ({ ...current, ...changes }),
      options.basedOn,
    );
  }

  /** Makes `editorId` a co-editor (see {@link PersonalitySharing.share}). */
  share(id: string, ownerId: string, editorId: string): Promise<Personality> {
    return this.sharing.share(id, ownerId, editorId);
  }

  /** Takes `editorId`'s co-editing away (see {@link PersonalitySharing.unshare}). */
  unshare(id: string, ownerId: string, editorId: string): Promise<Personality> {
    return this.sharing.unshare(id, ownerId, editorId);
  }

  /** The personalities `editorId` co-edits (not owns), by name. */
  listSharedWith(editorId: string): Promise<Personality[]> {
    return this.sharing.listSharedWith(editorId);
  }

  /** `/forget-me` of a co-editor; how many personalities they were taken off (see {@link PersonalitySharing}). */
  forgetEditor(editorId: string): Promise<number> {
    return this.sharing.forgetEditor(editorId);
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

  /** The personality each normalized name denotes for the caller (see {@link PersonalityNames.resolveNames}). */
  resolveNames(
    callerId: string,
    normalizedNames: readonly string[],
    batch?: RedisBatch,
  ): Promise<Map<string, Personality>> {
    return this.names.resolveNames(callerId, normalizedNames, batch);
  }

  /** For each normalized name, the caller's own personality of that name or alias, or null. */
  resolveOwnNames(
    callerId: string,
    names: readonly string[],
    batch: RedisBatch,
  ): Promise<Array<Personality | null>> {
    return this.names.resolveOwnNames(callerId, names, batch);
  }

  /** For each normalized name, in order, the oldest public personality of that name or alias, or null. */
  resolvePublicNames(names: readonly string[], batch: RedisBatch): Promise<Array<Personality | null>> {
    return this.names.resolvePublicNames(names, batch);
  }

  /** Every name and alias (normalized) of the caller's own personalities. In `batch` when given. */
  fetchOwnNameKeys(callerId: string, batch?: RedisBatch): Promise<string[]> {
    return this.names.fetchOwnNameKeys(callerId, batch);
  }

  /** Every name and alias (normalized) some public personality has. */
  fetchPublicNameKeys(): Promise<Set<string>> {
    return this.names.fetchPublicNameKeys();
  }

  /** Autocomplete's personalities for a query (see {@link PersonalityNames.searchForAutocomplete}). */
  searchForAutocomplete(
    callerId: string,
    query: string,
    limit: number,
    options: { shared?: boolean } = {},
  ): Promise<Personality[]> {
    return this.names.searchForAutocomplete(callerId, query, limit, options);
  }
}
