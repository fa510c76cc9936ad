/**
 * A busy channel under Discord's hidden per-channel webhook limit (the sandbox's default: 30 per 60 s over all of a
 * channel's webhooks, a 40 s penalty past it): 15 users send 45 mentions at once into one channel. Every reply
 * arrives exactly once, none draws a 429, the batch takes no more than 10 % over what the limit allows, and a
 * second channel's replies meanwhile come at once. Serial: it asserts against Discord's wall-clock windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const BUSY_USERS = 15;
const MESSAGES_PER_USER = 3;
const OTHER_USERS = 3;
/**
 * What the limit allows for 45 replies: 30 go at once (a pool of two webhooks sends 10 per 2 s), and the 45th only
 * one window after the 15th, so about 2 s + 60 s; the issue rounds it to 61 s.
 */
const LIMIT_ALLOWS_MS = 61_000;
/** A reply in a quiet channel: the AI stub answers in 30 ms; the rest is the pipeline on a loaded machine. */
const QUIET_REPLY_MS = 3000;

describe('a busy channel under Discord’s per-channel webhook limit', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;

  beforeAll(async () => {
    // The sandbox's limits as Discord's, the per-channel one included; the fleet on its defaults (30 per minute).
    cluster = await pipeline.start({
      aiStub: { behaviour: { latency: 30 } },
      workers: 2,
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  it('posts every reply once, draws no 429, keeps to the limit’s pace and slows no other channel', async () => {
    const { sandbox } = cluster;
    const guild = sandbox.createGuild({ name: 'busy' });
    const busy = sandbox.createChannel(guild.id, { name: 'busy' });
    const quiet = sandbox.createChannel(guild.id, { name: 'quiet' });
    const users = Array.from({ length: BUSY_USERS + OTHER_USERS }, (_, index) => {
      const user = sandbox.createUser({ username: `u${index}`, globalName: `User${index}` });
      sandbox.addMember(guild.id, user.id);
      return user;
    });
    await pipeline.createPublicPersonality({
      ownerId: users[0]!.id,
      name: 'Echo',
      systemPrompt: 'You echo.',
      // The test maps each reply to its message through the stub's echo of the last user turn.
      contextMode: 'personal',
    });
    const arrivals = new Map<string, number>();
    const onMessage = ({
      message,
      at,
    }: {
      message: { id: string; webhookId: string | null };
      at: number;
    }) => {
      if (message.webhookId !== null) arrivals.set(message.id, at);
    };
    sandbox.events.on('messageCreated', onMessage);
    const rateLimitedBefore = sandbox.stats().rateLimited;

    const startedAt = Date.now();
    for (let index = 1; index <= MESSAGES_PER_USER; index += 1) {
      for (let user = 0; user < BUSY_USERS; user += 1)
        sandbox.userSays(users[user]!.id, busy.id, `@Echo u${user} m${index}`);
    }
    const total = BUSY_USERS * MESSAGES_PER_USER;
    const replies = (channelId: string) =>
      sandbox.transcript(channelId).filter((message) => message.webhookId !== null);

    // Once the busy channel's budget is spent, the quiet channel's users speak: their replies must not queue
    // behind the busy channel's.
    await sandbox.waitForMessages(
      busy.id,
      (messages) => messages.filter((m) => m.webhookId).length >= 30,
      30_000,
    );
    const quietSaidAt = Date.now();
    for (let user = BUSY_USERS; user < BUSY_USERS + OTHER_USERS; user += 1)
      sandbox.userSays(users[user]!.id, quiet.id, `@Echo quiet u${user}`);
    const quietReplies = await sandbox.waitForMessages(
      quiet.id,
      (messages) => messages.filter((m) => m.webhookId).length >= OTHER_USERS,
      QUIET_REPLY_MS,
    );
    expect(
      Math.max(...quietReplies.filter((m) => m.webhookId).map((m) => arrivals.get(m.id)!)) - quietSaidAt,
    ).toBeLessThan(QUIET_REPLY_MS);
    expect(replies(busy.id).length).toBeLessThan(total);

    await sandbox.waitForMessages(
      busy.id,
      (messages) => messages.filter((m) => m.webhookId).length >= total,
      90_000,
    );
    const doneMs = Math.max(...replies(busy.id).map((m) => arrivals.get(m.id)!)) - startedAt;
    // A little longer, so a late duplicate would show.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    sandbox.events.off('messageCreated', onMessage);

    const all = replies(busy.id);
    expect(all).toHaveLength(total);
    const answered = all.map((reply) => /last="User\d+: (u\d+ m\d)"/u.exec(reply.content)?.[1]);
    expect(new Set(answered).size).toBe(total);
    expect(sandbox.stats().rateLimited - rateLimitedBefore).toBe(0);
    expect(doneMs).toBeLessThanOrEqual(LIMIT_ALLOWS_MS * 1.1);
    // The replies past the budget waited as delayed jobs, and the workers said for which channel and how long.
    const delayed = cluster.processes
      .flatMap((process) => process.logs)
      .filter((line) => line['msg'] === "reply delayed until the channel's next slot");
    expect(delayed.length).toBeGreaterThan(0);
    for (const line of delayed) {
      expect(line['channelId']).toBe(busy.id);
      expect(line['retryAfterMs']).toBeGreaterThan(0);
    }
    console.info(`busy channel: ${total} replies in ${doneMs} ms (limit allows ~${LIMIT_ALLOWS_MS} ms)`);
  }, 150_000);
});
