import type { RedisBatch, RedisClient } from '../redis/index.js';
import type { Personality } from './personality.js';
import type { PersonalityRepository } from './personality-repository.js';
import { findNoticedPersonalityId, listenToRoutingChanges } from './routing-changes.js';

/** Options for {@link PersonalityCache}. */
export interface PersonalityCacheOptions {
  /**
   * `PERSONALITY_CACHE_TTL_MS`: the longest an entry is served, in ms: the bound on staleness should a change
   * notice be lost (notices are pub/sub, at most once); 0 = nothing is cached. @defaultValue 30000
   */
  ttlMs: number;
  /** Personalities kept; the least recently read go first. @defaultValue 5000 */
  maxEntries: number;
  /** Clock (Unix ms). @defaultValue Date.now */
  now: () => number;
}

export const DefaultPersonalityCacheOptions = {
  ttlMs: 30_000,
  maxEntries: 5_000,
  now: Date.now,
} as const satisfies Required<PersonalityCacheOptions>;

interface Entry {
  readonly personality: Personality;
  readonly storedAt: number;
}

/**
 * A worker's copies of the personalities its jobs answer as, by id. Every reply reads its personality, which
 * lives in its owner's slot (rarely the author's), so that read joins none of the reply's scripts. Every write of
 * a personality publishes its id on the routing-changes channel (`publishRoutingChange`): the cache drops that
 * entry on the notice, everything on a notice naming none and on each (re)subscription, serves nothing while
 * unsubscribed, and no entry older than `ttlMs`. So a personality made private or deleted stops answering as soon
 * as the notice arrives, and within `ttlMs` should it be lost. A missing personality is not kept.
 */
export class PersonalityCache {
  readonly options: Readonly<PersonalityCacheOptions>;
  /** Bumped by every notice: a read started under an older generation is not kept. */
  private generation = 0;
  private subscribed = false;
  /** In order of last read, oldest first. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: Partial<PersonalityCacheOptions> = {}) {
    this.options = { ...DefaultPersonalityCacheOptions, ...options };
  }

  /**
   * Subscribes `subscriber` (a connection in subscriber mode; it may listen to other channels too) to the
   * routing-changes `channel`; resolves once subscribed. Until then, and while it is down, every read goes to Redis.
   */
  async listen(subscriber: RedisClient, channel: string): Promise<void> {
    await listenToRoutingChanges(subscriber, channel, {
      onNotice: (notice) => this.forget(findNoticedPersonalityId(notice)),
      // What was published while the connection was down is lost: start over.
      onSubscription: (subscribed) => {
        this.forget(null);
        this.subscribed = subscribed;
      },
    });
  }

  /** `personalities`' read by id, served from the cache when it holds a fresh copy. */
  wrap(personalities: Pick<PersonalityRepository, 'fetchById'>): Pick<PersonalityRepository, 'fetchById'> {
    return { fetchById: (id, batch) => this.fetchById(personalities, id, batch) };
  }

  private async fetchById(
    personalities: Pick<PersonalityRepository, 'fetchById'>,
    id: string,
    batch: RedisBatch | undefined,
  ): Promise<Personality | null> {
    const { ttlMs, maxEntries, now } = this.options;
    const usable = this.subscribed && ttlMs > 0;
    const at = now();
    const entry = usable ? this.entries.get(id) : undefined;
    if (entry !== undefined && at - entry.storedAt < ttlMs) {
      this.entries.delete(id);
      this.entries.set(id, entry);
      return entry.personality;
    }
    const generation = this.generation;
    const personality = await personalities.fetchById(id, batch);
    this.entries.delete(id);
    if (personality === null || !usable || !this.subscribed || generation !== this.generation)
      return personality;
    this.entries.set(id, { personality, storedAt: at });
    if (this.entries.size > maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return personality;
  }

  /** Drops one personality's entry, or every entry (`null`). */
  private forget(id: string | null): void {
    this.generation += 1;
    if (id === null) this.entries.clear();
    else this.entries.delete(id);
  }
}
