import { randomBytes } from 'node:crypto';
import { DiscordLimits } from '../discord/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { ActivationRepository } from './activation-repository.js';
import { buildPersonalitiesKey, buildPersonalityNamesKey } from './keys.js';
import { StateMessages } from './messages.js';
import {
  isPersonalityUsableBy,
  listPersonalityNameKeys,
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
import { fromScriptCode, runStateScript, StateScript, StateScriptCode } from './state-scripts.js';

/** The fields an owner may change with {@link PersonalityRepository.update} (aliases have their own methods). */
export type PersonalityPatch = Partial<
  Pick<
    Personality,
    'name' | 'visibility' | 'systemPrompt' | 'avatarUrl' | 'provider' | 'model' | 'temperature'
  >
>;

const PATCHABLE_FIELDS = [
  'name',
  'visibility',
  'systemPrompt',
  'avatarUrl',
  'provider',
  'model',
  'temperature',
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

/** Create/update attempts (a fresh id, or a re-read after a concurrent change) before giving up. */
const MAX_ATTEMPTS = 5;
/** Names cannot hold control characters (they separate catalog members) nor lone surrogates. */
const FORBIDDEN_NAME_CHARACTERS = /[\p{Cc}\p{Cs}]/u;

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

  constructor(
    private readonly redis: RedisClient,
    options: Pick<PersonalityRepositoryOptions, 'prefix'> & Partial<PersonalityRepositoryOptions>,
  ) {
    this.options = { ...DefaultPersonalityRepositoryOptions, ...options };
    this.activations = new ActivationRepository(redis, { prefix: this.options.prefix });
    this.catalog = new PersonalityCatalog(redis, this.options);
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
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const id = buildPersonalityId(draft.ownerId, this.options.random(PERSONALITY_ID_RANDOM_LENGTH));
      const personality = this.validate({
        ...draft,
        aliases: draft.aliases ?? [],
        nsfw: draft.nsfw ?? false,
        id,
        createdAt,
      });
      const json = JSON.stringify(personality);
      const [code, detail] = await this.write(personality, json, '', []);
      if (code === 1) {
        if (personality.visibility === 'public') await this.catalog.publish(personality, json);
        return personality;
      }
      if (code !== StateScriptCode.IdTaken) throw this.scriptError(code, detail, personality);
    }
    throw fromScriptCode(StateScriptCode.IdTaken, undefined, { userId: draft.ownerId });
  }

  /** The personality with this id, or null. */
  async fetchById(id: string, batch?: RedisBatch): Promise<Personality | null> {
    const ownerId = tryParsePersonalityOwner(id);
    if (ownerId === null) return null;
    const key = buildPersonalitiesKey(this.options.prefix, ownerId);
    return tryParseStoredPersonality(
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
   * Changes fields of a personality; a rename keeps names unique per owner.
   * @throws UserFacingError NotFound, Forbidden (not the owner), Conflict, InvalidInput.
   */
  async update(id: string, ownerId: string, patch: PersonalityPatch): Promise<Personality> {
    // Only the patchable fields, and only those given: a stray `id` or `undefined` never lands in the record.
    const changes = Object.fromEntries(
      PATCHABLE_FIELDS.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]]),
    ) as PersonalityPatch;
    return this.mutate(id, ownerId, (current) => ({ ...current, ...changes }));
  }

  /** Adds an alias (unique per owner like names). @throws UserFacingError as {@link update}. */
  async addAlias(id: string, ownerId: string, alias: string): Promise<Personality> {
    return this.mutate(id, ownerId, (current) => ({ ...current, aliases: [...current.aliases, alias] }));
  }

  /** Removes an alias (matched case-insensitively). @throws UserFacingError NotFound when it has no such alias. */
  async removeAlias(id: string, ownerId: string, alias: string): Promise<Personality> {
    const key = normalizePersonalityName(alias);
    return this.mutate(id, ownerId, (current) => {
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
    const { personality } = await this.fetchOwned(id, ownerId);
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
    const { prefix } = this.options;
    const lookUp = (target: RedisBatch) =>
      Promise.all([
        runStateScript<Array<string | null>>(
          this.redis,
          StateScript.resolveOwnNames,
          [buildPersonalityNamesKey(prefix, callerId), buildPersonalitiesKey(prefix, callerId)],
          names,
          target,
        ),
        this.catalog.resolveNames(names, target),
      ]);
    const [own, shared] = await (batch === undefined ? RedisBatch.together(lookUp) : lookUp(batch));
    names.forEach((name, index) => {
      const mine = tryParseStoredPersonality(own[index]);
      const found = mine?.ownerId === callerId ? mine : (shared[index] ?? null);
      if (found && isPersonalityUsableBy(found, callerId)) resolved.set(name, found);
    });
    return resolved;
  }

  /**
   * Autocomplete: the caller's own personalities first, then public ones; within each, names or aliases
   * starting with the query before those containing it. At most `limit` (≤ 25, Discord's cap) results.
   */
  async searchForAutocomplete(callerId: string, query: string, limit: number): Promise<Personality[]> {
    const { prefix } = this.options;
    const wanted = Math.min(DiscordLimits.autocompleteChoices, Math.max(1, Math.floor(limit)));
    const normalized = normalizePersonalityName(query).replaceAll(/[\p{Cc}\p{Cs}]/gu, '');
    const [own, shared] = await Promise.all([
      runStateScript<string[]>(
        this.redis,
        StateScript.searchOwnNames,
        [buildPersonalityNamesKey(prefix, callerId), buildPersonalitiesKey(prefix, callerId)],
        [normalized, wanted],
      ),
      this.catalog.search(normalized, wanted),
    ]);
    const results: Personality[] = [];
    const seen = new Set<string>();
    for (const personality of [...own.flatMap((json) => tryParseStoredPersonality(json) ?? []), ...shared]) {
      if (seen.has(personality.id)) continue;
      if (!isPersonalityUsableBy(personality, callerId)) continue;
      seen.add(personality.id);
      results.push(personality);
      if (results.length === wanted) break;
    }
    return results;
  }

  /** Reads, checks ownership, applies `change`, and writes back atomically (retrying after a concurrent change). */
  private async mutate(
    id: string,
    ownerId: string,
    change: (current: Personality) => Personality,
  ): Promise<Personality> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      const { personality: current, json: currentJson } = await this.fetchOwned(id, ownerId);
      const next = this.validate({ ...change(current), id, ownerId, createdAt: current.createdAt });
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
    throw fromScriptCode(StateScriptCode.Changed, undefined, { personalityId: id, userId: ownerId });
  }

  private async fetchOwned(id: string, ownerId: string): Promise<{ personality: Personality; json: string }> {
    const encodedOwner = tryParsePersonalityOwner(id);
    const json =
      encodedOwner === null
        ? null
        : await this.redis.hget(buildPersonalitiesKey(this.options.prefix, encodedOwner), id);
    const personality = tryParseStoredPersonality(json);
    if (!personality || json === null)
      throw fromScriptCode(StateScriptCode.NotFound, undefined, { personalityId: id });
    if (personality.ownerId !== ownerId) {
      throw new UserFacingError(ChorusErrorCode.Forbidden, StateMessages.notOwner(), {
        personalityId: id,
        userId: ownerId,
      });
    }
    return { personality, json };
  }

  private async write(
    personality: Personality,
    json: string,
    expectedJson: string,
    released: readonly string[],
  ): Promise<[code: number, detail?: string]> {
    const { prefix } = this.options;
    return runStateScript<[number, string?]>(
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
  }

  /** Schema-checks a personality and its names; user-facing errors for what a user can fix. */
  private validate(input: Personality): Personality {
    // Stored as written, minus surrounding blanks (what a webhook username would show anyway).
    const candidate = {
      ...input,
      name: input.name.trim(),
      aliases: input.aliases.map((alias) => alias.trim()),
    };
    const names = [candidate.name, ...candidate.aliases];
    if (candidate.aliases.length > this.options.maxAliases) {
      throw this.invalid(StateMessages.tooManyAliases(this.options.maxAliases));
    }
    for (const name of names) {
      const key = normalizePersonalityName(name);
      if (
        key.length === 0 ||
        name.length > DiscordLimits.webhookUsername ||
        FORBIDDEN_NAME_CHARACTERS.test(name)
      ) {
        throw this.invalid(StateMessages.invalidName());
      }
    }
    const keys = listPersonalityNameKeys(candidate);
    const repeated = keys.find((key, index) => keys.indexOf(key) !== index);
    if (repeated !== undefined)
      throw this.invalid(StateMessages.nameRepeated(displayNameFor(candidate, repeated)));
    const parsed = PersonalitySchema.safeParse(candidate);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw this.invalid(
        StateMessages.invalidPersonality(
          issue ? `${issue.path.join('.')} ${issue.message}` : 'unknown problem',
        ),
      );
    }
    return parsed.data;
  }

  private invalid(message: string): UserFacingError {
    return new UserFacingError(ChorusErrorCode.InvalidInput, message);
  }

  private scriptError(code: number, detail: string | undefined, personality: Personality) {
    return fromScriptCode(code, detail, {
      personalityId: personality.id,
      userId: personality.ownerId,
      displayName: (key) => displayNameFor(personality, key),
      maxPerOwner: this.options.maxPerOwner,
    });
  }
}

/** How the user wrote the name or alias whose normalized form is `key`. */
function displayNameFor(personality: Pick<Personality, 'name' | 'aliases'>, key: string): string {
  return (
    [personality.name, ...personality.aliases].find((name) => normalizePersonalityName(name) === key) ?? key
  );
}
