/**
 * The webhook manager's rate limiting against the sandbox's real Discord limits (5 executes per webhook per
 * window, 50 unauthenticated requests per second), with windows shortened by `timeScale` so the run stays short.
 * Four managers on separate Redis clients stand in for four worker processes on one IP.
 */
import { REST } from '@discordjs/rest';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { createLogger } from '../../../src/log/index.js';
import { type PostTarget, WebhookManager } from '../../../src/webhooks/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

/**
 * Discord's windows at a quarter of their length: 5 executes per 500 ms per webhook, 50 per 250 ms globally.
 * Shorter windows make the run shorter but also make the same event-loop stall (the sandbox shares this process
 * and these cores) a larger share of a window.
 */
const TIME_SCALE = 0.25;

describe('WebhookManager rate limits (sandbox)', () => {
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent' });
  const redisClients: Redis[] = [];
  let sandbox: DiscordSandbox;
  let guildId: string;
  let managers: WebhookManager[];

  function createManager(webhooksPerChannel = 2): WebhookManager {
    const redis = createTestRedis();
    redisClients.push(redis);
    return new WebhookManager({
      rest: new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token),
      redis,
      prefix,
      applicationId: sandbox.bot.applicationId,
      logger,
      encryptionKey: Buffer.alloc(32, 5),
      webhooksPerChannel,
      // Discord's 50/s global limit, scaled like its windows, with headroom for sends arriving late.
      globalRatePerSecond: 40 / TIME_SCALE,
      bucketDefaults: { limit: 5, windowMs: 2000 * TIME_SCALE },
      // Room for a send to reach the sandbox late: it shares this process (and two busy cores) with the workers.
      rateLimitMarginMs: 100,
      // Off on both sides: these floods post 60 messages into one channel to load the webhook buckets, which
      // Discord's per-channel limit would hide (busy-channel.serial.test.ts covers that limit).
      channelBudget: null,
    });
  }

  function newTarget(name: string): PostTarget {
    return { channelId: sandbox.createChannel(guildId, { name }).id, parentChannelId: null, guildId };
  }

  const say = (content: string) => ({ username: 'Alice', avatarUrl: null, content });

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start({
      rateLimits: { timeScale: TIME_SCALE, webhookChannelPerWindow: null },
    });
    guildId = sandbox.createGuild({ name: 'Busy guild' }).id;
    managers = [createManager(), createManager(), createManager(), createManager()];
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redisClients[0]!, prefix);
    for (const redis of redisClients) redis.disconnect();
    await sandbox.close();
  });

  describe('when four workers flood one channel', () => {
    it('posts everything through a grown pool without a single 429', async () => {
      const target = newTarget('flood');
      const before = sandbox.stats().rateLimited;
      const posts = await Promise.all(
        managers.flatMap((manager, worker) =>
          Array.from({ length: 15 }, (_, index) =>
            manager.postAsPersona(target, say(`w${worker} #${index}`)),
          ),
        ),
      );
      expect(sandbox.stats().rateLimited - before).toBe(0);
      expect(sandbox.transcript(target.channelId)).toHaveLength(60);
      expect(new Set(posts.map((posted) => posted.webhookId)).size).toBe(2);
      expect(sandbox.webhooks(target.channelId)).toHaveLength(2);
      expect(managers.reduce((sum, manager) => sum + manager.stats().rateLimited, 0)).toBe(0);
    });
  });

  describe('when four workers post into many channels at once', () => {
    it('keeps the fleet under the global limit without a single 429', async () => {
      const targets = Array.from({ length: 16 }, (_, index) => newTarget(`wide-${index}`));
      const before = sandbox.stats().rateLimited;
      await Promise.all(
        targets.flatMap((target, channel) =>
          managers.flatMap((manager, worker) =>
            [0, 1].map((index) => manager.postAsPersona(target, say(`c${channel} w${worker} #${index}`))),
          ),
        ),
      );
      expect(sandbox.stats().rateLimited - before).toBe(0);
      for (const target of targets) expect(sandbox.transcript(target.channelId)).toHaveLength(8);
    });
  });

  describe('when four workers share one webhook', () => {
    it('posts everything through it without a single 429', async () => {
      // Most responses then match what the reservations counted and go unrecorded: the reservations alone must
      // keep the workers apart.
      const sharing = [createManager(1), createManager(1), createManager(1), createManager(1)];
      const target = newTarget('one-webhook');
      const before = sandbox.stats().rateLimited;
      await Promise.all(
        sharing.flatMap((manager, worker) =>
          Array.from({ length: 8 }, (_, index) => manager.postAsPersona(target, say(`w${worker} #${index}`))),
        ),
      );
      expect(sandbox.stats().rateLimited - before).toBe(0);
      expect(sandbox.transcript(target.channelId)).toHaveLength(32);
      expect(sandbox.webhooks(target.channelId)).toHaveLength(1);
    });
  });

  describe('when Discord answers a storm of 429s', () => {
    it('loses no post and sees only the injected 429s', async () => {
      const target = newTarget('storm');
      await managers[0]!.postAsPersona(target, say('warm-up'));
      const before = sandbox.stats().rateLimited;
      const countedBefore = managers.map((manager) => manager.stats());
      const bucketStorm = sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: /^\/webhooks\//,
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 0.1, global: false },
        times: 4,
      });
      const globalStorm = sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: /^\/webhooks\//,
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 0.1, global: true },
        times: 2,
      });
      await Promise.all(
        managers.flatMap((manager, worker) =>
          [0, 1, 2].map((index) => manager.postAsPersona(target, say(`w${worker} #${index}`))),
        ),
      );
      expect(bucketStorm.hits + globalStorm.hits).toBe(6);
      expect(sandbox.stats().rateLimited - before).toBe(6);
      expect(sandbox.transcript(target.channelId)).toHaveLength(13);
      const counted = managers.map((manager, index) => {
        const { rateLimited, globalRateLimited } = manager.stats();
        const earlier = countedBefore[index]!;
        return {
          rateLimited: rateLimited - earlier.rateLimited,
          global: globalRateLimited - earlier.globalRateLimited,
        };
      });
      expect(counted.reduce((sum, { rateLimited }) => sum + rateLimited, 0)).toBe(6);
      expect(counted.reduce((sum, { global }) => sum + global, 0)).toBe(2);
    });
  });
});
