/**
 * The webhook manager against the Discord sandbox and real Redis: what a channel ends up showing (names,
 * avatars, threads, DMs, pings, notices) and how the manager copes with Discord deleting or refusing things.
 * Several managers on separate Redis clients stand in for several worker processes.
 */
import { REST } from '@discordjs/rest';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DiscordSandbox, PermissionFlags } from '../../../sandbox/index.js';
import { createLogger } from '../../../src/log/index.js';
import { registerScripts } from '../../../src/redis/index.js';
import { fetchRedisScripts } from '../../../src/redis/redis-scripts.js';
import {
  type PostTarget,
  WebhookManager,
  type WebhookManagerOptionalOptions,
  type WebhookManagerRequiredOptions,
  WebhookMessages,
  WebhookUnavailableError,
  WebhookUnavailableReason,
} from '../../../src/webhooks/index.js';
import { buildWebhookChannelKey } from '../../../src/webhooks/keys.js';
import { createCapturedLogger } from '../../support/captured-logger.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const AVATAR = 'https://cdn.example.test/alice.png';
const ENCRYPTION_KEY = Buffer.alloc(32, 5);

describe('WebhookManager (sandbox)', () => {
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent' });
  const redisClients: Redis[] = [];
  let sandbox: DiscordSandbox;
  let guildId: string;
  let managerA: WebhookManager;
  let managerB: WebhookManager;

  /** A manager as one worker process would build it: its own REST client and Redis connection. */
  function createManager(
    options: Partial<WebhookManagerOptionalOptions & Pick<WebhookManagerRequiredOptions, 'logger'>> = {},
  ): WebhookManager {
    const redis = createTestRedis();
    redisClients.push(redis);
    return new WebhookManager({
      rest: new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token),
      redis,
      prefix,
      applicationId: sandbox.bot.applicationId,
      logger,
      encryptionKey: ENCRYPTION_KEY,
      ...options,
    });
  }

  function newChannel(name: string): { channelId: string; target: PostTarget } {
    const channelId = sandbox.createChannel(guildId, { name }).id;
    return { channelId, target: { channelId, parentChannelId: null, guildId } };
  }

  const say = (content: string) => ({ username: 'Alice', avatarUrl: AVATAR, content });

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    guildId = sandbox.createGuild({ name: 'Chorus test' }).id;
    managerA = createManager();
    managerB = createManager();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redisClients[0]!, prefix);
    for (const redis of redisClients) redis.disconnect();
    await sandbox.close();
  });

  describe('when a personality posts in a text channel', () => {
    it('shows its name and avatar on a webhook message', async () => {
      const { channelId, target } = newChannel('general');
      const posted = await managerA.postAsPersona(target, say('Hello there'));
      const [message] = sandbox.transcript(channelId);
      expect(message).toMatchObject({
        id: posted.messageId,
        authorName: 'Alice',
        avatarUrl: AVATAR,
        webhookId: posted.webhookId,
        content: 'Hello there',
      });
      expect(sandbox.webhooks(channelId)).toEqual([
        expect.objectContaining({
          id: posted.webhookId,
          name: 'Chorus',
          applicationId: sandbox.bot.applicationId,
        }),
      ]);
    });

    it('pings nobody, whatever the reply says', async () => {
      const { channelId, target } = newChannel('pings');
      const bob = sandbox.createUser({ username: 'bob' });
      sandbox.addMember(guildId, bob.id);
      const role = sandbox.createRole(guildId, { name: 'mods', mentionable: true });
      await managerA.postAsPersona(target, say(`@everyone @here <@${bob.id}> <@&${role.id}> <@123>`));
      expect(sandbox.transcript(channelId)[0]!.wouldPing).toEqual({ users: [], roles: [], everyone: false });
    });

    it('refuses content over the limit instead of truncating it', async () => {
      const { channelId, target } = newChannel('too-long');
      await expect(managerA.postAsPersona(target, say('x'.repeat(2001)))).rejects.toThrow(/split it first/);
      expect(sandbox.transcript(channelId)).toEqual([]);
    });
  });

  describe('when two workers race on a channel without a webhook', () => {
    it('creates one webhook that both use', async () => {
      const { channelId, target } = newChannel('race');
      const posts = await Promise.all(
        [managerA, managerB, managerA, managerB].map((manager, index) =>
          manager.postAsPersona(target, say(`m${index}`)),
        ),
      );
      expect(sandbox.webhooks(channelId)).toHaveLength(1);
      expect(new Set(posts.map((posted) => posted.webhookId)).size).toBe(1);
      expect(sandbox.transcript(channelId)).toHaveLength(4);
    });
  });

  describe('when an admin deletes the webhook mid-run', () => {
    it('recreates it once and loses no post', async () => {
      const { channelId, target } = newChannel('deleted');
      const first = await managerA.postAsPersona(target, say('before'));
      sandbox.faults.deleteWebhook(first.webhookId!);
      const second = await managerB.postAsPersona(target, say('after'));
      const third = await managerA.postAsPersona(target, say('later'));
      expect(second.webhookId).not.toBe(first.webhookId);
      expect(third.webhookId).toBe(second.webhookId);
      expect(sandbox.transcript(channelId).map((message) => message.content)).toEqual([
        'before',
        'after',
        'later',
      ]);
      expect(sandbox.webhooks(channelId)).toHaveLength(1);
    });
  });

  describe('when a channel is forgotten (deleted, or its guild left)', () => {
    it('keeps nothing of its pool in Redis or memory', async () => {
      const manager = createManager();
      const { channelId, target } = newChannel('forgotten');
      const { webhookId } = await manager.postAsPersona(target, say('before'));
      // The rate-limit buckets are left to their idle TTL.
      const keysOf = async () =>
        (await redisClients[0]!.keys(`${prefix}*${channelId}*`)).filter((key) => !key.includes('{rate}'));
      expect(await keysOf()).not.toEqual([]);
      await manager.forgetChannels([channelId]);
      expect(await keysOf()).toEqual([]);
      expect(await redisClients[0]!.exists(buildWebhookChannelKey(prefix, webhookId!))).toBe(0);
      // Memory forgot too: the next post asks Discord again (and reuses the webhook it finds there).
      const lookups = manager.stats().discordLookups;
      await manager.postAsPersona(target, say('after'));
      expect(manager.stats()).toMatchObject({ discordLookups: lookups + 1, webhooksAdopted: 1 });
    });
  });

  describe('when Discord fails with a 5xx', () => {
    it('retries with backoff and posts once', async () => {
      const { channelId, target } = newChannel('flaky');
      await managerA.postAsPersona(target, say('warm-up'));
      const fault = sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: /^\/webhooks\//,
        status: 502,
        times: 1,
      });
      await managerA.postAsPersona(target, say('through the storm'));
      expect(fault.hits).toBe(1);
      expect(sandbox.transcript(channelId).map((message) => message.content)).toEqual([
        'warm-up',
        'through the storm',
      ]);
    });
  });

  describe('when the bot lacks Manage Webhooks', () => {
    it('tells the channel once, and fails every post for good', async () => {
      const { channelId, target } = newChannel('no-perms');
      sandbox.setBotChannelPermissions(channelId, { deny: PermissionFlags.ManageWebhooks });
      const results = await Promise.allSettled(
        [managerA, managerB, managerA].map((manager) => manager.postAsPersona(target, say('hi'))),
      );
      for (const result of results) {
        expect(result.status).toBe('rejected');
        const error = (result as PromiseRejectedResult).reason as WebhookUnavailableError;
        expect(error).toBeInstanceOf(WebhookUnavailableError);
        expect(error.reason).toBe(WebhookUnavailableReason.MissingPermissions);
      }
      await managerB.postAsPersona(target, say('again')).catch(() => undefined);
      const transcript = sandbox.transcript(channelId);
      expect(transcript).toHaveLength(1);
      expect(transcript[0]).toMatchObject({ content: WebhookMessages.missingPermissions, webhookId: null });
    });
  });

  describe('when the channel already holds 15 webhooks', () => {
    it('tells the channel once when none is ours', async () => {
      const { channelId, target } = newChannel('full');
      // The sandbox only creates webhooks of our own app; Discord's answer to a 16th is injected instead.
      sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: new RegExp(`^/channels/${channelId}/webhooks$`),
        status: 400,
        body: { message: 'Maximum number of webhooks reached (15)', code: 30007 },
      });
      for (const manager of [managerA, managerB, managerA]) {
        await expect(manager.postAsPersona(target, say('hi'))).rejects.toMatchObject({
          reason: WebhookUnavailableReason.MaxWebhooks,
        });
      }
      expect(sandbox.transcript(channelId).map((message) => message.content)).toEqual([
        WebhookMessages.maxWebhooks,
      ]);
    });

    it("reuses the bot's own webhooks when they fill the channel", async () => {
      const { channelId, target } = newChannel('full-of-ours');
      const admin = new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token);
      for (let index = 0; index < 15; index += 1) {
        await admin.post(`/channels/${channelId}/webhooks`, { body: { name: `Legacy ${index}` } });
      }
      const posted = await managerA.postAsPersona(target, say('still here'));
      expect(sandbox.webhooks(channelId).map((webhook) => webhook.id)).toContain(posted.webhookId);
      expect(sandbox.transcript(channelId)).toEqual([expect.objectContaining({ content: 'still here' })]);
    });
  });

  describe('when a personality posts in a thread', () => {
    it("goes through the parent's webhook with thread_id", async () => {
      const { channelId } = newChannel('with-threads');
      const threadId = sandbox.createThread(channelId, { name: 'topic' }).id;
      const posted = await managerA.postAsPersona(
        { channelId: threadId, parentChannelId: channelId, guildId },
        say('in the thread'),
      );
      expect(sandbox.transcript(threadId)).toEqual([
        expect.objectContaining({
          content: 'in the thread',
          threadId,
          authorName: 'Alice',
          webhookId: posted.webhookId,
        }),
      ]);
      expect(sandbox.transcript(channelId)).toEqual([]);
      expect(sandbox.webhooks(channelId).map((webhook) => webhook.id)).toEqual([posted.webhookId]);
    });

    it('edits and deletes its reply there', async () => {
      const { channelId } = newChannel('thread-edits');
      const threadId = sandbox.createThread(channelId, { name: 'topic' }).id;
      const posted = await managerA.postAsPersona(
        { channelId: threadId, parentChannelId: channelId, guildId },
        say('draft'),
      );
      await managerB.editPosted(threadId, posted.messageId, 'final @everyone');
      expect(sandbox.transcript(threadId)[0]).toMatchObject({
        content: 'final @everyone',
        wouldPing: { users: [], roles: [], everyone: false },
      });
      await managerB.deletePosted(threadId, posted.messageId);
      expect(sandbox.transcript(threadId)).toEqual([]);
      await managerA.deletePosted(threadId, posted.messageId);
    });
  });

  describe('when a streamed reply edits its own message', () => {
    it('edits through the webhook that posted it, spaced by the message bucket, never drawing a 429', async () => {
      const { channelId, target } = newChannel('stream-edits');
      const posted = await managerA.postAsPersona(target, say('draft'));
      const before = sandbox.stats().rateLimited;
      // Twelve edits from two workers at once: the bucket allows 5 per 2 s per webhook, so they take > 2 s.
      const started = Date.now();
      await Promise.all(
        Array.from({ length: 12 }, (_, index) =>
          (index % 2 === 0 ? managerA : managerB).editPersonaMessage(target, posted, `edit ${index} @here`),
        ),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
      expect(sandbox.stats().rateLimited).toBe(before);
      const [message] = sandbox.transcript(channelId);
      expect(message?.edits).toHaveLength(12);
      expect(message?.wouldPing).toEqual({ users: [], roles: [], everyone: false });
      // Edits took no slot of the channel's message budget, and no bot-token lookup was needed.
      const routes = sandbox.requestLog
        .filter((entry) => entry.path.includes(posted.messageId))
        .map((entry) => entry.route);
      expect(new Set(routes)).toEqual(new Set(['PATCH /webhooks/:id/:token/messages/:id']));
    });

    it('deletes it through its webhook, in a thread too, and a second delete is no error', async () => {
      const { channelId } = newChannel('stream-deletes');
      const threadId = sandbox.createThread(channelId, { name: 'topic' }).id;
      const target = { channelId: threadId, parentChannelId: channelId, guildId };
      const posted = await managerA.postAsPersona(target, say('partial'));
      await managerB.editPersonaMessage(target, posted, 'partial, longer');
      expect(sandbox.transcript(threadId)[0]?.content).toBe('partial, longer');
      await managerB.deletePersonaMessage(target, posted);
      expect(sandbox.transcript(threadId)).toEqual([]);
      await managerA.deletePersonaMessage(target, posted);
    });
  });

  describe('when a personality answers in a DM', () => {
    it('posts as the bot with a **Name:** prefix', async () => {
      const user = sandbox.createUser({ username: 'dm-user' });
      const dmId = sandbox.openDm(user.id).id;
      const posted = await managerA.postAsPersona(
        { channelId: dmId, parentChannelId: null, guildId: null },
        say('hello @everyone'),
      );
      expect(posted.webhookId).toBeNull();
      expect(sandbox.transcript(dmId)).toEqual([
        expect.objectContaining({
          id: posted.messageId,
          content: '**Alice:** hello @everyone',
          webhookId: null,
          wouldPing: { users: [], roles: [], everyone: false },
        }),
      ]);
    });
  });

  describe('when the worker checks what it already posted', () => {
    it('finds our webhook message among the recent ones', async () => {
      const { channelId, target } = newChannel('exactly-once');
      const user = sandbox.createUser({ username: 'asker' });
      sandbox.addMember(guildId, user.id);
      const asked = sandbox.userSays(user.id, channelId, 'question');
      const posted = await managerA.postAsPersona(target, say('answer'));
      const [recent, ours] = await Promise.all([
        managerB.fetchRecentMessages(channelId, { limit: 10, after: asked.id }),
        managerB.fetchOwnWebhookIds(channelId),
      ]);
      expect(recent).toEqual([
        expect.objectContaining({
          id: posted.messageId,
          webhookId: posted.webhookId,
          content: 'answer',
          authorIsBot: false,
        }),
      ]);
      expect(ours).toEqual([posted.webhookId]);
    });
  });

  describe('when the check of a waited-for slot comes back late', () => {
    it('counts the check itself as lateness, so the stale slot is given back and a fresh one taken', async () => {
      const { channelId, target } = newChannel('late-check');
      const log = createCapturedLogger();
      // The worker's clock jumps 100 ms once, while the first block check is in flight (a stalled event
      // loop, a slow Redis): the send would leave well past the 15 ms of lateness its slot allows.
      let skewMs = 0;
      const manager = createManager({
        logger: log.logger,
        now: () => Date.now() + skewMs,
        webhooksPerChannel: 1,
      });
      // The block check reads its bucket's, channel's and the fleet's blocks in one readSlot call.
      const redis = redisClients.at(-1)!;
      registerScripts(redis, fetchRedisScripts());
      type ReadSlot = (...params: Array<string | number>) => Promise<unknown>;
      const scripts = redis as unknown as Record<'chorus:readSlot', ReadSlot>;
      const readSlot = scripts['chorus:readSlot'].bind(redis);
      vi.spyOn(scripts, 'chorus:readSlot').mockImplementation((...params) => {
        if (params.includes('blockedUntil')) skewMs = 100;
        return readSlot(...params);
      });

      // The webhook's bucket holds 5 sends per 2 s: the sixth waits for the next window, then checks it.
      const contents = ['1', '2', '3', '4', '5', '6, after waiting for the window'];
      for (const content of contents) await manager.postAsPersona(target, say(content));

      // The check did run (else the clock never jumped and only real lateness could pass this test).
      expect(skewMs).toBe(100);
      // At least the skewed one: on a loaded machine a send may also leave late for real.
      expect(
        log.records.filter((record) => record['msg'] === 'send slot went stale; taking another').length,
      ).toBeGreaterThanOrEqual(1);
      expect(sandbox.transcript(channelId).map((message) => message.content)).toEqual(contents);
    });
  });

  describe('stats', () => {
    it('counts cache hits, lookups and posts', () => {
      const stats = managerA.stats();
      expect(stats.posted).toBeGreaterThan(5);
      expect(stats.memoryHits).toBeGreaterThan(0);
      expect(stats.discordLookups).toBeGreaterThan(0);
      // Each process learns of the deleted webhook from its own 404, then reads the replacement from Redis.
      expect([stats.webhooksInvalidated, managerB.stats().webhooksInvalidated]).toEqual([1, 1]);
      expect(stats.noticesPosted + managerB.stats().noticesPosted).toBe(2);
    });
  });
});
