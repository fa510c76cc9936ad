/**
 * Personalities answering each other, and proxy bots, end to end: real gateway and worker processes, the
 * Discord sandbox (playing PluralKit), the AI stub scripted to make one personality name another, real Redis.
 */
import { QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { createLogger } from '../../../src/log/index.js';
import {
  buildBullPrefix,
  buildReplyJobId,
  createReplyQueue,
  QUEUE_NAME,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';
import { connectTestRedis } from '../../support/redis.js';

const WAIT_MS = 20_000;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('personality chains and proxy bots', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  let cluster: LocalCluster;
  let queue: ReplyQueue;
  let queueEvents: QueueEvents;
  const eventsConnection = connectTestRedis();
  /** Each reply job's data, read as it is added (a completed job is removed at once), by job id. */
  const addedJobs = new Map<string, Promise<ReplyJob | undefined>>();
  /** How each reply job ended (its return value), by job id. */
  const outcomes = new Map<string, unknown>();
  let guildId: string;
  let olive: { id: string };
  let otto: { id: string };
  let pat: { id: string };
  let alice: Personality;
  let bob: Personality;

  beforeAll(async () => {
    // PROXY_BOT_APPLICATION_IDS keeps its default (PluralKit's and Tupperbox's): the sandbox plays PluralKit.
    cluster = await pipeline.start({
      env: {
        USER_BURST: '50',
        USER_RATE_PER_MINUTE: '600',
        USER_MAX_PENDING: '20',
        PERSONALITY_CHAIN_DEPTH: '3',
        PERSONALITY_CHAIN_PER_MINUTE: '10',
      },
      workers: 2,
    });
    const { sandbox } = cluster;
    guildId = sandbox.createGuild({ name: 'group' }).id;
    olive = sandbox.createUser({ username: 'olive', globalName: 'Olive' });
    otto = sandbox.createUser({ username: 'otto', globalName: 'Otto' });
    pat = sandbox.createUser({ username: 'pat', globalName: 'Pat' });
    for (const user of [olive, otto, pat]) sandbox.addMember(guildId, user.id);
    // `personal` context: the stub's directives (`!wait`, `!say`) in a channel's earlier lines must not reach
    // another personality's prompt.
    alice = await pipeline.createPublicPersonality({
      ownerId: olive.id,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
      contextMode: 'personal',
    });
    bob = await pipeline.createPublicPersonality({
      ownerId: otto.id,
      name: 'Bob',
      systemPrompt: 'You are Bob the builder.',
      contextMode: 'personal',
    });
    queue = createReplyQueue(redis, { prefix, logger: createLogger({ level: 'silent', service: 'test' }) });
    // From the stream's start: no job added before the listener is missed. A job's data is read the moment its
    // `added` event arrives, long before its reply (the AI stub and the sandbox answer in this process) lets it
    // complete.
    queueEvents = new QueueEvents(QUEUE_NAME, {
      connection: eventsConnection,
      prefix: buildBullPrefix(prefix),
      lastEventId: '0-0',
    });
    queueEvents.on('added', ({ jobId }) => {
      addedJobs.set(
        jobId,
        queue.getJob(jobId).then((job) => job?.data),
      );
    });
    queueEvents.on('completed', ({ jobId, returnvalue }) => {
      outcomes.set(jobId, returnvalue);
    });
    await queueEvents.waitUntilReady();
  }, 60_000);

  afterEach(() => {
    cluster.aiStub.resetBehaviour();
  });

  afterAll(async () => {
    await queueEvents?.close();
    eventsConnection.disconnect();
    await queue?.close();
    await pipeline.close();
  });

  function newChannel(name: string) {
    return cluster.sandbox.createChannel(guildId, { name });
  }

  /** Messages our personalities posted (not the proxy bot's). */
  function personaMessages(channelId: string) {
    return cluster.sandbox
      .transcript(channelId)
      .filter((message) => message.authorName === 'Alice' || message.authorName === 'Bob');
  }

  function logsOf(role: 'gateway' | 'worker', msg: string, channelId: string) {
    return cluster.processes
      .filter((process) => process.role === role)
      .flatMap((process) => process.logs)
      .filter((entry) => entry['msg'] === msg && entry['channelId'] === channelId);
  }

  /** The completed job of `messageId` × `personality`: its data as added and how it ended. */
  async function waitForFinishedJob(messageId: string, personality: Personality) {
    const jobId = buildReplyJobId(messageId, personality.id);
    await vi.waitFor(() => expect(outcomes.has(jobId)).toBe(true), { timeout: WAIT_MS, interval: 100 });
    const data = await addedJobs.get(jobId);
    expect(data, `${jobId}: data read when it was added`).toBeDefined();
    return { data: data!, outcome: outcomes.get(jobId) };
  }

  describe('personalities answering each other', () => {
    it('A chain of personalities stops at the depth limit', async () => {
      cluster.aiStub.setBehaviour({
        script: [
          { systemIncludes: 'You are Alice', reply: '@Bob over to you' },
          { systemIncludes: 'You are Bob', reply: '@Alice back to you' },
        ],
      });
      const channel = newChannel('chain-depth');
      const question = cluster.sandbox.userSays(olive.id, channel.id, '@Alice start a debate with Bob');
      await vi.waitFor(
        () =>
          expect(logsOf('gateway', 'personality chain stopped at its depth limit', channel.id)).toHaveLength(
            1,
          ),
        { timeout: WAIT_MS, interval: 100 },
      );
      const replies = personaMessages(channel.id);
      // The answer to Olive, then three links: Bob, Alice, Bob. Alice's fourth turn would be depth 4.
      expect(replies.map((reply) => reply.authorName)).toEqual(['Alice', 'Bob', 'Alice', 'Bob']);
      expect(cluster.sandbox.transcript(channel.id)).toHaveLength(5);
      expect(logsOf('gateway', 'personality chain stopped at its depth limit', channel.id)[0]).toMatchObject({
        chainDepth: 4,
        userId: olive.id,
      });

      // Every link ran for Olive, who started the chain, in the speaking personality's name.
      const links = await Promise.all(
        replies
          .slice(0, 3)
          .map((reply, index) => waitForFinishedJob(reply.id, index % 2 === 0 ? bob : alice)),
      );
      expect(links.map(({ data }) => data.chain)).toEqual([
        { depth: 1, speakerPersonalityId: alice.id, rootMessageId: question.id },
        { depth: 2, speakerPersonalityId: bob.id, rootMessageId: question.id },
        { depth: 3, speakerPersonalityId: alice.id, rootMessageId: question.id },
      ]);
      expect(links.map(({ data }) => [data.authorId, data.authorName])).toEqual([
        [olive.id, 'Alice'],
        [olive.id, 'Bob'],
        [olive.id, 'Alice'],
      ]);
      expect(links.map(({ outcome }) => outcome)).toEqual(['replied', 'replied', 'replied']);
    });

    it('stops the links not started yet when a person speaks in the channel', async () => {
      cluster.aiStub.setBehaviour({
        script: [{ systemIncludes: 'You are Alice', reply: '@Bob what do you think?' }],
      });
      const channel = newChannel('chain-interrupted');
      // Bob is busy with an earlier question of Olive's: the link Alice starts for Olive waits behind it, for
      // long enough that a loaded machine still posts Alice's answer and Otto's message before it starts.
      cluster.sandbox.userSays(olive.id, channel.id, '@Bob !wait 6000 !say first things first');
      cluster.sandbox.userSays(olive.id, channel.id, '@Alice what should we build?');
      const transcript = await cluster.sandbox.waitForMessages(
        channel.id,
        (messages) => messages.some((message) => message.authorName === 'Alice'),
        WAIT_MS,
      );
      const aliceAnswer = transcript.find((message) => message.authorName === 'Alice')!;
      expect(aliceAnswer.content).toBe('@Bob what do you think?');
      cluster.sandbox.userSays(otto.id, channel.id, 'hold on, let me show you something first');

      const link = await waitForFinishedJob(aliceAnswer.id, bob);
      expect(link.outcome).toBe('cancelled');
      expect(
        logsOf('worker', 'personality chain link cancelled: a person spoke since', channel.id),
      ).toHaveLength(1);
      expect(link.data.chain?.depth).toBe(1);
      // Only Bob's answer to Olive's own question (quoting it: other messages came since).
      const replies = personaMessages(channel.id);
      expect(replies.map((reply) => [reply.authorName, reply.content.split('\n').at(-1)])).toEqual([
        ['Alice', '@Bob what do you think?'],
        ['Bob', 'first things first'],
      ]);
    });
  });

  describe('proxy bots', () => {
    it.each(['copy-first', 'delete-first'] as const)(
      'A proxied message gets one reply, attributed to the member (%s)',
      async (order) => {
        // The AI takes a moment, as a real one does: the original's reply is under way when it is cancelled.
        cluster.aiStub.setBehaviour({ latency: 500 });
        const channel = newChannel(`proxy-${order}`);
        const original = cluster.sandbox.userSays(pat.id, channel.id, '[@Alice  hello from the system]');
        const copy = await cluster.sandbox.playProxyBot({
          originalMessageId: original.id,
          memberName: 'Aster',
          content: '@Alice hello from the system',
          order,
        });
        expect(copy).toMatchObject({ authorName: 'Aster', webhookId: expect.any(String) });
        // Someone speaks before the answer: it opens with a quote line naming who it answers.
        cluster.sandbox.userSays(otto.id, channel.id, 'welcome!');

        const answered = await waitForFinishedJob(copy.id, alice);
        expect(answered.outcome).toBe('replied');
        expect(answered.data).toMatchObject({
          authorId: pat.id,
          authorName: 'Aster',
          proxiedFromMessageId: original.id,
        });
        expect((await waitForFinishedJob(original.id, alice)).outcome).toBe('cancelled');
        // Any second answer would have been posted by now.
        await settle(1000);
        const replies = personaMessages(channel.id);
        expect(replies).toHaveLength(1);
        const [quote, ...body] = replies[0]!.content.split('\n');
        expect(quote).toBe(
          `> **Aster**: hello from the system · [jump](https://discord.com/channels/${guildId}/${channel.id}/${copy.id})`,
        );
        expect(body.join('\n')).toContain('last="Aster: hello from the system"');
        expect(cluster.sandbox.transcript(channel.id).map((message) => message.id)).not.toContain(
          original.id,
        );
      },
    );
  });
});
