/**
 * The sandbox playing a proxy bot (PluralKit): the events and messages a real discord.js client sees, and
 * Discord's rules for the bot's webhook and the member's name.
 */
import type { Client, Message, PartialMessage } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox, PLURALKIT_APPLICATION_ID } from '../../../sandbox/index.js';
import { loginClient, nextEvent } from './discord-client.js';

describe('DiscordSandbox.playProxyBot', () => {
  let sandbox: DiscordSandbox;
  let client: Client;
  let guildId: string;
  let userId: string;

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    guildId = sandbox.createGuild({ name: 'Guild' }).id;
    userId = sandbox.createUser({ username: 'pat' }).id;
    sandbox.addMember(guildId, userId);
    client = await loginClient(sandbox);
  });

  afterAll(async () => {
    await client.destroy();
    await sandbox.close();
  });

  /** Records the message events the client sees, in order. */
  function recordEvents(): { events: string[]; stop: () => void } {
    const events: string[] = [];
    const onCreate = (message: Message) => events.push(`create:${message.id}`);
    const onDelete = (message: Message | PartialMessage) => events.push(`delete:${message.id}`);
    client.on('messageCreate', onCreate);
    client.on('messageDelete', onDelete);
    return {
      events,
      stop: () => {
        client.off('messageCreate', onCreate);
        client.off('messageDelete', onDelete);
      },
    };
  }

  describe('in PluralKit’s order', () => {
    it('posts the copy through its own webhook under the member’s name, then deletes the original', async () => {
      const channel = sandbox.createChannel(guildId, { name: 'copy-first' });
      const original = sandbox.userSays(userId, channel.id, '[hello there]');
      await nextEvent(client, 'messageCreate', (message) => message.id === original.id);
      const recorder = recordEvents();
      const copyEvent = nextEvent(client, 'messageCreate', (message) => message.webhookId !== null);
      const deleteEvent = nextEvent(client, 'messageDelete', (message) => message.id === original.id);
      const copy = await sandbox.playProxyBot({
        originalMessageId: original.id,
        memberName: 'Aster',
        memberAvatarUrl: 'https://cdn.example.com/aster.png',
        content: 'hello there',
      });
      const [seen] = await copyEvent;
      await deleteEvent;
      recorder.stop();

      expect(recorder.events).toEqual([`create:${copy.id}`, `delete:${original.id}`]);
      expect(seen).toMatchObject({
        content: 'hello there',
        applicationId: PLURALKIT_APPLICATION_ID,
        author: { username: 'Aster', bot: true },
      });
      expect(sandbox.webhooks(channel.id)).toEqual([
        expect.objectContaining({ name: 'PluralKit Proxy Webhook', applicationId: PLURALKIT_APPLICATION_ID }),
      ]);
      expect(sandbox.transcript(channel.id).map((message) => message.authorName)).toEqual(['Aster']);
    });
  });

  describe('in the reverse order', () => {
    it('deletes first, then posts, through the webhook it already has', async () => {
      const channel = sandbox.createChannel(guildId, { name: 'delete-first' });
      const first = sandbox.userSays(userId, channel.id, 'a: one');
      await sandbox.playProxyBot({ originalMessageId: first.id, memberName: 'Aster', content: 'one' });
      const original = sandbox.userSays(userId, channel.id, 'b: two');
      await nextEvent(client, 'messageCreate', (message) => message.id === original.id);
      const recorder = recordEvents();
      const copyEvent = nextEvent(client, 'messageCreate', (message) => message.content === 'two');
      const copy = await sandbox.playProxyBot({
        originalMessageId: original.id,
        memberName: 'Birch',
        content: 'two',
        order: 'delete-first',
        gapMs: 20,
      });
      await copyEvent;
      recorder.stop();
      expect(recorder.events).toEqual([`delete:${original.id}`, `create:${copy.id}`]);
      expect(sandbox.webhooks(channel.id)).toHaveLength(1);
    });
  });

  describe('in a thread', () => {
    it('posts through the parent channel’s webhook into the thread', async () => {
      const channel = sandbox.createChannel(guildId, { name: 'parent' });
      const thread = sandbox.createThread(channel.id, { name: 'thread' });
      const original = sandbox.userSays(userId, thread.id, '[in the thread]');
      const copy = await sandbox.playProxyBot({
        originalMessageId: original.id,
        memberName: 'Aster',
        content: 'in the thread',
      });
      expect(copy.threadId).toBe(thread.id);
      expect(sandbox.webhooks(channel.id)).toHaveLength(1);
      expect(sandbox.webhooks(thread.id)).toEqual([]);
    });
  });

  describe('Discord’s rules', () => {
    it('refuses a member name Discord refuses, posting and deleting nothing', async () => {
      const channel = sandbox.createChannel(guildId, { name: 'rules' });
      const original = sandbox.userSays(userId, channel.id, '[hi]');
      await expect(
        sandbox.playProxyBot({ originalMessageId: original.id, memberName: 'Discord Fan', content: 'hi' }),
      ).rejects.toMatchObject({ status: 400 });
      expect(sandbox.transcript(channel.id).map((message) => message.id)).toEqual([original.id]);
    });

    it('plays another proxy bot under its own application and webhook name', async () => {
      const channel = sandbox.createChannel(guildId, { name: 'tupper' });
      const original = sandbox.userSays(userId, channel.id, 'x: hi');
      const copy = await sandbox.playProxyBot({
        applicationId: '431544605209788416',
        botName: 'Tupperbox',
        originalMessageId: original.id,
        memberName: 'Aster',
        content: 'hi',
      });
      expect(copy.authorName).toBe('Aster');
      expect(sandbox.webhooks(channel.id)).toEqual([
        expect.objectContaining({ name: 'Tupperbox Proxy Webhook', applicationId: '431544605209788416' }),
      ]);
    });
  });
});
