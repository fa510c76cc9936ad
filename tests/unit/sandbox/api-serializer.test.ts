import { describe, expect, it } from 'vitest';
import { ApiSerializer, avatarHashFor } from '../../../sandbox/api-serializer.js';
import { ChannelType, type MessageRecord, SandboxStore } from '../../../sandbox/sandbox-store.js';

function world() {
  const store = new SandboxStore(() => 1_750_000_000_000);
  const bot = store.createUser({ username: 'Chorus', bot: true });
  const owner = store.createUser({ username: 'owner' });
  const alice = store.createUser({ username: 'alice', globalName: 'Alice' });
  const guild = store.createGuild({ name: 'G', ownerId: owner.id });
  store.addMember(guild.id, bot.id, []);
  store.addMember(guild.id, alice.id, []);
  const channel = store.createChannel({ type: ChannelType.GuildText, guildId: guild.id, name: 'general' });
  const serializer = new ApiSerializer(store, {
    applicationId: bot.id,
    botUserId: bot.id,
    baseUrl: () => 'http://127.0.0.1:1',
  });
  const message = (overrides: Partial<MessageRecord>): MessageRecord => ({
    id: store.nextId(),
    channelId: channel.id,
    guildId: guild.id,
    authorId: alice.id,
    webhookId: null,
    applicationId: null,
    webhookUsername: null,
    webhookAvatarUrl: null,
    type: 0,
    content: 'hi',
    embeds: [],
    components: [],
    attachments: [],
    flags: 0,
    tts: false,
    nonce: null,
    wouldPing: { users: [], roles: [], everyone: false },
    reference: null,
    interaction: null,
    createdAt: 1_750_000_000_000,
    editedAt: null,
    edits: [],
    deleted: false,
    ...overrides,
  });
  return { store, serializer, bot, alice, guild, channel, message };
}

describe('ApiSerializer', () => {
  describe('when a channel is age-restricted', () => {
    it('says nsfw on it, not on ordinary channels, and leaves the field off its threads as Discord does', () => {
      const { store, serializer, guild, channel } = world();
      const adult = store.createChannel({
        type: ChannelType.GuildText,
        guildId: guild.id,
        name: 'adult',
        nsfw: true,
      });
      const thread = store.createChannel({
        type: ChannelType.PublicThread,
        guildId: guild.id,
        name: 'thread',
        parentId: adult.id,
      });
      expect(serializer.channel(adult)).toMatchObject({ nsfw: true });
      expect(serializer.channel(channel)).toMatchObject({ nsfw: false });
      expect(serializer.channel(thread)).not.toHaveProperty('nsfw');
      expect(serializer.channel(thread)).toMatchObject({ parent_id: adult.id });
    });
  });

  describe('when a webhook posted the message', () => {
    it('shapes the author as Discord does: webhook id, shown name, bot flag, 0000 discriminator', () => {
      const { serializer, message } = world();
      const payload = serializer.messageDispatch(
        message({
          authorId: '42',
          webhookId: '42',
          webhookUsername: 'Alice',
          webhookAvatarUrl: 'https://cdn.example/a.png',
        }),
      );
      expect(payload['author']).toMatchObject({
        id: '42',
        username: 'Alice',
        bot: true,
        discriminator: '0000',
        avatar: avatarHashFor('https://cdn.example/a.png'),
      });
      expect(payload['webhook_id']).toBe('42');
      expect(payload).not.toHaveProperty('member');
    });
  });

  describe('when a member posted in a guild', () => {
    it('adds guild_id, channel_type and the partial member without user', () => {
      const { serializer, message, guild, alice } = world();
      const payload = serializer.messageDispatch(message({}));
      expect(payload).toMatchObject({
        guild_id: guild.id,
        channel_type: 0,
        author: { id: alice.id, global_name: 'Alice' },
      });
      expect(payload['member']).not.toHaveProperty('user');
    });
  });

  describe('when a message replies to another', () => {
    it('includes message_reference and one level of referenced_message', () => {
      const { store, serializer, message, channel, guild } = world();
      const original = message({ content: 'first' });
      store.addMessage(original);
      const reply = message({
        type: 19,
        reference: { messageId: original.id, channelId: channel.id, guildId: guild.id },
      });
      const payload = serializer.message(reply);
      expect(payload['message_reference']).toEqual({
        type: 0,
        channel_id: channel.id,
        message_id: original.id,
        guild_id: guild.id,
      });
      expect(payload['referenced_message']).toMatchObject({ id: original.id, content: 'first' });
    });
  });

  describe('when a guild is announced', () => {
    it('lists only the bot among members unless presences are asked for, and threads apart from channels', () => {
      const { store, serializer, guild, channel, bot } = world();
      const thread = store.createChannel({
        type: ChannelType.PublicThread,
        guildId: guild.id,
        name: 't',
        parentId: channel.id,
      });
      const payload = serializer.guildCreate(guild, { allMembers: false });
      expect((payload['members'] as { user: { id: string } }[]).map((member) => member.user.id)).toEqual([
        bot.id,
      ]);
      expect((payload['channels'] as { id: string }[]).map((entry) => entry.id)).toEqual([channel.id]);
      expect((payload['threads'] as { id: string }[]).map((entry) => entry.id)).toEqual([thread.id]);
      expect((serializer.guildCreate(guild, { allMembers: true })['members'] as unknown[]).length).toBe(3);
    });
  });
});
