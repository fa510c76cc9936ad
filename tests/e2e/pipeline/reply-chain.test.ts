/**
 * Reply chains end to end: a reply to any message, a person's or a personality's, brings that message and
 * its ancestors into the prompt, marked as what is answered. Real gateway and worker, the Discord sandbox with
 * the unmodified discord.js, the AI stub recording what it was sent, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;

describe('reply chains', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let olive: { id: string };
  let otto: { id: string };
  let sam: { id: string };

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'chains' })).id;
    olive = await sandbox.createUser({ username: 'olive', globalName: 'Olive' });
    otto = await sandbox.createUser({ username: 'otto', globalName: 'Otto' });
    sam = await sandbox.createUser({ username: 'sam', globalName: 'Sam' });
    for (const user of [olive, otto, sam]) await sandbox.addMember(guildId, user.id);
    await pipeline.createPublicPersonality({
      ownerId: olive.id,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  /** The last user message of the AI request whose final line is `line`. */
  function promptEndingWith(line: string): string | undefined {
    return cluster.aiStub.requests
      .map((request) => request.messages.at(-1)?.content ?? '')
      .find((content) => content.endsWith(line));
  }

  it('A reply to a person’s message carries that message', async () => {
    const channel = await cluster.sandbox.createChannel(guildId, { name: 'reply-to-person' });
    const claim = cluster.sandbox.userSays(otto.id, channel.id, 'the sky is green today');
    cluster.sandbox.userSays(olive.id, channel.id, '@Alice is that true?', { replyTo: claim.id });
    await cluster.sandbox.waitForMessages(channel.id, 3, WAIT_MS);
    expect(promptEndingWith('Olive: is that true?')).toBe(
      [
        '[The message Olive is replying to]',
        'Otto: the sky is green today',
        "[Olive's message]",
        'Olive: is that true?',
      ].join('\n'),
    );
  });

  it('brings the replied-to message’s ancestors, oldest first', async () => {
    const channel = await cluster.sandbox.createChannel(guildId, { name: 'ancestors' });
    const question = cluster.sandbox.userSays(sam.id, channel.id, 'what is the capital of Australia?');
    const answer = cluster.sandbox.userSays(otto.id, channel.id, 'Sydney, obviously', {
      replyTo: question.id,
    });
    cluster.sandbox.userSays(olive.id, channel.id, '@Alice who is right?', { replyTo: answer.id });
    await cluster.sandbox.waitForMessages(channel.id, 4, WAIT_MS);
    expect(promptEndingWith('Olive: who is right?')).toBe(
      [
        '[Reply chain, oldest first]',
        'Sam: what is the capital of Australia?',
        '[The message Olive is replying to]',
        'Otto: Sydney, obviously',
        "[Olive's message]",
        'Olive: who is right?',
      ].join('\n'),
    );
  });

  describe('when the provider finds the prompt too long after all', () => {
    it('assembles it again with half the budget and answers', async () => {
      const channel = await cluster.sandbox.createChannel(guildId, { name: 'too-long' });
      for (const [index, text] of ['one', 'two', 'three'].entries()) {
        cluster.sandbox.userSays(olive.id, channel.id, `@Alice ${text}`);
        await cluster.sandbox.waitForMessages(channel.id, 2 * (index + 1), WAIT_MS);
      }
      // system + six history turns + the message: eight; the model takes five at most.
      cluster.aiStub.setBehaviour({ contextLimit: { maxMessages: 5 } });
      try {
        cluster.sandbox.userSays(olive.id, channel.id, '@Alice four');
        await cluster.sandbox.waitForMessages(channel.id, 8, WAIT_MS);
      } finally {
        cluster.aiStub.resetBehaviour();
      }
      const tries = cluster.aiStub.requests.filter(
        (request) => request.messages.at(-1)?.content === 'Olive: four',
      );
      expect(tries.map((request) => request.status)).toEqual([400, 200]);
      expect(tries[1]!.messages.length).toBeLessThanOrEqual(5);
      expect(cluster.sandbox.transcript(channel.id).at(-1)?.authorName).toBe('Alice');
      const logged = cluster.processes
        .flatMap((process) => process.logs)
        .find(
          (record) =>
            record['msg'] === 'prompt too long for the model; assembling it again with half the budget',
        );
      expect(logged).toBeDefined();
    });
  });
});
