/**
 * The "Delete reply" and "Regenerate" message commands through the Discord sandbox: who may use them, the
 * deletion done by a task worker through the webhook manager, and the reply job a regeneration admits.
 * Replies are posted as the reply worker would: through the real WebhookManager, indexed and remembered.
 */
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReplyJobId, type ReplyJob } from '../../../src/queue/index.js';
import {
  ConversationRepository,
  MessageIndexRepository,
  type Personality,
  PersonalityRepository,
} from '../../../src/state/index.js';
import type { WebhookManager } from '../../../src/webhooks/index.js';
import { CommandHarness, isEphemeral } from './command-harness.js';

describe('reply actions', () => {
  let harness: CommandHarness;
  let webhooks: WebhookManager;
  let conversations: ConversationRepository;
  let messageIndex: MessageIndexRepository;
  let alice: Personality;
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
    asker = harness.addUser('asker');
    stranger = harness.addUser('stranger');
    moderator = harness.addUser('moderator', PermissionFlagsBits.ManageMessages);
    channel = harness.channel('replies');
    alice = await new PersonalityRepository(redis, { prefix }).create({
      ownerId: stranger,
      name: 'Alice',
      aliases: ['Ally'],
      visibility: 'public',
      systemPrompt: 'p',
      avatarUrl: null,
      provider: 'default',
      model: 'stub-model',
      temperature: null,
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
    { legacyIndex = false } = {},
  ): Promise<string> {
    const posted = await webhooks.postAsPersona(
      { channelId: channel, parentChannelId: null, guildId: harness.guildId },
      { username: alice.name, avatarUrl: null, content },
    );
    await messageIndex.indexPosted({
      messageIds: [posted.messageId],
      personalityId: alice.id,
      userId,
      channelId: channel,
      ...(legacyIndex ? {} : { sourceMessageId: answeredId }),
    });
    await conversations.appendTurns(userId, channel, alice.id, [
      { role: 'user', content: `asker: ${content}?`, messageId: answeredId, at: Date.now() },
      { role: 'assistant', content, messageId: answeredId, at: Date.now() },
    ]);
    return posted.messageId;
  }

  const runMessageCommand = (userId: string, name: string, targetId: string) =>
    harness.sandbox.runMessageCommand(userId, channel, name, targetId);

  const exists = (messageId: string) =>
    harness.sandbox.transcript(channel).some((message) => message.id === messageId);

  describe('when someone else uses them', () => {
    it.each(['Delete reply', 'Regenerate'])('%s is refused privately', async (name) => {
      const question = harness.sandbox.userSays(asker, channel, '@Alice are you there');
      const reply = await postReply(question.id, 'I am here.');
      const response = await runMessageCommand(stranger, name, reply).waitForResponse();
      expect(isEphemeral(response)).toBe(true);
      expect(response.content).toBe(
        'Permission: only the person this reply answered, or someone with Manage Messages in this channel, can do that.',
      );
      expect(exists(reply)).toBe(true);
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
      const again = runMessageCommand(moderator, 'Regenerate', second);
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
