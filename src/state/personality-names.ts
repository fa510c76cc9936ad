import { DiscordLimits } from '../discord/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import { buildPersonalitiesKey, buildPersonalityNamesKey } from './keys.js';
import {
  isPersonalityEditableBy,
  isPersonalityUsableBy,
  listPersonalityNameKeys,
  normalizePersonalityName,
  type Personality,
  tryParseStoredPersonality,
} from './personality.js';
import type { PersonalityCatalog } from './personality-catalog.js';
import { FORBIDDEN_NAME_CHARACTERS } from './personality-validation.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** What {@link PersonalityNames} needs of the repository's options. */
export interface PersonalityNamesOptions {
  readonly prefix: string;
}

/**
 * Personalities by name, for PersonalityRepository: which personality a name or alias denotes for a caller
 * (their own first, else the oldest public one), and autocomplete's search. Reads the caller's names HASH in
 * their slot and the public catalog ({@link PersonalityCatalog}); never writes.
 */
export class PersonalityNames {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: Readonly<PersonalityNamesOptions>,
    private readonly catalog: PersonalityCatalog,
    /** The personalities a user co-edits, for autocomplete's `shared` results. */
    private readonly listSharedWith: (editorId: string) => Promise<Personality[]>,
  ) {}

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
