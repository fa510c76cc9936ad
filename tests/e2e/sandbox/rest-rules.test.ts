import { DiscordAPIError, REST, type RequestData } from '@discordjs/rest';
import { type Client, type ForumChannel, type TextChannel, WebhookClient } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox, PermissionFlags } from '../../../sandbox/index.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import { loginClient, nextEvent } from './discord-client.js';

/**
 * Discord's numeric code of a rejected REST call. discord.js loads the CommonJS build of @discordjs/rest while
 * this file imports the ESM one, so errors from discord.js are matched by name, not class.
 */
async function codeOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (
      error instanceof DiscordAPIError ||
      (error instanceof Error && error.name.startsWith('DiscordAPIError'))
    ) {
      return Number((error as DiscordAPIError).code);
    }
    throw error;
  }
  throw new Error('expected Discord to reject the request');
}

describe('DiscordSandbox REST', () => {
  let sandbox: DiscordSandbox;
  let rest: REST;
  let anonymous: REST;
  let client: Client;
  let guildId: string;
  let channelId: string;
  let otherChannelId: string;
  let threadId: string;
  let aliceId: string;

  const post = (route: `/${string}`, body: unknown, options: Partial<RequestData> = {}) =>
    rest.post(route, { body, ...options });

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    guildId = sandbox.createGuild({ name: 'Guild' }).id;
    channelId = sandbox.createChannel(guildId, { name: 'general' }).id;
    otherChannelId = sandbox.createChannel(guildId, { name: 'other' }).id;
    threadId = sandbox.createThread(channelId, { name: 'thread' }).id;
    aliceId = sandbox.createUser({ username: 'alice' }).id;
    sandbox.addMember(guildId, aliceId);
    rest = new REST({ api: sandbox.restUrl, retries: 0 }).setToken(sandbox.bot.token);
    anonymous = new REST({ api: sandbox.restUrl, retries: 0 });
    client = await loginClient(sandbox);
  });

  afterAll(async () => {
    await client.destroy();
    await sandbox.close();
  });

  describe('when the bot posts through discord.js', () => {
    it('sends, replies, types, edits, fetches and deletes messages', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const asked = sandbox.userSays(aliceId, channelId, 'question?');
      await channel.sendTyping();
      const asked$ = await channel.messages.fetch(asked.id);
      const reply = await asked$.reply('answer');
      expect(reply.reference?.messageId).toBe(asked.id);
      const edited = await reply.edit('better answer');
      expect(edited.editedTimestamp).not.toBeNull();
      const page = await channel.messages.fetch({ limit: 2 });
      expect([...page.keys()]).toEqual([reply.id, asked.id]);
      expect(sandbox.transcript(channelId).at(-1)).toMatchObject({
        content: 'better answer',
        referencedMessageId: asked.id,
        wouldPing: { users: [aliceId] },
      });
      await reply.delete();
      expect(sandbox.transcript(channelId).at(-1)?.id).toBe(asked.id);
    });

    it('uploads files as multipart with payload_json', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const sent = await channel.send({
        content: 'a file',
        files: [{ attachment: Buffer.from('hello'), name: 'hi.txt' }],
      });
      expect(sent.attachments.first()?.name).toBe('hi.txt');
      const body = await fetch(sent.attachments.first()!.url).then((response) => response.text());
      expect(body).toBe('hello');
    });

    it('records who would have been pinged under allowed_mentions', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      await channel.send({ content: `<@${aliceId}> @everyone`, allowedMentions: { parse: [] } });
      expect(sandbox.transcript(channelId).at(-1)?.wouldPing).toEqual({
        users: [],
        roles: [],
        everyone: false,
      });
      await channel.send({ content: `<@${aliceId}> hi` });
      expect(sandbox.transcript(channelId).at(-1)?.wouldPing.users).toEqual([aliceId]);
    });
  });

  describe('when the bot starts threads', () => {
    it('creates threads in text channels, from messages, and forum posts with their starter message', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const created = new Promise((resolve) => client.once('threadCreate', resolve));
      const thread = await channel.threads.create({ name: 'bot thread' });
      await created;
      expect(thread.parentId).toBe(channelId);
      const seed = await channel.send('start here');
      const fromMessage = await seed.startThread({ name: 'from a message' });
      expect(fromMessage.id).toBe(seed.id);
      const forumId = sandbox.createChannel(guildId, { name: 'forum', type: 'forum' }).id;
      const forum = (await client.channels.fetch(forumId)) as ForumChannel;
      const post = await forum.threads.create({ name: 'a post', message: { content: 'opening words' } });
      expect(sandbox.transcript(post.id)).toMatchObject([
        { id: post.id, content: 'opening words', threadId: post.id },
      ]);
    });
  });

  describe('when a webhook posts as a persona', () => {
    it('shows the username and avatar override, in the channel and in a thread', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const webhook = await channel.createWebhook({ name: 'Chorus relay' });
      expect((await channel.fetchWebhooks()).has(webhook.id)).toBe(true);
      const hook = new WebhookClient(
        { id: webhook.id, token: webhook.token! },
        { rest: { api: sandbox.restUrl } },
      );
      const sent = await hook.send({
        content: 'Hi, I am Alice',
        username: 'Alice',
        avatarURL: 'https://cdn.example/alice.png',
      });
      expect(sent.webhook_id ?? (sent as { webhookId?: string }).webhookId).toBe(webhook.id);
      await hook.send({ content: 'in thread', username: 'Alice', threadId });
      hook.destroy();
      expect(sandbox.transcript(channelId).at(-1)).toMatchObject({
        authorName: 'Alice',
        avatarUrl: 'https://cdn.example/alice.png',
        webhookId: webhook.id,
      });
      expect(sandbox.transcript(threadId).at(-1)).toMatchObject({ content: 'in thread', threadId });
    });

    it('needs thread_id to read or edit its message in a thread', async () => {
      const { id, token } = (await post(`/channels/${channelId}/webhooks`, { name: 'editor' })) as {
        id: string;
        token: string;
      };
      const hook = new WebhookClient({ id, token }, { rest: { api: sandbox.restUrl } });
      const sent = await hook.send({ content: 'draft', threadId });
      expect(await codeOf(hook.editMessage(sent.id, { content: 'no thread id' }))).toBe(10008);
      const edited = await hook.editMessage(sent.id, { content: 'final', threadId });
      expect(edited.content).toBe('final');
      await hook.deleteMessage(sent.id, threadId);
      hook.destroy();
      expect(sandbox.transcript(threadId).some((entry) => entry.id === sent.id)).toBe(false);
    });

    it('ignores message_reference and answers 204 without wait', async () => {
      const { id, token } = (await post(`/channels/${channelId}/webhooks`, { name: 'plain' })) as {
        id: string;
        token: string;
      };
      const target = sandbox.userSays(aliceId, channelId, 'target');
      const response = await fetch(`${sandbox.restUrl}/v10/webhooks/${id}/${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'not a reply', message_reference: { message_id: target.id } }),
      });
      expect(response.status).toBe(204);
      expect(sandbox.transcript(channelId).at(-1)).toMatchObject({
        content: 'not a reply',
        referencedMessageId: null,
      });
    });
  });

  describe('when a request breaks a Discord rule', () => {
    let webhook: { id: string; token: string };
    beforeAll(async () => {
      webhook = (await post(`/channels/${channelId}/webhooks`, { name: 'rules' })) as {
        id: string;
        token: string;
      };
    });
    const execute = (body: unknown, query = '') =>
      anonymous.post(`/webhooks/${webhook.id}/${webhook.token}`, {
        body,
        auth: false,
        query: new URLSearchParams(`wait=true${query}`),
      });

    it.each([
      ['2001 characters', { content: 'x'.repeat(2001) }, 50035],
      ['an empty message', { content: '' }, 50006],
      ['a username containing Discord', { content: 'hi', username: 'Discord Bot' }, 50035],
      ['a username containing clyde', { content: 'hi', username: 'xClYdEx' }, 50035],
      ['an 81-character username', { content: 'hi', username: 'a'.repeat(81) }, 50035],
    ])('rejects a webhook execute with %s', async (_name, body, code) => {
      expect(await codeOf(execute(body))).toBe(code);
    });

    it.each([
      ['2001 characters', { content: 'x'.repeat(2001) }, 50035],
      ['an empty message', {}, 50006],
    ])('rejects a bot message with %s', async (_name, body, code) => {
      expect(await codeOf(post(`/channels/${channelId}/messages`, body))).toBe(code);
    });

    it('rejects webhook names with Discord or clyde, and longer than 80', async () => {
      for (const name of ['My Discord', 'clyde', 'b'.repeat(81)]) {
        expect(await codeOf(post(`/channels/${channelId}/webhooks`, { name }))).toBe(50035);
      }
    });

    it('stops at 15 webhooks per channel with 30007', async () => {
      const crowded = sandbox.createChannel(guildId, { name: 'crowded' }).id;
      for (let index = 0; index < 15; index += 1)
        await post(`/channels/${crowded}/webhooks`, { name: `hook ${index}` });
      expect(await codeOf(post(`/channels/${crowded}/webhooks`, { name: 'sixteenth' }))).toBe(30007);
    });

    it('needs Manage Webhooks in that channel (50013)', async () => {
      const locked = sandbox.createChannel(guildId, {
        name: 'locked',
        botPermissions: { deny: PermissionFlags.ManageWebhooks },
      }).id;
      expect(await codeOf(post(`/channels/${locked}/webhooks`, { name: 'nope' }))).toBe(50013);
      expect(await codeOf(rest.get(`/channels/${locked}/webhooks`))).toBe(50013);
    });

    it('needs Send Messages after channel overwrites (50013), role overwrite first then member', async () => {
      const muted = sandbox.createChannel(guildId, {
        name: 'muted',
        permissionOverwrites: [{ id: guildId, type: 'role', deny: PermissionFlags.SendMessages }],
      }).id;
      expect(await codeOf(post(`/channels/${muted}/messages`, { content: 'hi' }))).toBe(50013);
      sandbox.setBotChannelPermissions(muted, { allow: PermissionFlags.SendMessages });
      await expect(post(`/channels/${muted}/messages`, { content: 'hi' })).resolves.toMatchObject({
        content: 'hi',
      });
    });

    it('lets Administrator bypass overwrites', async () => {
      const adminGuild = sandbox.createGuild({
        name: 'Admin',
        botPermissions: PermissionFlags.Administrator,
      }).id;
      const denied = sandbox.createChannel(adminGuild, {
        name: 'denied',
        botPermissions: { deny: PermissionFlags.SendMessages | PermissionFlags.ViewChannel },
      }).id;
      await expect(post(`/channels/${denied}/messages`, { content: 'admin' })).resolves.toMatchObject({
        content: 'admin',
      });
    });

    it('answers 50001 when the bot cannot see the channel', async () => {
      const hidden = sandbox.createChannel(guildId, {
        name: 'hidden',
        botPermissions: { deny: PermissionFlags.ViewChannel },
      }).id;
      expect(await codeOf(post(`/channels/${hidden}/messages`, { content: 'hi' }))).toBe(50001);
    });

    it('refuses a thread_id that is not a thread of the webhook channel', async () => {
      const foreign = sandbox.createThread(otherChannelId, { name: 'elsewhere' }).id;
      expect(await codeOf(execute({ content: 'hi' }, `&thread_id=${foreign}`))).toBe(10003);
      expect(await codeOf(execute({ content: 'hi' }, `&thread_id=${otherChannelId}`))).toBe(10003);
    });

    it('refuses webhooks on threads and DMs', async () => {
      expect(await codeOf(post(`/channels/${threadId}/webhooks`, { name: 'thread hook' }))).toBe(50024);
      const dm = sandbox.openDm(aliceId).id;
      expect(await codeOf(post(`/channels/${dm}/webhooks`, { name: 'dm hook' }))).toBe(50024);
    });

    it.each([
      [
        'webhook',
        () => anonymous.post('/webhooks/1234567890123456789/nope', { body: { content: 'x' }, auth: false }),
        10015,
      ],
      ['channel', () => post('/channels/1234567890123456789/messages', { content: 'x' }), 10003],
      ['message', () => rest.get(`/channels/${channelId}/messages/1234567890123456789`), 10008],
      [
        'interaction',
        () =>
          anonymous.post('/interactions/1234567890123456789/nope/callback', {
            body: { type: 4, data: { content: 'x' } },
            auth: false,
          }),
        10062,
      ],
    ])('answers an unknown %s with its code', async (_name, call, code) => {
      expect(await codeOf(call())).toBe(code);
    });

    it('answers 401 without a bot token, and 404 for unknown routes', async () => {
      const stranger = new REST({ api: sandbox.restUrl, retries: 0 }).setToken('wrong');
      expect(await codeOf(stranger.get('/users/@me'))).toBe(0);
      const response = await fetch(`${sandbox.restUrl}/v10/no/such/route`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: '404: Not Found', code: 0 });
      expect(sandbox.stats().invalidRequests).toBeGreaterThan(0);
    });
  });

  describe('when the bot bulk-deletes messages', () => {
    let purged: string;
    beforeAll(() => {
      purged = sandbox.createChannel(guildId, {
        name: 'purged',
        botPermissions: { allow: PermissionFlags.ManageMessages },
      }).id;
    });
    const say = (content: string) => sandbox.userSays(aliceId, purged, content).id;
    const bulkDelete = (channel: string, messages: unknown) =>
      post(`/channels/${channel}/messages/bulk-delete`, { messages });
    /** The rejected call's Discord error body, as discord.js keeps it. */
    async function errorOf(promise: Promise<unknown>): Promise<{ code: number; errors?: unknown }> {
      try {
        await promise;
      } catch (error) {
        const raw = (error as { rawError?: { code: number; errors?: unknown } }).rawError;
        if (raw !== undefined) return raw;
        throw error;
      }
      throw new Error('expected Discord to reject the request');
    }

    it('deletes them and dispatches one MESSAGE_DELETE_BULK; unknown ids count and are skipped', async () => {
      const ids = [say('one'), say('two'), say('three')];
      const kept = say('kept');
      const channel = (await client.channels.fetch(purged)) as TextChannel;
      const event = nextEvent(client, 'messageDeleteBulk');
      const dispatched = new Promise<unknown>((resolve) => {
        const onRaw = (packet: { t?: string; d?: unknown }) => {
          if (packet.t !== 'MESSAGE_DELETE_BULK') return;
          client.off('raw', onRaw);
          resolve(packet.d);
        };
        client.on('raw', onRaw);
      });
      const unknown = String(BigInt(ids[2]!) + 1000n);
      await channel.bulkDelete([...ids, unknown]);
      expect(await dispatched).toEqual({ ids, channel_id: purged, guild_id: guildId });
      const [messages] = await event;
      expect([...messages.keys()].sort()).toEqual([...ids].sort());
      expect(sandbox.transcript(purged).map((message) => message.id)).toEqual([kept]);
    });

    it.each([
      ['one id', 1, 'BASE_TYPE_MIN_LENGTH'],
      ['101 ids', 101, 'BASE_TYPE_MAX_LENGTH'],
    ])('refuses %s with 50035', async (_case, count, fieldCode) => {
      const ids = Array.from({ length: count }, (_, index) =>
        String(1_300_000_000_000_000_000n + BigInt(index)),
      );
      const error = await errorOf(bulkDelete(purged, ids));
      expect(error).toMatchObject({ code: 50035, errors: { messages: { _errors: [{ code: fieldCode }] } } });
    });

    it('refuses duplicate ids and ids that are not snowflakes with 50035', async () => {
      const id = say('dup');
      expect(await errorOf(bulkDelete(purged, [id, id]))).toMatchObject({
        code: 50035,
        errors: { messages: { '1': { _errors: [{ code: 'SET_TYPE_ALREADY_CONTAINS_VALUE' }] } } },
      });
      expect(await errorOf(bulkDelete(purged, [id, 'nope']))).toMatchObject({
        code: 50035,
        errors: { messages: { '1': { _errors: [{ code: 'NUMBER_TYPE_COERCE' }] } } },
      });
      expect(await errorOf(post(`/channels/${purged}/messages/bulk-delete`, {}))).toMatchObject({
        code: 50035,
        errors: { messages: { _errors: [{ code: 'BASE_TYPE_REQUIRED' }] } },
      });
      expect(sandbox.transcript(purged).some((message) => message.id === id)).toBe(true);
    });

    it('refuses an id older than 14 days with 50034, deleting nothing', async () => {
      const fresh = say('fresh');
      const old = buildSnowflake(Date.now() - 15 * 24 * 3600 * 1000);
      expect(await codeOf(bulkDelete(purged, [fresh, old]))).toBe(50034);
      expect(sandbox.transcript(purged).some((message) => message.id === fresh)).toBe(true);
    });

    it('needs Manage Messages (50013) and a guild channel (50003)', async () => {
      const ids = [
        sandbox.userSays(aliceId, channelId, 'a').id,
        sandbox.userSays(aliceId, channelId, 'b').id,
      ];
      expect(await codeOf(bulkDelete(channelId, ids))).toBe(50013);
      const dm = sandbox.openDm(aliceId).id;
      const dmIds = [sandbox.userSays(aliceId, dm, 'a').id, sandbox.userSays(aliceId, dm, 'b').id];
      expect(await codeOf(bulkDelete(dm, dmIds))).toBe(50003);
    });

    it('plays a moderator’s purge from the control API, with the same rules', async () => {
      const ids = [say('x'), say('y')];
      const event = nextEvent(client, 'messageDeleteBulk');
      expect(sandbox.bulkDeleteMessages(purged, ids)).toEqual(ids);
      const [messages] = await event;
      expect(messages.size).toBe(2);
      expect(() => sandbox.bulkDeleteMessages(purged, [say('z')])).toThrow(/50035/u);
      expect(() =>
        sandbox.bulkDeleteMessages(purged, [say('w'), buildSnowflake(Date.now() - 15 * 24 * 3600 * 1000)]),
      ).toThrow(/50034/u);
    });
  });

  describe('when faults are injected', () => {
    it('fails a route the given number of times, and discord.js retries a 500', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const fault = sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: /\/channels\/\d+\/messages$/,
        status: 500,
        times: 1,
      });
      const sent = await channel.send('survives one 500');
      expect(fault.hits).toBe(1);
      expect(sent.content).toBe('survives one 500');
      expect(sandbox.requestLog.some((entry) => entry.status === 500)).toBe(true);
    });

    it('serves a Discord error body until removed', async () => {
      const fault = sandbox.faults.injectRoute({
        pathPattern: /^\/users\/@me$/,
        status: 403,
        body: { message: 'Missing Access', code: 50001 },
      });
      expect(await codeOf(rest.get('/users/@me'))).toBe(50001);
      fault.remove();
      await expect(rest.get('/users/@me')).resolves.toMatchObject({ id: sandbox.bot.userId });
    });

    it('delays or hangs a request', async () => {
      const delayed = sandbox.faults.injectRoute({ pathPattern: /^\/gateway$/, delayMs: 50, times: 1 });
      await expect(fetch(`${sandbox.restUrl}/v10/gateway`).then((response) => response.status)).resolves.toBe(
        200,
      );
      expect(delayed.hits).toBe(1);
      sandbox.faults.injectRoute({ pathPattern: /^\/gateway$/, hang: true, times: 1 });
      await expect(
        fetch(`${sandbox.restUrl}/v10/gateway`, { signal: AbortSignal.timeout(200) }),
      ).rejects.toThrow();
    });

    it("deletes a webhook behind the bot's back and tells it through WEBHOOKS_UPDATE", async () => {
      const { id, token } = (await post(`/channels/${channelId}/webhooks`, { name: 'doomed' })) as {
        id: string;
        token: string;
      };
      const updated = new Promise((resolve) => client.once('webhooksUpdate', resolve));
      sandbox.faults.deleteWebhook(id);
      await updated;
      expect(
        await codeOf(anonymous.post(`/webhooks/${id}/${token}`, { body: { content: 'x' }, auth: false })),
      ).toBe(10015);
    });
  });

  describe('when the bot exceeds its global limit', () => {
    it('answers 429 with X-RateLimit-Global', async () => {
      sandbox.setRateLimits({ botGlobalPerSecond: 3 });
      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          fetch(`${sandbox.restUrl}/v10/users/@me`, {
            headers: { authorization: `Bot ${sandbox.bot.token}` },
          }),
        ),
      );
      sandbox.setRateLimits({ botGlobalPerSecond: 50 });
      const limited = responses.find((response) => response.status === 429);
      expect(limited?.headers.get('x-ratelimit-global')).toBe('true');
      expect(await limited?.json()).toMatchObject({ global: true });
    });
  });

  describe('when the per-channel write limit is on', () => {
    it('refuses the message past the limit with 20028', async () => {
      const busy = sandbox.createChannel(guildId, { name: 'busy' }).id;
      sandbox.setRateLimits({ channelMessagesPerMinute: 2 });
      await post(`/channels/${busy}/messages`, { content: '1' });
      await post(`/channels/${busy}/messages`, { content: '2' });
      const response = await fetch(`${sandbox.restUrl}/v10/channels/${busy}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${sandbox.bot.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: '3' }),
      });
      sandbox.setRateLimits({ channelMessagesPerMinute: null });
      expect(response.status).toBe(429);
      expect(await response.json()).toMatchObject({ code: 20028 });
    });
  });

  describe('when a webhook is rate limited', () => {
    it('answers 429 with Discord headers and discord.js retries after it', async () => {
      sandbox.setRateLimits({ timeScale: 0.1 });
      const { id, token } = (await post(`/channels/${channelId}/webhooks`, { name: 'busy' })) as {
        id: string;
        token: string;
      };
      const raw = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          fetch(`${sandbox.restUrl}/v10/webhooks/${id}/${token}?wait=true`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ content: `raw ${index}` }),
          }),
        ),
      );
      const limited = raw.find((response) => response.status === 429);
      expect(limited?.headers.get('x-ratelimit-scope')).toBe('user');
      expect(limited?.headers.get('retry-after')).toBeTruthy();
      expect(await limited?.json()).toMatchObject({ message: 'You are being rate limited.', global: false });

      const hook = new WebhookClient({ id, token }, { rest: { api: sandbox.restUrl } });
      const before = sandbox.stats().rateLimited;
      const sent = await Promise.all(
        Array.from({ length: 12 }, (_, index) => hook.send({ content: `burst ${index}` })),
      );
      hook.destroy();
      expect(sent).toHaveLength(12);
      expect(sandbox.transcript(channelId).filter((entry) => entry.content.startsWith('burst'))).toHaveLength(
        12,
      );
      expect(sandbox.stats().rateLimited).toBeGreaterThanOrEqual(before);
      sandbox.setRateLimits({ timeScale: 1 });
    });
  });
});
