import type { GuildSettings, GuildSettingsRepository } from '../guilds/index.js';
import { RedisBatch, type RedisClient } from '../redis/index.js';
import {
  type ActivationRepository,
  listenToRoutingChanges,
  type Personality,
  type PersonalityRepository,
  pickNamedPersonality,
} from '../state/index.js';

/** Options for {@link RoutingCache}. */
export interface RoutingCacheOptions {
  /**
   * `ROUTING_CACHE_TTL_MS`: the longest an entry is served, in ms: the bound on staleness should a change notice
   * be lost (notices are pub/sub, at most once); 0 = nothing is cached. @defaultValue 30000
   */
  ttlMs: number;
  /** Entries kept per kind (activations, settings, names); the oldest go first. @defaultValue 10000 */
  maxEntries: number;
  /** Clock (Unix ms). @defaultValue Date.now */
  now: () => number;
}

export const DefaultRoutingCacheOptions = {
  ttlMs: 30_000,
  maxEntries: 10_000,
  now: Date.now,
} as const satisfies Required<RoutingCacheOptions>;

/** The lookups routing makes for every message, as the cache serves them. */
export interface CachedRoutingLookups {
  readonly activations: Pick<ActivationRepository, 'fetchForChannel' | 'fetchForChannels'>;
  readonly guildSettings: Pick<GuildSettingsRepository, 'fetch'>;
  readonly personalities: Pick<PersonalityRepository, 'resolveNames' | 'fetchManyByIds'>;
}

/** What the cache reads to resolve names: the halves of `PersonalityRepository.resolveNames`, and which names exist. */
export type NameLookups = Pick<
  PersonalityRepository,
  | 'resolveNames'
  | 'fetchManyByIds'
  | 'resolveOwnNames'
  | 'resolvePublicNames'
  | 'fetchOwnNameKeys'
  | 'fetchPublicNameKeys'
>;

interface Entry<T> {
  readonly value: T;
  readonly storedAt: number;
}

/**
 * In-process copies of what routing reads for every message and rarely changes: channel activations, server
 * settings and name lookups (per caller: their own personalities come first). Every write of those publishes on
 * the routing-changes channel (`publishRoutingChange` in state); the cache is used only while subscribed to it,
 * forgets everything on each notice and on each (re)subscription, and serves no entry older than `ttlMs`. A read
 * under way when a notice arrives is not kept, so it cannot bring back what the notice cleared.
 */
export class RoutingCache {
  readonly options: Readonly<RoutingCacheOptions>;
  /** Bumped by every notice: a read started under an older generation is not kept. */
  private generation = 0;
  private subscribed = false;
  private readonly activations = new Map<string, Entry<string | null>>();
  private readonly settings = new Map<string, Entry<GuildSettings>>();
  /** Per caller: the names and aliases of their own personalities. */
  private readonly ownNameKeys = new Map<string, Entry<ReadonlySet<string>>>();
  /** The names and aliases of every public personality (one entry). */
  private readonly publicNameKeys = new Map<string, Entry<ReadonlySet<string>>>();
  /** The catalog's names read under way, shared by the messages that need it meanwhile. */
  private publicNameKeysLoad: Promise<ReadonlySet<string>> | null = null;
  /** `<callerId>\n<name>` → the caller's own personality of that name. */
  private readonly ownNames = new Map<string, Entry<Personality | null>>();
  /** Name → the oldest public personality of that name. */
  private readonly publicNames = new Map<string, Entry<Personality | null>>();

  constructor(options: Partial<RoutingCacheOptions> = {}) {
    this.options = { ...DefaultRoutingCacheOptions, ...options };
  }

  /**
   * Subscribes `subscriber` (a dedicated connection: a subscribed one takes no other commands) to `channel`;
   * resolves once subscribed. Until then, and while the connection is down, every lookup reads Redis.
   */
  async listen(subscriber: RedisClient, channel: string): Promise<void> {
    await listenToRoutingChanges(subscriber, channel, {
      onNotice: () => this.clear(),
      // What was published while the connection was down is lost: start over.
      onSubscription: (subscribed) => {
        this.clear();
        this.subscribed = subscribed;
      },
    });
  }

  /** Whether entries may be served and kept: subscribed to change notices, with a TTL. */
  private get usable(): boolean {
    return this.subscribed && this.options.ttlMs > 0;
  }

  /** Forgets every entry (a change notice, a resubscription). */
  clear(): void {
    this.generation += 1;
    this.activations.clear();
    this.settings.clear();
    this.ownNameKeys.clear();
    this.publicNameKeys.clear();
    this.publicNameKeysLoad = null;
    this.ownNames.clear();
    this.publicNames.clear();
  }

  /** `repositories`' lookups, served from the cache when it holds a fresh answer. */
  wrap(
    repositories: Omit<CachedRoutingLookups, 'personalities'> & { readonly personalities: NameLookups },
  ): CachedRoutingLookups {
    const { activations, guildSettings, personalities } = repositories;
    return {
      activations: {
        fetchForChannel: async (channelId, batch) =>
          (await this.fetchActivations([channelId], activations, batch)).get(channelId) ?? null,
        fetchForChannels: async (channelIds, batch) => {
          const found = await this.fetchActivations(channelIds, activations, batch);
          return new Map(
            [...found].flatMap(([id, personalityId]) =>
              personalityId === null ? [] : [[id, personalityId]],
            ),
          );
        },
      },
      guildSettings: {
        fetch: async (guildId, batch) =>
          (
            await this.through(
              this.settings,
              [guildId],
              async ([id]) => new Map([[id!, await guildSettings.fetch(id!, batch)]]),
            )
          ).get(guildId)!,
      },
      personalities: {
        resolveNames: (callerId, normalizedNames, batch) =>
          this.resolveNames(personalities, callerId, normalizedNames, batch),
        // By id: the reply, activation and sticky paths, not every message; always read.
        fetchManyByIds: (ids, batch) => personalities.fetchManyByIds(ids, batch),
      },
    };
  }

  /**
   * As `PersonalityRepository.resolveNames`, reading only what the cache lacks. A message's candidate names
   * are mostly no name at all (`@Alice how` for `@Alice how are you`), different in every message: they are
   * told apart by the names that exist (the caller's own, the catalog's), and only those are looked up.
   */
  private async resolveNames(
    personalities: NameLookups,
    callerId: string,
    normalizedNames: readonly string[],
    batch: RedisBatch | undefined,
  ): Promise<Map<string, Personality>> {
    // Unsubscribed, nothing would be kept: telling names apart first would only cost reads.
    if (!this.usable) return personalities.resolveNames(callerId, normalizedNames, batch);
    const names = [...new Set(normalizedNames)];
    const [own, shared] = await Promise.all([
      this.through(this.ownNameKeys, [callerId], async () => {
        const keys = await personalities.fetchOwnNameKeys(callerId, batch);
        return new Map([[callerId, new Set(keys)]]);
      }).then((found) => found.get(callerId) ?? new Set<string>()),
      this.fetchPublicNameKeys(personalities),
    ]);
    const ownKey = (name: string) => `${callerId}\n${name}`;
    const ownWanted = names.filter((name) => own.has(name));
    const sharedWanted = names.filter((name) => shared.has(name));
    const resolved = new Map<string, Personality>();
    if (ownWanted.length === 0 && sharedWanted.length === 0) return resolved;
    // The caller's batch was sent at the first await: these reads, when any, share a round trip of their own.
    const [ownFound, sharedFound] = await RedisBatch.together((reads) =>
      Promise.all([
        this.through(this.ownNames, ownWanted.map(ownKey), async (missing) => {
          const missingNames = missing.map((key) => key.slice(callerId.length + 1));
          const found = await personalities.resolveOwnNames(callerId, missingNames, reads);
          return new Map(missing.map((key, index) => [key, found[index] ?? null]));
        }),
        this.through(this.publicNames, sharedWanted, async (missing) => {
          const found = await personalities.resolvePublicNames(missing, reads);
          return new Map(missing.map((name, index) => [name, found[index] ?? null]));
        }),
      ]),
    );
    for (const name of names) {
      const found = pickNamedPersonality(
        callerId,
        ownFound.get(ownKey(name)) ?? null,
        sharedFound.get(name) ?? null,
      );
      if (found !== null) resolved.set(name, found);
    }
    return resolved;
  }

  /** The catalog's names: from memory, else one read shared by every message asking meanwhile. */
  private async fetchPublicNameKeys(personalities: NameLookups): Promise<ReadonlySet<string>> {
    const cached = await this.through(this.publicNameKeys, [''], async () => {
      this.publicNameKeysLoad ??= personalities.fetchPublicNameKeys();
      const load = this.publicNameKeysLoad;
      try {
        return new Map([['', await load]]);
      } finally {
        if (this.publicNameKeysLoad === load) this.publicNameKeysLoad = null;
      }
    });
    return cached.get('') ?? new Set();
  }

  private fetchActivations(
    channelIds: readonly string[],
    activations: CachedRoutingLookups['activations'],
    batch: RedisBatch | undefined,
  ): Promise<Map<string, string | null>> {
    return this.through(this.activations, [...new Set(channelIds)], async (missing) => {
      const found = await activations.fetchForChannels(missing, batch);
      return new Map(missing.map((id) => [id, found.get(id) ?? null]));
    });
  }

  /**
   * The values of `keys`: fresh entries from `entries`, the others from one `read` (which answers every key it
   * is given), kept unless a notice arrived meanwhile.
   */
  private async through<T>(
    entries: Map<string, Entry<T>>,
    keys: readonly string[],
    read: (missing: string[]) => Promise<Map<string, T>>,
  ): Promise<Map<string, T>> {
    const { ttlMs, maxEntries, now } = this.options;
    const usable = this.usable;
    const found = new Map<string, T>();
    const missing: string[] = [];
    const at = now();
    for (const key of keys) {
      const entry = usable ? entries.get(key) : undefined;
      if (entry !== undefined && at - entry.storedAt < ttlMs) found.set(key, entry.value);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const generation = this.generation;
    const answers = await read(missing);
    const keep = usable && this.usable && generation === this.generation;
    for (const key of missing) {
      const value = answers.get(key) as T;
      found.set(key, value);
      if (!keep) continue;
      // Re-inserted last, so the map's order is oldest first for eviction.
      entries.delete(key);
      entries.set(key, { value, storedAt: at });
      if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    }
    return found;
  }
}
