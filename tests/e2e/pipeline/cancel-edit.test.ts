/**
 * A user deleting their message before the reply is posted cancels it — mid-AI-call, and when no worker was
 * running at the time; an edit made before processing starts is what the AI sees.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('cancel and edit', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let userId: string;

  beforeAll(async () => {
    cluster = await pipeline.startCluster();
    await cluster.spawn('gateway');
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'cancel' })).id;
    userId = (await sandbox.createUser({ username: 'fickle', globalName: 'Fick' })).id;
    await sandbox.addMember(guildId, userId);
    await pipeline.createPublicPersonality({
      ownerId: userId,
      name: 'Echo',
      systemPrompt: 'You echo.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  const personaMessages = (channelId: string) =>
    cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);

  it('uses the edited text when the edit comes before processing, and skips a message deleted meanwhile', async () => {
    const { sandbox } = cluster;
    const channel = await sandbox.createChannel(guildId, { name: 'before-worker' });
    // No worker yet: both messages wait in the queue.
    const edited = await sandbox.userSays(userId, channel.id, '@Echo first draft');
    sandbox.editMessage(edited.id, '@Echo final wording');
    const deleted = await sandbox.userSays(userId, channel.id, '@Echo never mind');
    await settle(300);
    sandbox.deleteMessage(deleted.id);
    await settle(300);

    const worker = await cluster.spawn('worker');
    await sandbox.waitForMessages(
      channel.id,
      (messages) => messages.some((m) => m.webhookId !== null),
      15_000,
    );
    await settle(1500);
    const replies = personaMessages(channel.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.content).toContain('last="Fick: final wording"');
    await cluster.stop(worker);
  });

  it('cancels a reply whose message is deleted during the AI call', async () => {
    const { sandbox, aiStub } = cluster;
    aiStub.setBehaviour({ latency: 3000 });
    const worker = await cluster.spawn('worker');
    try {
      const channel = await sandbox.createChannel(guildId, { name: 'mid-call' });
      const before = aiStub.requests.length;
      const message = await sandbox.userSays(userId, channel.id, '@Echo take your time');
      const deadline = Date.now() + 10_000;
      while (aiStub.requests.length === before && Date.now() < deadline) await settle(50);
      expect(aiStub.requests.length).toBe(before + 1);
      sandbox.deleteMessage(message.id);
      await settle(4000);
      expect(personaMessages(channel.id)).toEqual([]);
    } finally {
      aiStub.resetBehaviour();
      await cluster.stop(worker);
    }
  });
});
