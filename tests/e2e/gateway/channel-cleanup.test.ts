/**
 * The gateway forgetting channels that went, in-process against the Discord sandbox and real Redis: a real
 * discord.js Client receives CHANNEL_DELETE, THREAD_DELETE and GUILD_DELETE; the GatewayService removes the
 * activations and channel records itself and queues a `forget-channels` task for the worker (no worker runs
 * here: the task waits in the queue, where the test reads it).
 */
import { once } from 'node:events';
import { Job } from 'bullmq';
import type { Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { ChannelCleanup } from '../../../src/gateway/channel-cleanup.js';
import { createDiscordClient } from '../../../src/gateway/discord-client.js';
import { GatewayService } from '../../../src/gateway/gateway-service.js';
import { MessageRouter } from '../../../src/gateway/message-router.js';
import { WindowRecorder } from '../../../src/gateway/window-recorder.js';
import {
  DefaultGuildSettings,
  GuildSettingsRepository,
  PolicyNoticeRepository,
} from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import { ReplyAdmission } from '../../../src/queue/index.js';
import {
  ActivationRepository,
  ChannelActivityRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { createTaskQueue, type TaskJob, type TaskQueue } from '../../../src/tasks/index.js';
import { buildTestEnv } from '../../support/env.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const LATEST = '1574419278348681217';

describe('the gateway, when channels and guilds go', () => {
  const redis = createTestRedis();
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent', service: 'test-gateway' });
  const activations = new ActivationRepository(redis, { prefix });
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  const guildSettings = new GuildSettingsRepository(redis, { prefix, logger });
  const channelWindows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
  let sandbox: DiscordSandbox;
  let admission: ReplyAdmission;
  let tasks: TaskQueue;
  let client: Client;
  let service: GatewayService;
  let correlation = 0;

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    admission = new ReplyAdmission(redis, { prefix, logger, limits: loadConfig(buildTestEnv()).limits });
    tasks = createTaskQueue(redis, { prefix, logger });
    const router = new MessageRouter(
      {
        personalities: new PersonalityRepository(redis, { prefix }),
        activations,
        messageIndex: new MessageIndexRepository(redis, { prefix }),
        dmSticky: new DmStickyRepository(redis, { prefix }),
        messageEvents: new MessageEventRepository(redis, { prefix }),
        guildSettings: new GuildSettingsRepository(redis, { prefix, logger }),
        policyNotices: new PolicyNoticeRepository(redis, { prefix }),
        admission,
        logger,
      },
      { maxPersonalitiesPerMessage: 3, now: Date.now, newCorrelationId: () => `corr-${++correlation}` },
    );
    client = createDiscordClient(loadConfig(buildTestEnv({ DISCORD_API_URL: sandbox.restUrl })));
    service = new GatewayService({
      client,
      router,
      channelActivity,
      channelCleanup: new ChannelCleanup({
        activations,
        channelActivity,
        channelWindows,
        guildSettings,
        tasks,
        newCorrelationId: () => `corr-${++correlation}`,
        logger,
      }),
      window: new WindowRecorder({
        windows: channelWindows,
        ownIdentity: () => ({ applicationId: sandbox.bot.applicationId, botUserId: sandbox.bot.userId }),
        logger,
      }),
      interactions: null,
      logger,
    });
    service.listen();
    const ready = once(client, 'clientReady');
    await client.login(sandbox.bot.token);
    await ready;
  });

  afterAll(async () => {
    await service.close(1000);
    await client.destroy();
    await tasks.close();
    await admission.close();
    await sandbox.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  /** A guild with two channels, a thread under the first, each activated, with a latest message and a window. */
  async function buildGuild(name: string) {
    const guild = sandbox.createGuild({ name });
    const first = sandbox.createChannel(guild.id, { name: 'first' });
    const second = sandbox.createChannel(guild.id, { name: 'second' });
    const thread = sandbox.createThread(first.id, { name: 'thread' });
    const ids = [first.id, second.id, thread.id];
    await vi.waitFor(() => expect(ids.every((id) => client.channels.cache.has(id))).toBe(true));
    for (const channelId of ids) {
      await activations.activate({
        guildId: guild.id,
        channelId,
        personalityId: 'alicepersona',
        activatedBy: '100000000000000001',
      });
      await channelActivity.recordLatest(channelId, LATEST);
      await channelWindows.markLiveAndAppend(channelId, {
        id: LATEST,
        at: Date.now(),
        name: 'Alice',
        content: 'hello',
        replyToId: null,
        personalityId: null,
        userId: '100000000000000001',
      });
    }
    await guildSettings.update(guild.id, (current) => ({ ...current, blockedNames: ['mods'] }));
    return { guildId: guild.id, first: first.id, second: second.id, thread: thread.id };
  }

  async function isForgotten(channelId: string): Promise<boolean> {
    return (
      (await activations.fetchForChannel(channelId)) === null &&
      (await channelActivity.fetchLatest(channelId)) === null &&
      (await channelWindows.fetchRecent(channelId, { limit: 100, sinceMs: 0 })).length === 0
    );
  }

  async function queuedChannels(sourceId: string): Promise<string[] | null> {
    const job = await Job.fromId<TaskJob>(tasks, `forget-channels-${sourceId}-0`);
    return job?.data.kind === 'forget-channels' ? job.data.channelIds : null;
  }

  describe('when a thread is deleted', () => {
    it('forgets the thread only, and asks the worker to forget its webhook state', async () => {
      const guild = await buildGuild('threads');
      sandbox.deleteChannel(guild.thread);
      await vi.waitFor(async () => expect(await queuedChannels(guild.thread)).toEqual([guild.thread]));
      expect(await isForgotten(guild.thread)).toBe(true);
      expect(await isForgotten(guild.first)).toBe(false);
    });
  });

  describe('when a channel is deleted', () => {
    it('forgets it and its threads, and asks the worker to forget their webhook state', async () => {
      const guild = await buildGuild('channels');
      sandbox.deleteChannel(guild.first);
      await vi.waitFor(async () =>
        expect(await queuedChannels(guild.first)).toEqual([guild.first, guild.thread].sort()),
      );
      expect(await isForgotten(guild.first)).toBe(true);
      expect(await isForgotten(guild.thread)).toBe(true);
      expect(await isForgotten(guild.second)).toBe(false);
      expect(
        (await activations.listForGuild(guild.guildId)).map((activation) => activation.channelId),
      ).toEqual([guild.second]);
    });
  });

  describe('when a guild only becomes unavailable (an outage)', () => {
    it('forgets nothing', async () => {
      const guild = await buildGuild('outage');
      const unavailable = once(client, 'guildUnavailable');
      sandbox.removeBotFromGuild(guild.guildId, { outage: true });
      await unavailable;
      // Anything the gateway did would be queued by now: the same event loop turn handles both.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await queuedChannels(guild.guildId)).toBeNull();
      for (const channelId of [guild.first, guild.second, guild.thread])
        expect(await isForgotten(channelId)).toBe(false);
      expect((await guildSettings.fetch(guild.guildId)).blockedNames).toEqual(['mods']);
    });
  });

  describe('when the bot leaves a guild', () => {
    it('forgets its settings, all its channels and threads, and no other guild’s', async () => {
      const kept = await buildGuild('kept');
      const left = await buildGuild('left');
      sandbox.removeBotFromGuild(left.guildId);
      await vi.waitFor(async () =>
        expect(await queuedChannels(left.guildId)).toEqual([left.first, left.second, left.thread].sort()),
      );
      for (const channelId of [left.first, left.second, left.thread])
        expect(await isForgotten(channelId)).toBe(true);
      expect(await activations.listForGuild(left.guildId)).toEqual([]);
      expect(await guildSettings.fetch(left.guildId)).toEqual(DefaultGuildSettings);
      for (const channelId of [kept.first, kept.second, kept.thread])
        expect(await isForgotten(channelId)).toBe(false);
      expect((await guildSettings.fetch(kept.guildId)).blockedNames).toEqual(['mods']);
    });
  });
});
