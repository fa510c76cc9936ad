import type { GuildSettings, GuildSettingsRepository } from '../guilds/index.js';
import type { RedisBatch, RedisClient } from '../redis/index.js';
import type { ActivationRepository, Personality, PersonalityRepository } from '../state/index.js';

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
  private readonly names = new Map<string, Entry<Personality | null>>();

  constructor(options: Partial<RoutingCacheOptions> = {}) {
    this.options = { ...DefaultRoutingCacheOptions, ...options };
  }

  /**
   * Subscribes `subscriber` (a dedicated connection: a subscribed one takes no other commands) to `channel`;
   * resolves once subscribed. Until then, and while the connection is down, every lookup reads Redis.
   */
  async listen(subscriber: RedisClient, channel: string): Promise<void> {
    subscriber.on('message', (from: string) => {
      if (from === channel) this.clear();
    });
    // ioredis subscribes again by itself after a reconnect; what was published meanwhile is lost: start over.
    subscriber.on('close', () => {
      this.subscribed = false;
      this.clear();
    });
    subscriber.on('ready', () => {
      this.clear();
      this.subscribed = true;
    });
    await subscriber.subscribe(channel);
    this.subscribed = true;
  }

  /** Forgets every entry (a change notice, a resubscription). */
  clear(): void {
    this.generation += 1;
    this.activations.clear();
    this.settings.clear();
    this.names.clear();
  }

  /** `repositories`' lookups, served from the cache when it holds a fresh answer. */
  wrap(repositories: CachedRoutingLookups): CachedRoutingLookups {
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
        resolveNames: async (callerId, normalizedNames, batch) => {
          const keyOf = (name: string) => `${callerId}\n${name}`;
          const found = await this.through(
            this.names,
            [...new Set(normalizedNames)].map(keyOf),
            async (missing) => {
              const names = missing.map((key) => key.slice(callerId.length + 1));
              const resolved = await personalities.resolveNames(callerId, names, batch);
              return new Map(names.map((name) => [keyOf(name), resolved.get(name) ?? null]));
            },
          );
          return new Map(
            [...found].flatMap(([key, personality]) =>
              personality === null ? [] : [[key.slice(callerId.length + 1), personality]],
            ),
          );
        },
        // By id: the reply, activation and sticky paths, not every message; always read.
        fetchManyByIds: (ids, batch) => personalities.fetchManyByIds(ids, batch),
      },
    };
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
    const usable = this.subscribed && ttlMs > 0;
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
    const keep = usable && this.subscribed && generation === this.generation;
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
