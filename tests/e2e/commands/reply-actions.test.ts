/**
 * The "Delete reply" and "Regenerate" message commands through the Discord sandbox: who may use them, the
 * deletion done by a task worker through the webhook manager, and the reply job a regeneration admits.
 * Replies are posted as the reply worker would: through the real WebhookManager, indexed and remembered.
 */
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuildSettingsRepository } from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildReplyJobId, type ReplyJob } from '../../../src/queue/index.js';
import {
  ConversationRepository,
  MessageIndexRepository,
  type Personality,
  type PersonalityRepository,
} from '../../../src/state/index.js';
import type { WebhookManager } from '../../../src/webhooks/index.js';
import { CommandHarness, isEphemeral } from './command-harness.js';

const silent = createLogger({ level: 'silent', service: 'test' });

describe('reply actions', () => {
  let harness: CommandHarness;
  let webhooks: WebhookManager;
  let conversations: ConversationRepository;
  let messageIndex: MessageIndexRepository;
  let personalities: PersonalityRepository;
  let alice: Personality;
  let creator: string;
  let asker: string;
  let stranger: string;
  let moderator: string;
  let channel: string;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    ({ webhooks } = await harness.startTaskWorker());
    const { redis, prefix } = harness;
    conversations = new ConversationRepository(redis, { prefix, ...harness.config.conversation });
    messageIndex = new MessageIndexRepository(redis, { prefix });
    creator = harness.addUser('creator');
    asker = harness.addUser('asker');
    stranger = harness.addUser('stranger');
    moderator = harness.addUser('moderator', PermissionFlagsBits.ManageMessages);
    channel = harness.channel('replies');
    personalities = harness.personalities;
    alice = await harness.createPersonality({
      ownerId: creator,
      name: 'Alice',
      aliases: ['Ally'],
      visibility: 'public',
    });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  /**
   * Posts Alice's answer to `answeredId` as the reply worker does, and returns the posted message's id.
   * `legacyIndex`: index it as entries written before the answered message's id was recorded.
   */
  async function postReply(
    answeredId: string,
    content: string,
    userId = asker,
    { legacyIndex = false, personality = alice } = {},
  ): Promise<string> {
    const posted = await webhooks.postAsPersona(
      { channelId: channel, parentChannelId: null, guildId: harness.guildId },
      { username: personality.name, avatarUrl: null, content },
    );
    await messageIndex.indexPosted({
      messageIds: [posted.messageId],
      personalityId: personality.id,
      userId,
      channelId: channel,
      ...(legacyIndex ? {} : { sourceMessageId: answeredId }),
    });
    await conversations.appendTurns(userId, channel, personality.id, [
      { role: 'user', content: `asker: ${content}?`, messageId: answeredId, at: Date.now() },
      { role: 'assistant', content, messageId: answeredId, at: Date.now() },
    ]);
    return posted.messageId;
  }

  const runMessageCommand = (userId: string, name: string, targetId: string) =>
    harness.sandbox.runMessageCommand(userId, channel, name, targetId);

  const exists = (messageId: string) =>
    harness.sandbox.transcript(channel).some((message) => message.id === messageId);

  describe('when a stranger deletes a reply', () => {
    it('is refused privately and the reply stays', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice are you there');
      const reply = await postReply(question.id, 'I am here.');
      const response = await runMessageCommand(stranger, 'Delete reply', reply).waitForResponse();
      expect(isEphemeral(response)).toBe(true);
      expect(response.content).toBe(
        'Permission: only the person this reply answered, the personality’s owner, or someone with Manage Messages in this channel, can delete it.',
      );
      expect(exists(reply)).toBe(true);
    });
  });

  describe('when anyone but the person it answered regenerates a reply', () => {
    it.each([
      ['a stranger', () => stranger],
      ['a member with Manage Messages', () => moderator],
      ['the personality’s owner', () => creator],
    ])('refuses %s privately and admits no job', async (_, caller) => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice spend my key');
      const reply = await postReply(question.id, 'Spent.');
      const handle = runMessageCommand(caller(), 'Regenerate', reply);
      const response = await handle.waitForResponse();
      expect(isEphemeral(response)).toBe(true);
      expect(response.content).toBe(
        'Permission: only the person this reply answered can regenerate it (the new answer uses their API key and counts against their limits).',
      );
      expect(await harness.admission.queue.getJob(buildReplyJobId(handle.id, alice.id))).toBeUndefined();
    });
  });

  describe('when the message is not a personality’s reply', () => {
    it('says so', async () => {
      const message = harness.sandbox.userSays(asker, channel, 'just talking');
      const response = await runMessageCommand(asker, 'Delete reply', message.id).waitForResponse();
      expect(response.content).toBe(
        'That message is not a personality’s reply I still know about (replies are remembered for 7 days).',
      );
    });
  });

  describe('Delete reply', () => {
    it('lets the asker delete it through the worker, then says "Deleted."', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice hi');
      const reply = await postReply(question.id, 'Hello!');
      const handle = runMessageCommand(asker, 'Delete reply', reply);
      expect((await handle.waitForResponse()).content).toBe('Deleting…');
      const done = await handle.waitForResponse((response) => response.kind === 'edit', 10_000);
      expect(done.content).toBe('Deleted.');
      expect(exists(reply)).toBe(false);
      expect(exists(question.id)).toBe(true);
    });

    it('deletes every message of a split reply, whichever one was picked', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice write a lot');
      const parts = [await postReply(question.id, 'Part one.'), await postReply(question.id, 'Part two.')];
      parts.push(await postReply(question.id, 'Part three.'));
      // As the worker indexes a split reply once its last message is out.
      await messageIndex.indexPosted({
        messageIds: parts,
        personalityId: alice.id,
        userId: asker,
        channelId: channel,
        sourceMessageId: question.id,
        replyMessageIds: parts,
      });
      const handle = runMessageCommand(asker, 'Delete reply', parts[1]!);
      const done = await handle.waitForResponse((response) => response.kind === 'edit', 10_000);
      expect(done.content).toBe('Deleted.');
      expect(parts.filter(exists)).toEqual([]);
      expect(exists(question.id)).toBe(true);
    });

    it('lets a member with Manage Messages delete someone else’s reply', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice bye');
      const reply = await postReply(question.id, 'Goodbye!');
      const handle = runMessageCommand(moderator, 'Delete reply', reply);
      const done = await handle.waitForResponse((response) => response.kind === 'edit', 10_000);
      expect(done.content).toBe('Deleted.');
      expect(exists(reply)).toBe(false);
    });

    it('lets the personality’s owner delete its reply to someone else', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice say something odd');
      const reply = await postReply(question.id, 'Something odd.');
      const handle = runMessageCommand(creator, 'Delete reply', reply);
      const done = await handle.waitForResponse((response) => response.kind === 'edit', 10_000);
      expect(done.content).toBe('Deleted.');
      expect(exists(reply)).toBe(false);
      expect(exists(question.id)).toBe(true);
    });
  });

  describe('Regenerate', () => {
    it('admits a new reply job for the original message, and follows a regenerated reply back to it', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Ally tell me a story, @Alice');
      const reply = await postReply(question.id, 'Once upon a time.');

      const handle = runMessageCommand(asker, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(isEphemeral(answer)).toBe(true);
      expect(answer.content).toBe('Asking **Alice** again…');
      const job = await harness.admission.queue.getJob(buildReplyJobId(handle.id, alice.id));
      expect(job?.data).toMatchObject<Partial<ReplyJob>>({
        messageId: handle.id,
        answersMessageId: question.id,
        channelId: channel,
        authorId: asker,
        content: 'tell me a story,',
        personalityId: alice.id,
        trigger: 'reply',
      });

      // The regenerated answer is remembered under the regeneration's id, as the worker records it.
      const second = await postReply(handle.id, 'A different story.');
      const again = runMessageCommand(asker, 'Regenerate', second);
      expect((await again.waitForResponse((response) => response.kind === 'edit')).content).toBe(
        'Asking **Alice** again…',
      );
      const secondJob = await harness.admission.queue.getJob(buildReplyJobId(again.id, alice.id));
      expect(secondJob?.data).toMatchObject({
        messageId: again.id,
        answersMessageId: question.id,
        authorId: asker,
        content: 'tell me a story,',
      });
    });

    it('finds the answered message from the index even after the history was reset', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice remember this');
      const reply = await postReply(question.id, 'Remembered.');
      await conversations.reset(asker, { channelId: channel });
      const handle = runMessageCommand(asker, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(answer.content).toBe('Asking **Alice** again…');
      const job = await harness.admission.queue.getJob(buildReplyJobId(handle.id, alice.id));
      expect(job?.data).toMatchObject({ authorId: asker, content: 'remember this' });
    });

    it('says when an old index entry’s conversation no longer holds the reply', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice forget me');
      const reply = await postReply(question.id, 'Forgotten soon.', asker, { legacyIndex: true });
      await conversations.reset(asker, { channelId: channel });
      const handle = runMessageCommand(asker, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(answer.content).toContain('I can’t find the message this reply answered');
    });

    it('refuses when the personality has gone private, for anyone but its owner', async () => {
      const secret = await harness.createPersonality({
        ownerId: creator,
        name: 'Secret',
        visibility: 'public',
      });
      const question = harness.sandbox.userSays(asker, channel, '@Secret hello');
      const reply = await postReply(question.id, 'Hello from Secret.', asker, { personality: secret });
      await personalities.update(secret.id, creator, { visibility: 'private' });
      const handle = runMessageCommand(asker, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(isEphemeral(answer)).toBe(true);
      expect(answer.content).toBe(
        'The personality that wrote this reply is private now: only its owner can talk to it.',
      );
      expect(await harness.admission.queue.getJob(buildReplyJobId(handle.id, secret.id))).toBeUndefined();

      const ownQuestion = harness.sandbox.userSays(creator, channel, '@Secret hello, it is me');
      const ownReply = await postReply(ownQuestion.id, 'Hello, owner.', creator, { personality: secret });
      const own = runMessageCommand(creator, 'Regenerate', ownReply);
      expect((await own.waitForResponse((response) => response.kind === 'edit')).content).toBe(
        'Asking **Secret** again…',
      );
      const job = await harness.admission.queue.getJob(buildReplyJobId(own.id, secret.id));
      expect(job?.data).toMatchObject({ authorId: creator, personalityId: secret.id });
    });

    it('refuses a personality the server has blocked since, and admits it again once unblocked', async () => {
      const blocked = await harness.createPersonality({
        ownerId: creator,
        name: 'Banned',
        visibility: 'public',
      });
      // A user of their own: the others' limits are spent by the tests before.
      const fan = harness.addUser('fan');
      const question = harness.sandbox.userSays(fan, channel, '@Banned hello');
      const reply = await postReply(question.id, 'Hello from Banned.', fan, { personality: blocked });
      const settings = new GuildSettingsRepository(harness.redis, { prefix: harness.prefix, logger: silent });
      await settings.update(harness.guildId, (current) => ({
        ...current,
        blockedPersonalityIds: [blocked.id],
      }));
      const handle = runMessageCommand(fan, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(isEphemeral(answer)).toBe(true);
      expect(answer.content).toContain('Banned did not answer: the admins of');
      expect(await harness.admission.queue.getJob(buildReplyJobId(handle.id, blocked.id))).toBeUndefined();

      await settings.update(harness.guildId, (current) => ({ ...current, blockedPersonalityIds: [] }));
      const again = runMessageCommand(fan, 'Regenerate', reply);
      expect((await again.waitForResponse((response) => response.kind === 'edit')).content).toBe(
        'Asking **Banned** again…',
      );
    });

    it('says when the original message was deleted', async () => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice gone');
      const reply = await postReply(question.id, 'Soon orphaned.');
      harness.sandbox.deleteMessage(question.id);
      const handle = runMessageCommand(asker, 'Regenerate', reply);
      const answer = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(answer.content).toBe(
        'The message this reply answered was deleted, so there is nothing to answer again.',
      );
    });
  });
});
