import { setTimeout as sleep } from 'node:timers/promises';
import { LRUCache } from 'lru-cache';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import type { ChannelWebhook, ChannelWebhookApi } from './discord-webhook-client.js';
import { classifyDiscordFailure, findDiscordCode, findUnavailableReason } from './failure-policy.js';
import type { WebhookCredentials, WebhookRepository } from './webhook-repository.js';
import { WebhookUnavailableError } from './webhook-unavailable-error.js';

/** Counters of the cache, read by {@link WebhookCacheService.stats}. */
export interface WebhookCacheStats {
  /** Pools served from this process's memory (including callers joining an in-flight lookup). */
  readonly memoryHits: number;
  /** Pools another worker (or an earlier run) had already put in Redis. */
  readonly redisHits: number;
  /** Lookups that had to ask Discord (list, then maybe create). */
  readonly discordLookups: number;
  readonly webhooksCreated: number;
  /** Webhooks of ours found on Discord and reused (after a restart, or past the 15-webhook cap). */
  readonly webhooksAdopted: number;
  /** Webhooks forgotten after Discord said they no longer exist. */
  readonly webhooksInvalidated: number;
}

/** Options of {@link WebhookCacheService}; all required (the webhook manager fills them from its own). */
export interface WebhookCacheServiceOptions {
  readonly api: ChannelWebhookApi;
  readonly repository: WebhookRepository;
  /** Our application id: webhooks it created are ours to reuse. */
  readonly applicationId: string;
  /** The fixed name our webhooks carry, so ours are told apart from other webhooks of the same app. */
  readonly webhookName: string;
  /** Webhooks a busy channel's pool may grow to. */
  readonly poolLimit: number;
  /** Lease of the find-or-create lock, ms. */
  readonly lockTtlMs: number;
  /** How long this process trusts its memory of a pool before re-reading Redis, ms. */
  readonly memoryTtlMs: number;
  /** Channels whose pools this process keeps in memory; the least recently used beyond it are dropped. */
  readonly maxCachedPools: number;
  /** How long a refused channel is refused without asking Discord again, ms. */
  readonly unavailableTtlMs: number;
  /** How long nobody tries to grow a pool after Discord refused another webhook, ms. */
  readonly growthBlockedTtlMs: number;
  readonly now: () => number;
  readonly logger: Logger;
}

interface PoolEntry {
  readonly promise: Promise<readonly WebhookCredentials[]>;
  loadedAt: number;
}

/** Rounds of "take the lock, or wait for its holder" before a lookup gives up. */
const MAX_LOCK_ROUNDS = 3;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 400;

/**
 * Finds, creates and remembers each channel's webhook pool (after PluralKit's `WebhookCacheService`).
 * Redis holds the pools for every worker; this process adds a memory cache with one in-flight lookup per
 * channel (concurrent callers share it; a failed lookup is dropped, never cached). Creation runs under a Redis
 * lock, so workers racing on a fresh channel create one webhook, not one each.
 */
export class WebhookCacheService {
  readonly #options: WebhookCacheServiceOptions;
  readonly #log: Logger;
  // Per process by design: Redis is the shared truth, this only saves round trips and joins concurrent lookups.
  // Bounded, so a worker that sees many channels over its life does not keep every pool it ever loaded.
  readonly #pools: LRUCache<string, PoolEntry>;
  readonly #growing = new Map<string, Promise<readonly WebhookCredentials[]>>();
  readonly #stats = {
    memoryHits: 0,
    redisHits: 0,
    discordLookups: 0,
    webhooksCreated: 0,
    webhooksAdopted: 0,
    webhooksInvalidated: 0,
  };

  constructor(options: WebhookCacheServiceOptions) {
    this.#options = options;
    this.#log = options.logger;
    this.#pools = new LRUCache({ max: options.maxCachedPools });
  }

  /** A copy of the counters. */
  stats(): WebhookCacheStats {
    return { ...this.#stats };
  }

  /**
   * The channel's pool (at least one webhook), finding or creating one when needed. Throws
   * `WebhookUnavailableError` when Discord refuses the channel a webhook for good.
   */
  fetchPool(channelId: string): Promise<readonly WebhookCredentials[]> {
    const now = this.#options.now();
    const cached = this.#pools.get(channelId);
    if (cached !== undefined && now - cached.loadedAt < this.#options.memoryTtlMs) {
      this.#stats.memoryHits += 1;
      return cached.promise;
    }
    const entry: PoolEntry = { promise: this.#load(channelId), loadedAt: now };
    this.#pools.set(channelId, entry);
    entry.promise.then(
      () => {
        entry.loadedAt = this.#options.now();
      },
      () => {
        if (this.#pools.peek(channelId) === entry) this.#pools.delete(channelId);
      },
    );
    return entry.promise;
  }

  /**
   * For a channel whose webhooks are all busy: re-reads the pool from Redis (another worker may have grown it)
   * and adds a webhook if it is below the limit and Discord allows; resolves to the pool either way (growing is
   * an optimisation, its failures are logged and remembered, not thrown).
   */
  growPool(channelId: string): Promise<readonly WebhookCredentials[]> {
    const inFlight = this.#growing.get(channelId);
    if (inFlight !== undefined) return inFlight;
    const growing = this.#grow(channelId).finally(() => this.#growing.delete(channelId));
    this.#growing.set(channelId, growing);
    return growing;
  }

  /** Forgets a webhook everywhere (Redis and memory) after Discord said it no longer exists. */
  async invalidate(channelId: string, webhookId: string): Promise<void> {
    await this.#options.repository.removeFromPool(channelId, webhookId);
    this.#pools.delete(channelId);
    this.#stats.webhooksInvalidated += 1;
    this.#log.warn({ channelId, webhookId }, 'webhook gone; forgotten');
  }

  /**
   * Forgets the pools of channels that are gone (deleted, or in a guild the bot left): in Redis, and in this
   * process's memory. Other processes drop their memory of them within `memoryTtlMs`.
   */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    await this.#options.repository.forgetChannels(channelIds);
    for (const channelId of channelIds) this.#pools.delete(channelId);
  }

  /**
   * Ids of our webhooks in the channel (the thread's parent for threads): the pool, or when none is known,
   * what Discord lists as our application's. Creates nothing.
   */
  async fetchOwnWebhookIds(channelId: string): Promise<string[]> {
    const pool = await this.#options.repository.fetchPool(channelId);
    if (pool.length > 0) return pool.map((webhook) => webhook.id);
    const listed = await this.#options.api.listChannelWebhooks(channelId);
    return listed.filter((webhook) => webhook.applicationId === this.#options.applicationId).map((w) => w.id);
  }

  async #load(channelId: string): Promise<readonly WebhookCredentials[]> {
    const { repository } = this.#options;
    const pool = await repository.fetchPool(channelId);
    if (pool.length > 0) {
      this.#stats.redisHits += 1;
      return pool;
    }
    await this.#throwIfRecentlyRefused(channelId);
    this.#stats.discordLookups += 1;
    return this.#findOrCreate(channelId);
  }

  async #findOrCreate(channelId: string): Promise<readonly WebhookCredentials[]> {
    const { repository, lockTtlMs } = this.#options;
    for (let round = 0; round < MAX_LOCK_ROUNDS; round += 1) {
      const lockToken = await repository.tryAcquireLock(channelId, lockTtlMs);
      if (lockToken !== null) {
        try {
          // The previous holder may have finished between our read and our lock.
          const pool = await repository.fetchPool(channelId);
          return pool.length > 0 ? pool : await this.#adoptOrCreate(channelId);
        } finally {
          await repository.releaseLock(channelId, lockToken);
        }
      }
      const pool = await this.#waitForHolder(channelId, 0);
      if (pool.length > 0) return pool;
      // The holder failed; if Discord refused it for good, so it would refuse us.
      await this.#throwIfRecentlyRefused(channelId);
    }
    throw new ChorusError(
      ChorusErrorCode.WebhookUnavailable,
      'No webhook could be found or created in time',
      {
        channelId,
      },
    );
  }

  /**
   * Polls Redis with backoff while another worker holds the lock, until the pool holds more than `size` webhooks
   * (the holder created or grew it) or the holder let go; resolves to the pool then.
   */
  async #waitForHolder(channelId: string, size: number): Promise<readonly WebhookCredentials[]> {
    const { repository, lockTtlMs, now } = this.#options;
    const started = now();
    for (let delay = FIRST_POLL_MS; ; delay = Math.min(delay * 2, MAX_POLL_MS)) {
      await sleep(delay);
      const pool = await repository.fetchPool(channelId);
      if (pool.length > size) return pool;
      if (!(await repository.isLocked(channelId)) || now() - started > lockTtlMs) return pool;
    }
  }

  /** Under the lock: reuse our webhooks Discord already has, else create one. */
  async #adoptOrCreate(channelId: string): Promise<readonly WebhookCredentials[]> {
    const { api, applicationId, webhookName, poolLimit } = this.#options;
    let listed: ChannelWebhook[];
    try {
      listed = await api.listChannelWebhooks(channelId);
    } catch (error) {
      throw await this.#toUnavailable(channelId, error);
    }
    const usable = listed
      .filter((webhook) => webhook.applicationId === applicationId && webhook.token !== null)
      .map((webhook) => ({ id: webhook.id, token: webhook.token!, name: webhook.name }));
    const named = usable.filter((webhook) => webhook.name === webhookName);
    if (named.length > 0) return this.#adopt(channelId, named.slice(0, poolLimit));
    try {
      const created = await api.createWebhook(channelId, webhookName);
      await this.#options.repository.addToPool(channelId, [created]);
      this.#stats.webhooksCreated += 1;
      this.#log.info({ channelId, webhookId: created.id }, 'webhook created');
      return [created];
    } catch (error) {
      // 30007 with webhooks of our app under another name: use those rather than fail.
      if (classifyDiscordFailure(error)?.kind === 'max-webhooks' && usable.length > 0) {
        return this.#adopt(channelId, usable.slice(0, poolLimit));
      }
      throw await this.#toUnavailable(channelId, error);
    }
  }

  async #adopt(
    channelId: string,
    webhooks: ReadonlyArray<{ readonly id: string; readonly token: string }>,
  ): Promise<readonly WebhookCredentials[]> {
    const pool = webhooks.map(({ id, token }) => ({ id, token }));
    await this.#options.repository.addToPool(channelId, pool);
    this.#stats.webhooksAdopted += pool.length;
    this.#log.info({ channelId, webhookId: pool[0]?.id, count: pool.length }, 'webhooks reused');
    return pool;
  }

  async #grow(channelId: string): Promise<readonly WebhookCredentials[]> {
    const { repository, lockTtlMs, poolLimit } = this.#options;
    // Redis first: another worker may have grown the pool since this process last looked.
    let pool: readonly WebhookCredentials[] = await repository.fetchPool(channelId);
    if (pool.length > 0 && pool.length < poolLimit && !(await repository.isGrowthBlocked(channelId))) {
      const lockToken = await repository.tryAcquireLock(channelId, lockTtlMs);
      if (lockToken !== null) {
        try {
          pool = await repository.fetchPool(channelId);
          if (pool.length > 0 && pool.length < poolLimit) pool = await this.#addWebhook(channelId, pool);
        } finally {
          await repository.releaseLock(channelId, lockToken);
        }
      } else {
        // Someone else is creating or growing it: its result, rather than queueing up on the busy webhooks.
        pool = await this.#waitForHolder(channelId, pool.length);
      }
    }
    // Emptied meanwhile (a webhook was deleted): the normal lookup finds or creates one.
    if (pool.length === 0) {
      this.#pools.delete(channelId);
      return this.fetchPool(channelId);
    }
    this.#pools.set(channelId, { promise: Promise.resolve(pool), loadedAt: this.#options.now() });
    return pool;
  }

  /** Under the lock: one more webhook for a busy pool; on refusal, growth pauses for everyone. */
  async #addWebhook(
    channelId: string,
    pool: readonly WebhookCredentials[],
  ): Promise<readonly WebhookCredentials[]> {
    const { repository, api, webhookName } = this.#options;
    try {
      const created = await api.createWebhook(channelId, webhookName);
      await repository.addToPool(channelId, [created]);
      this.#stats.webhooksCreated += 1;
      this.#log.info({ channelId, webhookId: created.id, count: pool.length + 1 }, 'webhook pool grown');
      return [...pool, created];
    } catch (error) {
      this.#log.warn(
        { channelId, discordCode: findDiscordCode(error), err: error },
        'webhook pool cannot grow',
      );
      if (findUnavailableReason(classifyDiscordFailure(error)) !== null) {
        await repository.blockGrowth(channelId, this.#options.growthBlockedTtlMs);
      }
      return pool;
    }
  }

  async #throwIfRecentlyRefused(channelId: string): Promise<void> {
    const reason = await this.#options.repository.fetchUnavailableReason(channelId);
    if (reason !== null) {
      throw new WebhookUnavailableError(reason, 'Discord recently refused this channel a webhook', {
        channelId,
      });
    }
  }

  /** A permanent refusal becomes `WebhookUnavailableError` (remembered briefly); anything else is rethrown. */
  async #toUnavailable(channelId: string, error: unknown): Promise<unknown> {
    const reason = findUnavailableReason(classifyDiscordFailure(error));
    if (reason === null) return error;
    await this.#options.repository.markUnavailable(channelId, reason, this.#options.unavailableTtlMs);
    this.#log.warn({ channelId, discordCode: findDiscordCode(error), reason }, 'channel refused a webhook');
    return new WebhookUnavailableError(reason, 'Discord refused this channel a webhook', {
      channelId,
      discordCode: findDiscordCode(error),
      cause: error,
    });
  }
}
