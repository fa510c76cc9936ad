/**
 * Many users at once under Discord's real limits (sandbox rate limits on): 30 users × 3 messages over 5
 * channels → exactly 90 replies, each answering the right message, none doubled, each conversation in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const USERS = 30;
const MESSAGES_PER_USER = 3;
const CHANNELS = 5;

describe('many users at once under Discord limits', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;

  beforeAll(async () => {
    // Discord's limits as they are (5 per 2 s per webhook, 50/s global), default per-user limits.
    cluster = await pipeline.start({
      aiStub: { behaviour: { latency: 30 } },
      workers: 2,
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  it('answers every message exactly once, in each conversation’s order', async () => {
    const { sandbox } = cluster;
    const guild = await sandbox.createGuild({ name: 'busy' });
    const channels = await Promise.all(
      Array.from({ length: CHANNELS }, (_, index) =>
        sandbox.createChannel(guild.id, { name: `room-${index}` }),
      ),
    );
    const users = await Promise.all(
      Array.from({ length: USERS }, (_, index) =>
        sandbox.createUser({ username: `u${index}`, globalName: `User${index}` }),
      ),
    );
    await Promise.all(users.map((user) => sandbox.addMember(guild.id, user.id)));
    await pipeline.createPublicPersonality({
      ownerId: users[0]!.id,
      name: 'Echo',
      systemPrompt: 'You echo.',
      // The test maps each reply to its message through the stub's echo of the last user turn.
      contextMode: 'personal',
    });

    // Every user sends three messages back to back, all users at once.
    const sent = new Map<string, { channelId: string; user: number; index: number }>();
    await Promise.all(
      users.map(async (user, userIndex) => {
        const channel = channels[userIndex % CHANNELS]!;
        for (let index = 1; index <= MESSAGES_PER_USER; index += 1) {
          const text = `@Echo u${userIndex} m${index}`;
          const message = await sandbox.userSays(user.id, channel.id, text);
          sent.set(`User${userIndex}: u${userIndex} m${index}`, {
            channelId: channel.id,
            user: userIndex,
            index,
          });
          expect(message.id).toBeTruthy();
        }
      }),
    );

    const total = USERS * MESSAGES_PER_USER;
    const replies = () =>
      channels.flatMap((channel) =>
        sandbox.transcript(channel.id).filter((message) => message.webhookId !== null),
      );
    const deadline = Date.now() + 60_000;
    while (replies().length < total && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 200));
    // A little longer, so a late duplicate would show.
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const all = replies();
    expect(all).toHaveLength(total);
    const answered = all.map((reply) => /last="([^"]+)"/u.exec(reply.content)?.[1] ?? '');
    expect(new Set(answered).size).toBe(total);
    for (const [index, reply] of all.entries()) {
      const origin = sent.get(answered[index]!);
      expect(origin, `reply answers an unknown message: ${answered[index]}`).toBeDefined();
      expect(reply.channelId).toBe(origin!.channelId);
    }
    // In order per conversation, and each saw the turns before it (system + 2 per earlier exchange + 1).
    for (let user = 0; user < USERS; user += 1) {
      const mine = all.filter((reply) => reply.content.includes(`last="User${user}: `));
      expect(mine.map((reply) => /m(\d)"/u.exec(reply.content)?.[1])).toEqual(['1', '2', '3']);
      expect(mine.map((reply) => /turns=(\d+)/u.exec(reply.content)?.[1])).toEqual(['2', '4', '6']);
    }
    expect(sandbox.stats().rateLimited).toBe(0);
  }, 90_000);
});
