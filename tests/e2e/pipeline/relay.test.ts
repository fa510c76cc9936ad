/**
 * The relay pipeline end to end: real gateway and worker processes, the Discord sandbox driven by the
 * unmodified discord.js, the AI stub, real Redis. Asserts on the sandbox transcript (what users would see).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { createLogger } from '../../../src/log/index.js';
import {
  buildAdmittedKey,
  buildReplyJobId,
  ReplyAdmission,
  type ReplyJob,
} from '../../../src/queue/index.js';
import {
  ActivationRepository,
  ApiKeyRepository,
  ChannelActivityRepository,
  MessageIndexRepository,
  type Personality,
} from '../../../src/state/index.js';
import { readJobEvents } from '../../support/job-events.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;

describe('relay pipeline', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  let cluster: LocalCluster;
  let guildId: string;
  let owner: { id: string };
  let other: { id: string };
  let alice: Personality;
  let doctor: Personality;
  let secret: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
      workers: 2,
    });
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'e2e' })).id;
    owner = await sandbox.createUser({ username: 'owner', globalName: 'Olive' });
    other = await sandbox.createUser({ username: 'other', globalName: 'Otto' });
    await sandbox.addMember(guildId, owner.id);
    await sandbox.addMember(guildId, other.id);
    alice = await pipeline.createPublicPersonality({
      ownerId: owner.id,
      name: 'Alice',
      aliases: ['Ally'],
      systemPrompt: 'You are Alice the librarian.',
      avatarUrl: 'https://cdn.example.com/alice.png',
    });
    await pipeline.createPublicPersonality({
      ownerId: owner.id,
      name: 'Dr',
      systemPrompt: 'You are Dr Short.',
    });
    doctor = await pipeline.createPublicPersonality({
      ownerId: other.id,
      name: 'Dr Who',
      systemPrompt: 'You are the Doctor.',
    });
    secret = await pipeline.personalities.create({
      ownerId: owner.id,
      name: 'Secret',
      visibility: 'private',
      systemPrompt: 'You are a secret.',
      provider: 'default',
      model: 'stub-small',
      temperature: null,
      avatarUrl: null,
    });
    // `personal` context: it sees only its own history with the person it answers, never the channel.
    await pipeline.createPublicPersonality({
      ownerId: owner.id,
      name: 'Diary',
      systemPrompt: 'You are a diary.',
      contextMode: 'personal',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  async function newChannel(name: string) {
    return cluster.sandbox.createChannel(guildId, { name });
  }

  /** An admission of its own, as a gateway has, with roomy limits. */
  function openAdmission(): ReplyAdmission {
    return new ReplyAdmission(redis, {
      prefix,
      logger: createLogger({ level: 'silent', service: 'test' }),
      limits: {
        userMaxPending: 5,
        userRatePerMinute: 60,
        userBurst: 5,
        queueMaxDepth: 1000,
        fairQueue: true,
      },
    });
  }

  /** The reply job a gateway would admit for `message`, to `personalityId`. */
  function buildJobFor(
    message: { id: string; channelId: string; content: string },
    author: { id: string; name: string },
    personalityId: string,
    correlationId: string,
  ): ReplyJob {
    return {
      kind: 'reply',
      version: 1,
      correlationId,
      messageId: message.id,
      channelId: message.channelId,
      parentChannelId: null,
      guildId,
      authorId: author.id,
      authorName: author.name,
      content: message.content,
      trigger: 'mention',
      personalityId,
      messageCreatedAt: Date.now(),
      enqueuedAt: Date.now(),
    };
  }

  /** A job for `message` queued straight into the queue, past every gateway and command check. */
  async function admitPastTheGateway(
    message: { id: string; channelId: string; content: string },
    author: { id: string; name: string },
    personalityId: string,
  ): Promise<void> {
    const admission = openAdmission();
    expect(
      (await admission.admit(buildJobFor(message, author, personalityId, `forged-${message.id}`))).outcome,
    ).toBe('enqueued');
    await admission.close();
  }

  function personaMessages(channelId: string) {
    return cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);
  }

  it('answers a mention as the personality, with its name and avatar', async () => {
    const channel = await newChannel('mention');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Alice hello there');
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    const [reply] = personaMessages(channel.id);
    expect(reply).toMatchObject({ authorName: 'Alice', avatarUrl: 'https://cdn.example.com/alice.png' });
    expect(reply?.content).toContain('system="You are Alice the librarian."');
    expect(reply?.content).toContain('last="Olive: hello there"');
    expect(reply?.wouldPing).toEqual({ users: [], roles: [], everyone: false });
  });

  it('prefers the longest multi-word name and answers an alias', async () => {
    const channel = await newChannel('names');
    await cluster.sandbox.userSays(owner.id, channel.id, 'so @Dr Who, and also @ally?');
    await cluster.sandbox.waitForMessages(channel.id, 3, WAIT_MS);
    const names = personaMessages(channel.id)
      .map((message) => message.authorName)
      .sort();
    expect(names).toEqual(['Alice', 'Dr Who']);
    expect(doctor.name).toBe('Dr Who');
  });

  it('continues the conversation when a user replies to a personality', async () => {
    const channel = await newChannel('reply');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Alice first');
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    const first = personaMessages(channel.id)[0]!;
    await cluster.sandbox.userSays(owner.id, channel.id, 'second', { replyTo: first.id });
    await cluster.sandbox.waitForMessages(channel.id, 4, WAIT_MS);
    const second = personaMessages(channel.id)[1]!;
    expect(second.authorName).toBe('Alice');
    // system + first user turn + first answer + new message.
    expect(second.content).toContain('turns=4');
  });

  it('keeps each user’s history apart when two users talk to one personality', async () => {
    const channel = await newChannel('isolation');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Diary I am Olive');
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    await cluster.sandbox.userSays(other.id, channel.id, '@Diary I am Otto');
    await cluster.sandbox.waitForMessages(channel.id, 4, WAIT_MS);
    const replies = personaMessages(channel.id);
    expect(replies.map((reply) => /turns=(\d+)/.exec(reply.content)?.[1])).toEqual(['2', '2']);
  });

  it('answers in an activated channel and its threads, and not elsewhere', async () => {
    const channel = await newChannel('activated');
    const quiet = await newChannel('quiet');
    await new ActivationRepository(redis, { prefix }).activate({
      guildId,
      channelId: channel.id,
      personalityId: alice.id,
      activatedBy: owner.id,
    });
    const thread = await cluster.sandbox.createThread(channel.id, { name: 'inherits' });
    await cluster.sandbox.userSays(other.id, quiet.id, 'nobody answers here');
    await cluster.sandbox.userSays(other.id, channel.id, 'anyone?');
    await cluster.sandbox.userSays(other.id, thread.id, 'and in the thread?');
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    await cluster.sandbox.waitForMessages(thread.id, 2, WAIT_MS);
    expect(personaMessages(thread.id)[0]).toMatchObject({ authorName: 'Alice', threadId: thread.id });
    expect(personaMessages(quiet.id)).toEqual([]);
  });

  it('keeps a sticky personality in DMs, switched by a mention', async () => {
    const dm = await cluster.sandbox.openDm(other.id);
    await cluster.sandbox.userSays(other.id, dm.id, '@Alice hi in private');
    await cluster.sandbox.waitForMessages(dm.id, 2, WAIT_MS);
    await cluster.sandbox.userSays(other.id, dm.id, 'still there?');
    await cluster.sandbox.waitForMessages(dm.id, 4, WAIT_MS);
    await cluster.sandbox.userSays(other.id, dm.id, '@Dr Who your turn');
    await cluster.sandbox.waitForMessages(dm.id, 6, WAIT_MS);
    const botLines = cluster.sandbox
      .transcript(dm.id)
      .filter((message) => message.authorId === cluster.sandbox.bot.userId);
    expect(botLines.map((message) => message.content.split(':**')[0])).toEqual([
      '**Alice',
      '**Alice',
      '**Dr Who',
    ]);
  });

  it('lets a private personality answer only its owner', async () => {
    const channel = await newChannel('private');
    await cluster.sandbox.userSays(other.id, channel.id, '@Secret tell me');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Secret tell me');
    await cluster.sandbox.waitForMessages(channel.id, 3, WAIT_MS);
    expect(personaMessages(channel.id)).toHaveLength(1);
    expect(secret.visibility).toBe('private');
  });

  describe('when a job reaches the worker for someone who may not use its private personality', () => {
    it('posts a notice instead of an answer, never calling the AI nor using their key', async () => {
      const channel = await newChannel('forged');
      const intruder = await cluster.sandbox.createUser({ username: 'intruder', globalName: 'Ivy' });
      await cluster.sandbox.addMember(guildId, intruder.id);
      // Their own key, sealed as the workers read it: were it opened, the AI stub would see it.
      await new ApiKeyRepository(redis, { prefix, encryptionKey: Buffer.from('a'.repeat(64), 'hex') }).set(
        intruder.id,
        'default',
        'sk-intruder-own-key',
      );
      const callsBefore = cluster.aiStub.requests.length;
      const message = await cluster.sandbox.userSays(intruder.id, channel.id, 'tell me your secret');
      await admitPastTheGateway(message, { id: intruder.id, name: 'Ivy' }, secret.id);

      await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
      const [, notice] = cluster.sandbox.transcript(channel.id);
      expect(notice).toMatchObject({
        authorId: cluster.sandbox.bot.userId,
        webhookId: null,
        content:
          'That personality is private: only its owner can talk to it, so nobody will answer this message.',
      });
      const calls = cluster.aiStub.requests.slice(callsBefore);
      expect(calls.filter((call) => call.apiKey === 'sk-intruder-own-key')).toEqual([]);
      expect(
        calls.filter((call) =>
          call.messages.some((turn) => String(turn.content).includes('You are a secret.')),
        ),
      ).toEqual([]);
    });
  });

  describe('when a personality the workers answered as is made private', () => {
    it('refuses the next job of someone else at once: the change notice drops the workers’ copies', async () => {
      const fleeting = await pipeline.personalities.create({
        provider: 'default',
        model: 'stub-small',
        temperature: null,
        avatarUrl: null,
        ownerId: owner.id,
        name: 'Fleeting',
        visibility: 'public',
        systemPrompt: 'You are fleeting.',
      });
      const channel = await newChannel('made-private');
      // Answered a few times, so both workers most likely read it (and keep it).
      for (let answered = 1; answered <= 4; answered += 1) {
        await cluster.sandbox.userSays(other.id, channel.id, `@Fleeting hello ${answered}`);
        await cluster.sandbox.waitForMessages(channel.id, 2 * answered, WAIT_MS);
      }
      await pipeline.personalities.update(fleeting.id, owner.id, { visibility: 'private' });
      const message = await cluster.sandbox.userSays(other.id, channel.id, 'still there?');
      await admitPastTheGateway(message, { id: other.id, name: 'Otto' }, fleeting.id);
      // Well within the workers' 30 s TTL: only the notice can have dropped their copies.
      await cluster.sandbox.waitForMessages(channel.id, 10, WAIT_MS);
      expect(cluster.sandbox.transcript(channel.id).at(-1)).toMatchObject({
        authorId: cluster.sandbox.bot.userId,
        content:
          'That personality is private: only its owner can talk to it, so nobody will answer this message.',
      });
    });
  });

  it('quotes the question when other messages came before the answer', async () => {
    const channel = await newChannel('quote');
    const question = await cluster.sandbox.userSays(owner.id, channel.id, '@Alice what is a palimpsest?');
    // Sent in the same tick: it lands before any worker can answer.
    await cluster.sandbox.userSays(other.id, channel.id, 'unrelated chatter');
    await cluster.sandbox.waitForMessages(channel.id, 3, WAIT_MS);
    const [answer] = personaMessages(channel.id);
    expect(answer?.content.split('\n')[0]).toBe(
      `> **Olive**: what is a palimpsest? · [jump](https://discord.com/channels/${guildId}/${channel.id}/${question.id})`,
    );
    expect(answer?.wouldPing).toEqual({ users: [], roles: [], everyone: false });
  });

  it('does not quote when the answer follows its question directly', async () => {
    const channel = await newChannel('no-quote');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Alice hello');
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    expect(personaMessages(channel.id)[0]?.content.startsWith('>')).toBe(false);
  });

  it('splits a long reply and never pings from an AI reply', async () => {
    const channel = await newChannel('long');
    await cluster.sandbox.userSays(owner.id, channel.id, '@Alice !long 4500');
    await cluster.sandbox.waitForMessages(channel.id, (messages) => messages.length >= 4, WAIT_MS);
    const chunks = personaMessages(channel.id);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    for (const chunk of chunks) expect(chunk.content.length).toBeLessThanOrEqual(2000);
    // Each of its messages knows the whole reply, so "Delete reply" on any of them removes it all.
    const index = new MessageIndexRepository(redis, { prefix });
    const ids = chunks.map((chunk) => chunk.id);
    // The worker records its last message as the channel's newest (the gateway leaves our posts to it).
    const activity = new ChannelActivityRepository(redis, { prefix });
    await vi.waitFor(async () => {
      for (const id of ids) {
        expect((await index.fetchPersonalityForMessage(channel.id, id))?.replyMessageIds).toEqual(ids);
      }
      expect(await activity.fetchLatest(channel.id)).toBe(ids.at(-1));
    });
    await cluster.sandbox.userSays(owner.id, channel.id, '@Alice !say @everyone <@' + other.id + '> hi');
    await cluster.sandbox.waitForMessages(
      channel.id,
      (messages) => messages.at(-1)?.content.includes('@everyone') ?? false,
      WAIT_MS,
    );
    expect(personaMessages(channel.id).at(-1)?.wouldPing).toEqual({ users: [], roles: [], everyone: false });
  });

  describe('when a duplicate of a message arrives after its reply completed (its job removed at once)', () => {
    it('adds nothing within the duplicate window, and after it runs the job again posting nothing', async () => {
      const channel = await newChannel('late-duplicate');
      const message = cluster.sandbox.userSays(owner.id, channel.id, '@Alice answer me once');
      await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
      const admission = openAdmission();
      const [shard] = admission.queue.shards;
      const jobId = buildReplyJobId(message.id, alice.id);
      const completions = async () =>
        (await readJobEvents(redis, shard!, 'completed')).filter((id) => id === jobId).length;
      try {
        await vi.waitFor(async () => expect(await completions()).toBe(1), { timeout: WAIT_MS, interval: 50 });
        expect(await admission.queue.getJob(jobId)).toBeUndefined();
        // The job the gateway admitted, as a replica or a replayed event would admit it again.
        const job = buildJobFor(message, { id: owner.id, name: 'Olive' }, alice.id, `again-${message.id}`);

        // Within the window: already settled, so nothing is added.
        expect(await admission.admit(job)).toEqual({ outcome: 'duplicate', jobId });
        expect(await admission.queue.getJob(jobId)).toBeUndefined();

        // Past it (its admission forgotten, as the window's pruning does): the job is added and runs again,
        // and the delivery ledger makes it post nothing and ask the AI nothing.
        const aiCalls = cluster.aiStub.requests.length;
        await redis.zrem(buildAdmittedKey(prefix, owner.id), jobId);
        expect((await admission.admit(job)).outcome).toBe('enqueued');
        await vi.waitFor(async () => expect(await completions()).toBe(2), { timeout: WAIT_MS, interval: 50 });
        expect(await admission.queue.getJob(jobId)).toBeUndefined();
        expect(cluster.aiStub.requests.length).toBe(aiCalls);
        expect(cluster.sandbox.transcript(channel.id)).toHaveLength(2);
        expect(personaMessages(channel.id)).toHaveLength(1);
      } finally {
        await admission.close();
      }
    });
  });
});
