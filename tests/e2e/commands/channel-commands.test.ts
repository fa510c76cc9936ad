/**
 * `/activate`, `/deactivate`, `/activations`, `/reset`, `/status` and `/help` through the Discord sandbox with
 * the real discord.js, including Manage Channels checks and thread inheritance.
 */
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivationRepository, ConversationRepository, type Personality } from '../../../src/state/index.js';
import { CommandHarness, isEphemeral, shownText } from './command-harness.js';

describe('channel commands', () => {
  let harness: CommandHarness;
  let activations: ActivationRepository;
  let moderator: string;
  let member: string;
  let alice: Personality;
  let bob: Personality;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    const { redis, prefix } = harness;
    activations = new ActivationRepository(redis, { prefix });
    moderator = harness.addUser('moderator', PermissionFlagsBits.ManageChannels);
    member = harness.addUser('member');
    alice = await harness.createPersonality({ ownerId: member, name: 'Alice', visibility: 'public' });
    bob = await harness.createPersonality({ ownerId: member, name: 'Bob', visibility: 'private' });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  describe('/activate', () => {
    describe('when the member lacks Manage Channels', () => {
      it('refuses privately, naming the permission, and activates nothing', async () => {
        const channel = harness.channel('no-permission');
        const response = await harness.run(member, channel, 'activate', { personality: 'Alice' });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe(
          'Permission: you need Manage Channels in this channel to change which personality answers every message here.',
        );
        expect(await activations.fetchForChannel(channel)).toBeNull();
      });
    });

    describe('when the member may manage the channel', () => {
      it('activates the personality and says so in the channel; running it twice changes nothing', async () => {
        const channel = harness.channel('activated');
        const first = await harness.run(moderator, channel, 'activate', { personality: 'alice' });
        expect(isEphemeral(first)).toBe(false);
        expect(first.content).toBe(`**Alice** now answers every message in <#${channel}> and its threads.`);
        await harness.run(moderator, channel, 'activate', { personality: alice.id });
        expect(await activations.listForGuild(harness.guildId)).toEqual([
          expect.objectContaining({ channelId: channel, personalityId: alice.id, activatedBy: moderator }),
        ]);
        await activations.deactivate(channel);
      });

      it('cannot activate someone else’s private personality', async () => {
        const channel = harness.channel('private');
        const response = await harness.run(moderator, channel, 'activate', { personality: 'Bob' });
        expect(response.content).toContain('no personality called “Bob” that you can use');
        expect(bob.visibility).toBe('private');
        expect(await activations.fetchForChannel(channel)).toBeNull();
      });
    });
  });

  describe('/activations and /deactivate', () => {
    it('shows a thread inheriting its parent’s activation, and deactivates only where it was set', async () => {
      const channel = harness.channel('parent');
      await harness.run(moderator, channel, 'activate', { personality: 'Alice' });
      const thread = harness.sandbox.createThread(channel, { name: 'child' });
      // Let discord.js see the thread before a command runs in it.
      await new Promise((resolve) => setTimeout(resolve, 100));

      const here = await harness.run(member, channel, 'activations');
      expect(isEphemeral(here)).toBe(true);
      expect(here.content).toMatch(
        new RegExp(
          `^\\*\\*Alice\\*\\* answers every message here \\(activated by <@${moderator}> <t:\\d+:R>\\)\\.$`,
          'u',
        ),
      );
      const inherited = await harness.run(member, thread.id, 'activations');
      expect(inherited.content).toBe(`**Alice** answers every message here, inherited from <#${channel}>.`);

      const notHere = await harness.run(moderator, thread.id, 'deactivate');
      expect(notHere.content).toBe(
        `This thread inherits **Alice** from <#${channel}>. Run /deactivate there to stop it.`,
      );
      const denied = await harness.run(member, channel, 'deactivate');
      expect(denied.content).toContain('Permission: you need Manage Channels');
      expect(await activations.fetchForChannel(channel)).toBe(alice.id);

      const done = await harness.run(moderator, channel, 'deactivate');
      expect(done.content).toBe('**Alice** no longer answers every message here.');
      expect(await activations.fetchForChannel(channel)).toBeNull();
      const again = await harness.run(moderator, channel, 'deactivate');
      expect(again.content).toBe('No personality is activated in this channel.');
      const none = await harness.run(member, thread.id, 'activations');
      expect(none.content).toContain('No personality answers every message here');
    });
  });

  describe('/reset', () => {
    it('forgets the caller’s conversation here, then everywhere, and nobody else’s', async () => {
      const conversations = new ConversationRepository(harness.redis, {
        prefix: harness.prefix,
        ...harness.config.conversation,
      });
      const here = harness.channel('reset-here');
      const elsewhere = harness.channel('reset-elsewhere');
      const turn = { role: 'user' as const, content: 'hi', messageId: '1', at: 1 };
      await conversations.appendTurns(member, here, alice.id, [turn]);
      await conversations.appendTurns(member, elsewhere, alice.id, [turn]);
      await conversations.appendTurns(moderator, here, alice.id, [turn]);

      const first = await harness.run(member, here, 'reset', { personality: 'Alice' });
      expect(isEphemeral(first)).toBe(true);
      expect(first.content).toBe('Forgot 1 conversation with **Alice** in this channel.');
      expect(await conversations.fetchHistory(member, here, alice.id)).toEqual([]);
      expect(await conversations.fetchHistory(member, elsewhere, alice.id)).toHaveLength(1);

      const everywhere = await harness.run(member, here, 'reset', { everywhere: true });
      expect(everywhere.content).toBe('Forgot 1 conversation everywhere.');
      const nothing = await harness.run(member, here, 'reset', {});
      expect(nothing.content).toBe('There was nothing to forget.');
      expect(await conversations.fetchHistory(moderator, here, alice.id)).toHaveLength(1);
    });
  });

  describe('/status', () => {
    it('shows the caller’s pending replies and limits, and the queue', async () => {
      const channel = harness.channel('status');
      await harness.admission.admit({
        kind: 'reply',
        version: 1,
        correlationId: 'status-test',
        messageId: '1300000000000000001',
        channelId: channel,
        parentChannelId: null,
        guildId: harness.guildId,
        authorId: member,
        authorName: 'member',
        content: 'hello',
        trigger: 'mention',
        personalityId: alice.id,
        messageCreatedAt: Date.now(),
        enqueuedAt: Date.now(),
      });
      const handle = harness.sandbox.runSlashCommand(member, channel, 'status');
      const response = await handle.waitForResponse((entry) => entry.kind === 'edit');
      expect(isEphemeral(response)).toBe(true);
      const text = shownText(response);
      expect(text).toContain('Replies on the way: 1 of at most 5');
      expect(text).toContain('Messages you can send now: 2 of 3 (refills at 6/min)');
      expect(text).toContain('1 waiting, 0 being answered, 0 live workers');
      expect(text).toContain('No AI calls recently.');
    });
  });

  describe('/help', () => {
    it('explains addressing and the configured limits, privately', async () => {
      const response = await harness.run(member, harness.channel('help'), 'help');
      expect(isEphemeral(response)).toBe(true);
      const text = shownText(response);
      expect(text).toContain('**@Name**');
      expect(text).toContain('At most 5 replies on the way to you at once');
    });
  });
});
