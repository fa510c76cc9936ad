import { once } from 'node:events';
import { ChannelType, Client, GatewayIntentBits, type Message, Partials } from 'discord.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { shardForGuild } from '../../../src/discord/index.js';
import { collectEvents, loginClient, nextEvent } from './discord-client.js';

describe('DiscordSandbox gateway', () => {
  let sandbox: DiscordSandbox;
  let guildId: string;
  let channelId: string;
  let forumId: string;
  let threadId: string;
  let aliceId: string;
  const clients: Client[] = [];

  const login = async (...args: Parameters<typeof loginClient> extends [unknown, ...infer R] ? R : never) => {
    const client = await loginClient(sandbox, ...args);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    guildId = sandbox.createGuild({ name: 'Guild' }).id;
    channelId = sandbox.createChannel(guildId, { name: 'general' }).id;
    forumId = sandbox.createChannel(guildId, { name: 'stories', type: 'forum' }).id;
    threadId = sandbox.createThread(channelId, { name: 'side talk' }).id;
    aliceId = sandbox.createUser({ username: 'alice', globalName: 'Alice' }).id;
    sandbox.addMember(guildId, aliceId);
  });

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.destroy()));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  describe('when a discord.js Client logs in', () => {
    it('fills the guild, channel, thread and role caches from READY and GUILD_CREATE', async () => {
      const client = await login();
      expect(client.user?.id).toBe(sandbox.bot.userId);
      expect(client.application?.id).toBe(sandbox.bot.applicationId);
      const guild = client.guilds.cache.get(guildId);
      expect(guild?.available).toBe(true);
      expect(guild?.name).toBe('Guild');
      expect(client.channels.cache.get(channelId)?.type).toBe(ChannelType.GuildText);
      expect(client.channels.cache.get(forumId)?.type).toBe(ChannelType.GuildForum);
      const thread = client.channels.cache.get(threadId);
      expect(thread?.isThread() && thread.parentId).toBe(channelId);
      expect(guild?.members.me?.permissions.has('ManageWebhooks')).toBe(true);
    });

    it('refuses a wrong token before connecting (GET /gateway/bot answers 401)', async () => {
      const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: sandbox.restUrl } });
      clients.push(client);
      await expect(client.login('not-the-token')).rejects.toThrow(/token/i);
    });
  });

  describe('when the application has not switched MESSAGE_CONTENT on', () => {
    it('refuses the intent with 4014 and gates REST reads', async () => {
      const strict = await DiscordSandbox.start({ enabledPrivilegedIntents: 0 });
      try {
        const strictGuild = strict.createGuild({ name: 'Strict' }).id;
        const strictChannel = strict.createChannel(strictGuild, { name: 'general' }).id;
        const bob = strict.createUser({ username: 'bob' }).id;
        strict.addMember(strictGuild, bob);
        const said = strict.userSays(bob, strictChannel, 'private words');
        const socket = new WebSocket(`${strict.gatewayUrl}?v=10&encoding=json`);
        await once(socket, 'open');
        const closed = once(socket, 'close');
        socket.send(
          JSON.stringify({ op: 2, d: { token: strict.bot.token, intents: 1 << 15, properties: {} } }),
        );
        expect((await closed)[0]).toBe(4014);
        const response = await fetch(`${strict.restUrl}/v10/channels/${strictChannel}/messages/${said.id}`, {
          headers: { authorization: `Bot ${strict.bot.token}` },
        });
        expect(await response.json()).toMatchObject({ id: said.id, content: '' });
      } finally {
        await strict.close();
      }
    });
  });

  describe('when a raw socket speaks the protocol', () => {
    const open = async (): Promise<{
      socket: WebSocket;
      frames: { op: number; d: unknown; t?: string }[];
    }> => {
      const socket = new WebSocket(`${sandbox.gatewayUrl}?v=10&encoding=json`);
      const frames: { op: number; d: unknown; t?: string }[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { op: number; d: unknown }));
      await once(socket, 'open');
      return { socket, frames };
    };
    const closeCode = async (socket: WebSocket): Promise<number> => {
      const [code] = (await once(socket, 'close')) as [number];
      return code;
    };

    it('says HELLO and acknowledges heartbeats', async () => {
      const { socket, frames } = await open();
      socket.send(JSON.stringify({ op: 1, d: null }));
      await expect.poll(() => frames.map((frame) => frame.op)).toEqual([10, 11]);
      expect(frames[0]?.d).toEqual({ heartbeat_interval: 41_250 });
      socket.close(1000);
    });

    it.each([
      ['a wrong token', { token: 'nope', intents: 513 }, 4004],
      ['unknown intent bits', { token: 'TOKEN', intents: 1 << 30 }, 4013],
      ['a shard id past the count', { token: 'TOKEN', intents: 513, shard: [2, 2] }, 4010],
    ])('closes with the Discord code for %s', async (_name, identify, code) => {
      const { socket } = await open();
      const closed = closeCode(socket);
      const d = {
        ...identify,
        token: identify.token === 'TOKEN' ? sandbox.bot.token : identify.token,
        properties: {},
      };
      socket.send(JSON.stringify({ op: 2, d }));
      expect(await closed).toBe(code);
    });

    it('closes with 4003 when a payload comes before IDENTIFY', async () => {
      const { socket } = await open();
      const closed = closeCode(socket);
      socket.send(JSON.stringify({ op: 3, d: { status: 'online' } }));
      expect(await closed).toBe(4003);
    });

    it('answers a RESUME of an unknown session with op 9', async () => {
      const { socket, frames } = await open();
      socket.send(JSON.stringify({ op: 6, d: { token: sandbox.bot.token, session_id: 'gone', seq: 3 } }));
      await expect.poll(() => frames.at(-1)).toEqual({ op: 9, d: false });
      socket.close(1000);
    });
  });

  describe('when users talk', () => {
    it('delivers guild, thread and DM messages with Discord fields', async () => {
      const client = await login();
      const inChannel = nextEvent(client, 'messageCreate', (message) => message.channelId === channelId);
      sandbox.userSays(aliceId, channelId, 'hello channel');
      const [channelMessage] = await inChannel;
      expect(channelMessage.content).toBe('hello channel');
      expect(channelMessage.guildId).toBe(guildId);
      expect(channelMessage.member?.id).toBe(aliceId);
      expect(channelMessage.author.displayName).toBe('Alice');

      const inThread = nextEvent(client, 'messageCreate', (message) => message.channelId === threadId);
      const reply = sandbox.userSays(aliceId, threadId, 'in the thread');
      const [threadMessage] = await inThread;
      expect(threadMessage.channel.isThread()).toBe(true);
      expect(threadMessage.id).toBe(reply.id);

      const dmId = sandbox.openDm(aliceId).id;
      const inDm = nextEvent(client, 'messageCreate', (message) => message.channelId === dmId);
      sandbox.userSays(aliceId, dmId, 'psst');
      const [dm] = await inDm;
      expect(dm.guildId).toBeNull();
      expect(dm.member).toBeNull();
      expect(dm.channel.type).toBe(ChannelType.DM);
      expect(dm.content).toBe('psst');
    });

    it('marks replies with message_reference and the referenced message', async () => {
      const client = await login();
      const first = sandbox.userSays(aliceId, channelId, 'first');
      const received = nextEvent(client, 'messageCreate', (message) => message.content === 'second');
      sandbox.userSays(aliceId, channelId, 'second', { replyTo: first.id });
      const [message] = await received;
      expect(message.reference?.messageId).toBe(first.id);
      expect((await message.fetchReference()).content).toBe('first');
    });

    it('dispatches edits and deletions', async () => {
      const client = await login();
      const posted = sandbox.userSays(aliceId, channelId, 'typo');
      const updated = nextEvent(client, 'messageUpdate', (_old, message) => message.id === posted.id);
      sandbox.editMessage(posted.id, 'fixed');
      expect((await updated)[1].content).toBe('fixed');
      const deleted = nextEvent(client, 'messageDelete', (message) => message.id === posted.id);
      sandbox.deleteMessage(posted.id);
      await deleted;
      expect(sandbox.transcript(channelId).some((entry) => entry.id === posted.id)).toBe(false);
    });
  });

  describe('when the bot lacks the MessageContent intent', () => {
    it('gets empty content in guild messages, except when mentioned, and full content in DMs', async () => {
      const client = await login({
        intents: [
          GatewayIntentBits.Guilds,
          GatewayIntentBits.GuildMessages,
          GatewayIntentBits.DirectMessages,
        ],
      });
      const seen = collectEvents(client, 'messageCreate');
      const dmId = sandbox.openDm(aliceId).id;
      sandbox.userSays(aliceId, channelId, 'secret words');
      sandbox.userSays(aliceId, channelId, `<@${sandbox.bot.userId}> hey bot`);
      sandbox.userSays(aliceId, dmId, 'dm words');
      await nextEvent(client, 'messageCreate', (message) => message.channelId === dmId);
      const contents = seen.map(([message]: [Message]) => message.content);
      expect(contents).toEqual(['', `<@${sandbox.bot.userId}> hey bot`, 'dm words']);
    });
  });

  describe('when the connection drops', () => {
    it('resumes and replays the events sent while disconnected', async () => {
      const client = await login();
      const resumed = nextEvent(client, 'shardResume', () => true, 10_000);
      sandbox.faults.dropSessions();
      sandbox.userSays(aliceId, channelId, 'while you were away');
      const [message] = await nextEvent(
        client,
        'messageCreate',
        (m) => m.content === 'while you were away',
        10_000,
      );
      await resumed;
      expect(message.channelId).toBe(channelId);
    });

    it('reconnects and resumes on op 7', async () => {
      const client = await login();
      const resumed = nextEvent(client, 'shardResume', () => true, 10_000);
      sandbox.faults.requestReconnect();
      await resumed;
      const received = nextEvent(client, 'messageCreate', (m) => m.content === 'after reconnect');
      sandbox.userSays(aliceId, channelId, 'after reconnect');
      await received;
    });

    it('resumes on the same socket after a resumable invalid session', async () => {
      const client = await login();
      const resumed = nextEvent(client, 'shardResume', () => true, 10_000);
      sandbox.faults.invalidateSessions(true);
      await resumed;
    });

    it('identifies anew after a non-resumable invalid session', async () => {
      const client = await login();
      const ready = nextEvent(client, 'shardReady', () => true, 10_000);
      sandbox.faults.invalidateSessions(false);
      await ready;
      const received = nextEvent(client, 'messageCreate', (m) => m.content === 'after invalid session');
      sandbox.userSays(aliceId, channelId, 'after invalid session');
      await received;
    });
  });

  describe('when two sessions share the token', () => {
    it('delivers every event to both', async () => {
      const [first, second] = await Promise.all([login(), login()]);
      const both = Promise.all([
        nextEvent(first!, 'messageCreate', (m) => m.content === 'to everyone'),
        nextEvent(second!, 'messageCreate', (m) => m.content === 'to everyone'),
      ]);
      sandbox.userSays(aliceId, channelId, 'to everyone');
      await both;
      expect(sandbox.connectedSessions).toBeGreaterThanOrEqual(2);
    });
  });

  describe('when the bot is sharded', () => {
    it('sends a guild only to the shard that owns it, and DMs to shard 0', async () => {
      const shardCount = 2;
      const guilds = [
        sandbox.createGuild({ name: 'A' }),
        sandbox.createGuild({ name: 'B' }),
        sandbox.createGuild({ name: 'C' }),
      ];
      const shards = await Promise.all(
        [0, 1].map((shard) => login({ shards: [shard], shardCount, partials: [Partials.Channel] })),
      );
      for (const [index, client] of shards.entries()) {
        const expected = [guildId, ...guilds.map((guild) => guild.id)].filter(
          (id) => shardForGuild(id, shardCount) === index,
        );
        expect([...client.guilds.cache.keys()].sort()).toEqual(expected.sort());
      }
      const dmId = sandbox.openDm(aliceId).id;
      const dmShard0 = nextEvent(shards[0]!, 'messageCreate', (m) => m.channelId === dmId);
      const shard1Messages = collectEvents(shards[1]!, 'messageCreate');
      sandbox.userSays(aliceId, dmId, 'dm for shard zero');
      await dmShard0;
      expect(shard1Messages.filter(([m]) => m.channelId === dmId)).toHaveLength(0);
    });
  });

  describe('when the bot asks for guild members over the gateway', () => {
    it('answers with GUILD_MEMBERS_CHUNK', async () => {
      const client = await login({
        intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers, GatewayIntentBits.GuildMessages],
      });
      const members = await client.guilds.cache.get(guildId)!.members.fetch();
      expect(members.has(aliceId)).toBe(true);
      expect(members.has(sandbox.bot.userId)).toBe(true);
    });
  });

  describe('when guilds come and go after login', () => {
    it('dispatches GUILD_CREATE, CHANNEL_CREATE and GUILD_DELETE', async () => {
      const client = await login();
      const joined = once(client, 'guildCreate');
      const guild = sandbox.createGuild({ name: 'Later' });
      await joined;
      const created = nextEvent(client, 'channelCreate', (channel) => channel.guildId === guild.id);
      const channel = sandbox.createChannel(guild.id, { name: 'new' });
      const [received] = await created;
      expect(received.id).toBe(channel.id);
      const left = nextEvent(client, 'guildDelete', (deleted) => deleted.id === guild.id);
      sandbox.removeBotFromGuild(guild.id);
      await left;
      expect(client.guilds.cache.has(guild.id)).toBe(false);
    });
  });

  describe('when a channel is age-restricted', () => {
    it('shows discord.js nsfw on it, by gateway and REST, and its threads inherit it through the parent', async () => {
      const client = await login();
      const created = nextEvent(client, 'channelCreate', (channel) => channel.guildId === guildId);
      const adult = sandbox.createChannel(guildId, { name: 'adult', nsfw: true });
      const [received] = await created;
      expect(received.isTextBased() && 'nsfw' in received && received.nsfw).toBe(true);
      const fetched = await client.channels.fetch(adult.id, { force: true });
      expect(fetched?.type === ChannelType.GuildText && fetched.nsfw).toBe(true);
      const plain = client.channels.cache.get(channelId);
      expect(plain?.type === ChannelType.GuildText && plain.nsfw).toBe(false);
      const threadCreated = nextEvent(client, 'threadCreate', (thread) => thread.parentId === adult.id);
      sandbox.createThread(adult.id, { name: 'after dark' });
      const [thread] = await threadCreated;
      expect(thread.parent?.type === ChannelType.GuildText && thread.parent.nsfw).toBe(true);
    });
  });

  describe('when a channel or a thread is deleted', () => {
    it('dispatches THREAD_DELETE with the subset Discord sends, and CHANNEL_DELETE with the channel', async () => {
      const client = await login();
      const channel = sandbox.createChannel(guildId, { name: 'doomed' });
      await nextEvent(client, 'channelCreate', (created) => created.id === channel.id);
      const threads = collectEvents(client, 'threadCreate');
      const thread = sandbox.createThread(channel.id, { name: 'doomed thread' });
      const other = sandbox.createThread(channel.id, { name: 'other thread' });
      await vi.waitFor(() => expect(threads).toHaveLength(2));

      const threadDeleted = nextEvent(client, 'threadDelete', (deleted) => deleted.id === thread.id);
      sandbox.deleteChannel(thread.id);
      const [deletedThread] = await threadDeleted;
      expect(deletedThread.parentId).toBe(channel.id);
      expect(client.channels.cache.has(thread.id)).toBe(false);

      const channelDeleted = nextEvent(client, 'channelDelete', (deleted) => deleted.id === channel.id);
      sandbox.deleteChannel(channel.id);
      const [deletedChannel] = await channelDeleted;
      expect(deletedChannel.type).toBe(ChannelType.GuildText);
      // Its threads go with it, without events of their own.
      expect(client.channels.cache.has(other.id)).toBe(false);
      await expect(client.channels.fetch(channel.id)).rejects.toMatchObject({ code: 10003 });
    });
  });

  describe('when the guild only became unavailable', () => {
    it('raises guildUnavailable, never guildDelete', async () => {
      const client = await login();
      const deleted = collectEvents(client, 'guildDelete');
      const unavailable = nextEvent(client, 'guildUnavailable', (guild) => guild.id === guildId);
      sandbox.removeBotFromGuild(guildId, { outage: true });
      await unavailable;
      expect(deleted).toHaveLength(0);
    });
  });
});
