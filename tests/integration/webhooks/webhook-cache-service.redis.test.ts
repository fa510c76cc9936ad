/**
 * The webhook pool cache on real Redis: the find-or-create lock across processes (two services on separate
 * Redis clients stand in for two workers), in-flight sharing, eviction of failures, reuse after a restart, and
 * Discord's refusals. Discord itself is an in-memory fake behind the `ChannelWebhookApi` seam; the end-to-end
 * tests run the same paths against the sandbox.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordAPIError, HTTPError } from '@discordjs/rest';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher } from '../../../src/crypto/index.js';
import { createLogger } from '../../../src/log/index.js';
import type { ChannelWebhook, ChannelWebhookApi } from '../../../src/webhooks/discord-webhook-client.js';
import { WebhookCacheService } from '../../../src/webhooks/webhook-cache-service.js';
import { type WebhookCredentials, WebhookRepository } from '../../../src/webhooks/webhook-repository.js';
import {
  WebhookUnavailableError,
  WebhookUnavailableReason,
} from '../../../src/webhooks/webhook-unavailable-error.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const APP_ID = '500000000000000001';
const OTHER_APP_ID = '500000000000000002';

/** A channel's webhooks as Discord would keep them, with call counters and an artificial create latency. */
class FakeDiscord implements ChannelWebhookApi {
  readonly webhooks = new Map<string, ChannelWebhook[]>();
  lists = 0;
  creates = 0;
  nextId = 900_000_000_000_000_000n;
  createDelayMs = 30;
  failNext: Error | null = null;

  async listChannelWebhooks(channelId: string): Promise<ChannelWebhook[]> {
    this.lists += 1;
    this.#maybeFail();
    return [...(this.webhooks.get(channelId) ?? [])];
  }

  async createWebhook(channelId: string, name: string): Promise<WebhookCredentials> {
    this.creates += 1;
    await sleep(this.createDelayMs);
    this.#maybeFail();
    const existing = this.webhooks.get(channelId) ?? [];
    if (existing.length >= 15) {
      throw discordError(400, 30007);
    }
    this.nextId += 1n;
    const webhook = { id: String(this.nextId), name, token: `token-${this.nextId}`, applicationId: APP_ID };
    this.webhooks.set(channelId, [...existing, webhook]);
    return { id: webhook.id, token: webhook.token };
  }

  #maybeFail(): void {
    const failure = this.failNext;
    this.failNext = null;
    if (failure !== null) throw failure;
  }
}

function discordError(status: number, code: number): DiscordAPIError {
  return new DiscordAPIError({ code, message: `code ${code}` }, code, status, 'POST', '/x', {
    body: undefined,
  });
}

describe('WebhookCacheService', () => {
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent' });
  const cipher = new CredentialCipher({
    encryptionKey: Buffer.alloc(32, 5),
    previousEncryptionKey: undefined,
  });
  let redisA: Redis;
  let redisB: Redis;
  let discord: FakeDiscord;
  let channelCounter = 0;

  function newChannel(): string {
    channelCounter += 1;
    return `7000000000000000${String(channelCounter).padStart(2, '0')}`;
  }

  function createService(
    redis: Redis,
    overrides: { poolLimit?: number; maxCachedPools?: number } = {},
  ): WebhookCacheService {
    return new WebhookCacheService({
      api: discord,
      repository: new WebhookRepository(redis, { prefix, cipher, logger }),
      applicationId: APP_ID,
      webhookName: 'Chorus',
      poolLimit: overrides.poolLimit ?? 2,
      lockTtlMs: 2000,
      memoryTtlMs: 60_000,
      maxCachedPools: overrides.maxCachedPools ?? 10_000,
      unavailableTtlMs: 30_000,
      growthBlockedTtlMs: 60_000,
      now: () => Date.now(),
      logger,
    });
  }

  beforeAll(() => {
    redisA = createTestRedis();
    redisB = createTestRedis();
  });

  afterEach(async () => {
    await deleteKeysWithPrefix(redisA, prefix);
  });

  afterAll(() => {
    redisA.disconnect();
    redisB.disconnect();
  });

  describe('when two workers race on a channel without a webhook', () => {
    it('creates one webhook, and both use it', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const workerA = createService(redisA);
      const workerB = createService(redisB);
      const pools = await Promise.all([
        workerA.fetchPool(channelId),
        workerB.fetchPool(channelId),
        workerA.fetchPool(channelId),
        workerB.fetchPool(channelId),
      ]);
      expect(discord.creates).toBe(1);
      expect(new Set(pools.map((pool) => pool.map((webhook) => webhook.id).join()))).toHaveLength(1);
      expect(workerA.stats().memoryHits + workerB.stats().memoryHits).toBe(2);
    });
  });

  describe('when many callers in one process ask at once', () => {
    it('shares one lookup', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const service = createService(redisA);
      await Promise.all(Array.from({ length: 10 }, () => service.fetchPool(channelId)));
      expect(discord.lists).toBe(1);
      expect(service.stats()).toMatchObject({ memoryHits: 9, discordLookups: 1, webhooksCreated: 1 });
    });
  });

  describe('when a lookup fails', () => {
    it('does not cache the failure', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const service = createService(redisA);
      discord.failNext = new HTTPError(502, 'Bad Gateway', 'GET', '/x', { body: undefined });
      await expect(service.fetchPool(channelId)).rejects.toBeInstanceOf(HTTPError);
      await expect(service.fetchPool(channelId)).resolves.toHaveLength(1);
    });
  });

  describe('after a restart (Redis forgot, Discord did not)', () => {
    it("reuses the bot's own webhooks and ignores others", async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      discord.webhooks.set(channelId, [
        { id: '800000000000000001', name: 'Chorus', token: 't1', applicationId: OTHER_APP_ID },
        { id: '800000000000000002', name: 'Other', token: 't2', applicationId: APP_ID },
        { id: '800000000000000003', name: 'Chorus', token: 't3', applicationId: APP_ID },
      ]);
      const service = createService(redisA);
      expect(await service.fetchPool(channelId)).toEqual([{ id: '800000000000000003', token: 't3' }]);
      expect(discord.creates).toBe(0);
      expect(service.stats().webhooksAdopted).toBe(1);
    });
  });

  describe('when the channel already holds 15 webhooks', () => {
    it('falls back to one of our application under another name', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const foreign = Array.from({ length: 14 }, (_, index) => ({
        id: String(810_000_000_000_000_000n + BigInt(index)),
        name: 'Foreign',
        token: `f${index}`,
        applicationId: OTHER_APP_ID,
      }));
      discord.webhooks.set(channelId, [
        ...foreign,
        { id: '820000000000000000', name: 'Renamed', token: 'ours', applicationId: APP_ID },
      ]);
      expect(await createService(redisA).fetchPool(channelId)).toEqual([
        { id: '820000000000000000', token: 'ours' },
      ]);
    });

    it('refuses with MaxWebhooks when none is ours, and remembers it briefly', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      discord.webhooks.set(
        channelId,
        Array.from({ length: 15 }, (_, index) => ({
          id: String(830_000_000_000_000_000n + BigInt(index)),
          name: 'Foreign',
          token: `f${index}`,
          applicationId: OTHER_APP_ID,
        })),
      );
      const service = createService(redisA);
      const error = await service.fetchPool(channelId).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WebhookUnavailableError);
      expect((error as WebhookUnavailableError).reason).toBe(WebhookUnavailableReason.MaxWebhooks);
      const listsBefore = discord.lists;
      await expect(createService(redisB).fetchPool(channelId)).rejects.toBeInstanceOf(
        WebhookUnavailableError,
      );
      expect(discord.lists).toBe(listsBefore);
    });
  });

  describe('when the bot lacks Manage Webhooks', () => {
    it('refuses with MissingPermissions', async () => {
      discord = new FakeDiscord();
      discord.failNext = discordError(403, 50013);
      const error = await createService(redisA)
        .fetchPool(newChannel())
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({
        reason: WebhookUnavailableReason.MissingPermissions,
        context: { discordCode: 50013 },
      });
    });
  });

  describe('when a webhook is invalidated', () => {
    it('forgets it in every worker and finds another', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const workerA = createService(redisA);
      const workerB = createService(redisB);
      const [first] = await workerA.fetchPool(channelId);
      discord.webhooks.set(channelId, []);
      await workerA.invalidate(channelId, first!.id);
      const [second] = await workerB.fetchPool(channelId);
      expect(second!.id).not.toBe(first!.id);
      expect(await workerA.fetchPool(channelId)).toEqual([second]);
      expect(workerA.stats().webhooksInvalidated).toBe(1);
    });
  });

  describe('when a busy channel grows its pool', () => {
    it('adds webhooks up to the limit, once even when asked concurrently', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const service = createService(redisA, { poolLimit: 2 });
      await service.fetchPool(channelId);
      const grown = await Promise.all([service.growPool(channelId), service.growPool(channelId)]);
      expect(grown[0]).toHaveLength(2);
      expect(await service.growPool(channelId)).toHaveLength(2);
      expect(discord.creates).toBe(2);
      expect(await createService(redisB).fetchPool(channelId)).toHaveLength(2);
    });

    it('stops asking after Discord refuses another webhook', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      const service = createService(redisA, { poolLimit: 3 });
      await service.fetchPool(channelId);
      discord.failNext = discordError(400, 30007);
      expect(await service.growPool(channelId)).toHaveLength(1);
      expect(await service.growPool(channelId)).toHaveLength(1);
      expect(discord.creates).toBe(2);
    });
  });

  describe('when more channels are used than the memory keeps', () => {
    it('drops the least recently used pool and re-reads it from Redis', async () => {
      discord = new FakeDiscord();
      const [first, second, third] = [newChannel(), newChannel(), newChannel()];
      const service = createService(redisA, { maxCachedPools: 2 });
      await service.fetchPool(first);
      await service.fetchPool(second);
      await service.fetchPool(first);
      await service.fetchPool(third);
      expect(service.stats()).toMatchObject({ memoryHits: 1, redisHits: 0, discordLookups: 3 });
      // `second` was the least recently used when `third` came in.
      await service.fetchPool(second);
      expect(service.stats()).toMatchObject({ memoryHits: 1, redisHits: 1 });
      await service.fetchPool(first);
      expect(service.stats()).toMatchObject({ memoryHits: 1, redisHits: 2 });
      expect(discord.creates).toBe(3);
    });
  });

  describe('when channels are forgotten', () => {
    it('drops them from Redis and memory, and a later post finds a webhook again', async () => {
      discord = new FakeDiscord();
      const [gone, kept] = [newChannel(), newChannel()];
      const service = createService(redisA);
      const [webhook] = await service.fetchPool(gone);
      await service.fetchPool(kept);
      discord.webhooks.set(gone, []);
      await service.forgetChannels([gone]);
      expect(await new WebhookRepository(redisB, { prefix, cipher, logger }).fetchPool(gone)).toEqual([]);
      const [again] = await service.fetchPool(gone);
      expect(again!.id).not.toBe(webhook!.id);
      await service.fetchPool(kept);
      expect(service.stats()).toMatchObject({ memoryHits: 1, discordLookups: 3 });
    });
  });

  describe('fetchOwnWebhookIds', () => {
    it('lists our webhooks without creating one', async () => {
      discord = new FakeDiscord();
      const channelId = newChannel();
      discord.webhooks.set(channelId, [
        { id: '840000000000000001', name: 'Renamed', token: 't', applicationId: APP_ID },
        { id: '840000000000000002', name: 'Chorus', token: 't', applicationId: OTHER_APP_ID },
      ]);
      expect(await createService(redisA).fetchOwnWebhookIds(channelId)).toEqual(['840000000000000001']);
      expect(discord.creates).toBe(0);
    });
  });
});
