/**
 * Group conversations end to end: personalities in `room` mode follow the channel, with three people and two
 * personalities talking in one channel. Real gateway and worker, the Discord sandbox with the unmodified
 * discord.js, the AI stub recording what it was sent, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { StubRequestRecord } from '../../../sandbox/ai-stub/index.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;

describe('a group conversation', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis, personalities } = pipeline;
  const windows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
  let cluster: LocalCluster;
  let guildId: string;
  let olive: { id: string };
  let sam: { id: string };
  let kim: { id: string };
  let doctor: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'group' })).id;
    olive = await sandbox.createUser({ username: 'olive', globalName: 'Olive' });
    sam = await sandbox.createUser({ username: 'sam', globalName: 'Sam' });
    kim = await sandbox.createUser({ username: 'kim', globalName: 'Kim' });
    for (const user of [olive, sam, kim]) await sandbox.addMember(guildId, user.id);
    await pipeline.createPublicPersonality({
      ownerId: olive.id,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
    });
    doctor = await pipeline.createPublicPersonality({
      ownerId: sam.id,
      name: 'Dr Who',
      systemPrompt: 'You are the Doctor.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  /** The newest AI request made for the personality whose system prompt is `systemPrompt`. */
  /**
   * The last request answering Kim's question: a chain link (Dr Who's echo names @Alice, whose echo names him)
   * may reach the stub after it, and is another request.
   */
  function lastRequestOf(systemPrompt: string): StubRequestRecord | undefined {
    return cluster.aiStub.requests.findLast(
      (request) =>
        request.messages[0]?.content === systemPrompt &&
        String(request.messages.at(-1)?.content).endsWith('Kim: do you agree with her?'),
    );
  }

  /** Alice and Dr Who in one channel; returns what Alice answered Sam. */
  async function playScene(channelId: string): Promise<string> {
    const { sandbox } = cluster;
    sandbox.userSays(olive.id, channelId, 'morning all');
    sandbox.userSays(sam.id, channelId, '@Alice which book should I read next?');
    const [, , aliceAnswer] = await sandbox.waitForMessages(channelId, 3, WAIT_MS);
    // The worker adds Alice's line to the window a moment after posting it (people take longer to answer).
    await vi.waitFor(
      async () => {
        const lines = await windows.fetchRecent(channelId, { limit: 10, sinceMs: 0 });
        expect(lines.some((line) => line.personalityId !== null)).toBe(true);
      },
      { timeout: WAIT_MS },
    );
    sandbox.userSays(kim.id, channelId, '@Dr Who do you agree with her?');
    await sandbox.waitForMessages(channelId, 5, WAIT_MS);
    return aliceAnswer!.content;
  }

  it("Dr Who's prompt holds what another user said to Alice and what Alice answered", async () => {
    const channel = await cluster.sandbox.createChannel(guildId, { name: 'room' });
    const aliceAnswer = await playScene(channel.id);
    const request = lastRequestOf('You are the Doctor.');
    expect(request?.messages.map(({ role, content }) => ({ role, content }))).toEqual([
      { role: 'system', content: 'You are the Doctor.' },
      {
        role: 'user',
        content: [
          // Olive's greeting came before the channel was live (nobody had been addressed there): not kept.
          'Sam: @Alice which book should I read next?',
          `Alice: ${aliceAnswer}`,
          'Kim: do you agree with her?',
        ].join('\n'),
      },
    ]);
  });

  it('in personal mode, Dr Who sees only his own history with the person', async () => {
    await personalities.update(doctor.id, doctor.ownerId, { contextMode: 'personal' });
    try {
      const channel = await cluster.sandbox.createChannel(guildId, { name: 'personal' });
      await playScene(channel.id);
      const request = lastRequestOf('You are the Doctor.');
      expect(request?.messages.map(({ role, content }) => ({ role, content }))).toEqual([
        { role: 'system', content: 'You are the Doctor.' },
        { role: 'user', content: 'Kim: do you agree with her?' },
      ]);
    } finally {
      await personalities.update(doctor.id, doctor.ownerId, { contextMode: 'room' });
    }
  });
});
