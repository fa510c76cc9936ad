import type { RedisBatch, RedisClient } from '../redis/index.js';
import {
  buildCatalogEntriesKey,
  buildCatalogEntryNamesKey,
  buildCatalogListingKey,
  buildCatalogNamesKey,
  buildPersonalitiesKey,
} from './keys.js';
import { listPersonalityNameKeys, type Personality, tryParseStoredPersonality } from './personality.js';
import { publishRoutingChange } from './routing-changes.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** Options for {@link PersonalityCatalog}. */
export interface PersonalityCatalogOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** Public names the substring pass of autocomplete reads at most per keystroke. @defaultValue 2000 */
  autocompleteScanLimit: number;
}

/** A personality as its owner's record holds it: the parsed value and the JSON it was parsed from. */
export interface StoredPersonality {
  readonly id: string;
  readonly json: string;
  readonly personality: Personality;
}

/** Re-reads of the owner's record before a sync gives up on a record that keeps changing. */
const MAX_SYNC_ATTEMPTS = 5;
/** Most personalities one public listing page returns. */
const MAX_PAGE = 100;

/**
 * The public catalog: the `{catalog}` slot's projection of public personalities (names sorted by name then
 * age, copies of the records, a listing by age), so name lookups for any number of names are one script.
 * The owner's record is the truth (PersonalityRepository); this class copies it here and takes it out, and
 * every write is checked against the record afterwards, so the projection never lists a private or deleted
 * personality for longer than a write takes.
 */
export class PersonalityCatalog {
  constructor(
    private readonly redis: RedisClient,
    readonly options: Readonly<PersonalityCatalogOptions>,
  ) {}

  /** Puts a public personality in the catalog, then makes sure the owner's record did not change meanwhile. */
  async publish(personality: Personality, json: string): Promise<void> {
    await this.upsert(personality, json);
    const now = await this.redis.hget(
      buildPersonalitiesKey(this.options.prefix, personality.ownerId),
      personality.id,
    );
    if (now !== json) await this.sync(personality.id, personality.ownerId);
  }

  /** Takes a personality out of the catalog (whether or not it was in). */
  async unpublish(id: string): Promise<void> {
    await runStateScript<number>(this.redis, StateScript.removeCatalogEntry, this.entryKeys(), [id]);
    await publishRoutingChange(this.redis, this.options.prefix, { personalityId: id });
  }

  /** Re-syncs the entries of an owner's personalities whose projection differs from their record. */
  async repair(ownerId: string, owned: readonly StoredPersonality[]): Promise<void> {
    if (owned.length === 0) return;
    const projected = await this.redis.hmget(
      buildCatalogEntriesKey(this.options.prefix),
      ...owned.map(({ id }) => id),
    );
    const drifted = owned.filter(({ json, personality }, index) =>
      personality.visibility === 'public' ? projected[index] !== json : projected[index] !== null,
    );
    await Promise.all(drifted.map(({ id }) => this.sync(id, ownerId)));
  }

  /** A page of public personalities, oldest first, and how many there are. */
  async listPage(page: { offset: number; limit: number }): Promise<{ items: Personality[]; total: number }> {
    const offset = Math.max(0, Math.floor(page.offset));
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(page.limit)));
    const { prefix } = this.options;
    const [total, ...entries] = await runStateScript<[number, ...string[]]>(
      this.redis,
      StateScript.listCatalog,
      [buildCatalogListingKey(prefix), buildCatalogEntriesKey(prefix)],
      [offset, limit],
    );
    return { items: entries.flatMap((json) => tryParseStoredPersonality(json) ?? []), total };
  }

  /** For each normalized name, in order, the oldest public personality with that name or alias, or null. */
  async resolveNames(names: readonly string[], batch: RedisBatch): Promise<Array<Personality | null>> {
    const { prefix } = this.options;
    const found = await runStateScript<Array<string | null>>(
      this.redis,
      StateScript.resolvePublicNames,
      [buildCatalogNamesKey(prefix), buildCatalogEntriesKey(prefix)],
      names,
      batch,
    );
    return found.map(tryParseStoredPersonality);
  }

  /** Every name and alias of the catalog's personalities (normalized), from its names ZSET: one read. */
  async fetchNameKeys(): Promise<Set<string>> {
    const members = await this.redis.zrange(buildCatalogNamesKey(this.options.prefix), '0', '-1');
    // Members are `<name>\0<createdAt>\0<id>`.
    return new Set(members.map((member) => member.slice(0, member.indexOf('\0'))));
  }

  /**
   * Public personalities for autocomplete: names or aliases starting with `normalizedQuery` before those
   * containing it, at most `limit`.
   */
  async search(normalizedQuery: string, limit: number): Promise<Personality[]> {
    const { prefix } = this.options;
    const found = await runStateScript<string[]>(
      this.redis,
      StateScript.searchCatalog,
      [buildCatalogNamesKey(prefix), buildCatalogEntriesKey(prefix)],
      [normalizedQuery, limit, this.options.autocompleteScanLimit],
    );
    return found.flatMap((json) => tryParseStoredPersonality(json) ?? []);
  }

  /** Makes the catalog entry match the owner's current record (public → copied, private or gone → removed). */
  async sync(id: string, ownerId: string): Promise<void> {
    const key = buildPersonalitiesKey(this.options.prefix, ownerId);
    for (let attempt = 0; attempt < MAX_SYNC_ATTEMPTS; attempt += 1) {
      const json = await this.redis.hget(key, id);
      const personality = tryParseStoredPersonality(json);
      if (personality?.visibility === 'public' && json !== null) await this.upsert(personality, json);
      else await this.unpublish(id);
      if ((await this.redis.hget(key, id)) === json) return;
    }
  }

  private async upsert(personality: Personality, json: string): Promise<void> {
    await runStateScript<number>(this.redis, StateScript.upsertCatalogEntry, this.entryKeys(), [
      personality.id,
      json,
      personality.createdAt,
      listPersonalityNameKeys(personality).join('\n'),
    ]);
    await publishRoutingChange(this.redis, this.options.prefix, { personalityId: personality.id });
  }

  private entryKeys(): string[] {
    const { prefix } = this.options;
    return [
      buildCatalogNamesKey(prefix),
      buildCatalogEntriesKey(prefix),
      buildCatalogEntryNamesKey(prefix),
      buildCatalogListingKey(prefix),
    ];
  }
}
