/**
 * TaskProcessor on a real BullMQ queue and Redis, testing keys against the AI stub. Discord's side is a
 * recorder of what the processor asks of it (edits of the interaction reply, deletions through the webhook
 * manager); tests/e2e/commands covers the same path against the Discord sandbox.
 */
import { Job, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import { AiService } from '../../../src/ai/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log/index.js';
import { MemoryRepository, MemorySummarizer } from '../../../src/memory/index.js';
import { buildBullPrefix } from '../../../src/queue/index.js';
import {
  ApiKeyRepository,
  ChannelActivityRepository,
  ConversationRepository,
  type Personality,
} from '../../../src/state/index.js';
import {
  createTaskQueue,
  enqueueTask,
  TASK_QUEUE_NAME,
  type TaskJob,
  type TaskOutcome,
  TaskProcessor,
  type TaskQueue,
} from '../../../src/tasks/index.js';
import { buildTestEnv } from '../../support/env.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const GOOD_KEY = 'sk-good-key-aaaaaaaaaaaa';
const BAD_KEY = 'sk-bad-key-bbbbbbbbbbbb';
const TOKEN = 'aW50ZXJhY3Rpb246c2VjcmV0LWludGVyYWN0aW9uLXRva2Vu';

interface Edit {
  readonly route: string;
  readonly content: string;
}

describe('TaskProcessor', () => {
  const prefix = createTestPrefix();
  let redis: Redis;
  let connection: Redis;
  let stub: AiStub;
  let ai: AiService;
  let apiKeys: ApiKeyRepository;
  let memory: MemoryRepository;
  let channelActivity: ChannelActivityRepository;
  let conversations: ConversationRepository;
  let queue: TaskQueue;
  let worker: Worker;
  const logLines: string[] = [];
  const edits: Edit[] = [];
  /** Outcomes of completed jobs (which are removed from Redis at once), by job id. */
  const outcomes = new Map<string, TaskOutcome>();
  const deletions: Array<[string, string]> = [];
  const greetings: Array<{ target: unknown; message: unknown }> = [];
  const forgotten: string[][] = [];
  let forgetFailures: unknown[] = [];
  /** What the next deletions and edits do instead of succeeding. */
  let deleteFailures: unknown[] = [];
  let editFailures: unknown[] = [];
  let interactionCounter = 900_000_000_000_000_000n;

  beforeAll(async () => {
    redis = createTestRedis();
    connection = createTestRedis();
    stub = await AiStub.start();
    stub.setKeyBehaviour(BAD_KEY, { rejectKey: true });
    const config = loadConfig(buildTestEnv({ AI_BASE_URL: stub.baseUrl }));
    const logger = createLogger(
      { level: 'debug', service: 'test-worker' },
      { write: (line: string) => logLines.push(line) },
    );
    ai = new AiService({ config: config.ai, logger });
    apiKeys = new ApiKeyRepository(redis, { prefix, encryptionKey: config.encryptionKey });
    memory = new MemoryRepository(redis, { prefix, ttlSeconds: 3600 });
    channelActivity = new ChannelActivityRepository(redis, { prefix });
    conversations = new ConversationRepository(redis, {
      prefix,
      maxTurns: 2,
      maxChars: 24_000,
      ttlSeconds: 3600,
    });
    const processor = new TaskProcessor({
      apiKeys,
      ai,
      webhooks: {
        deletePosted: async (channelId, messageId) => {
          const failure = deleteFailures.shift();
          if (failure !== undefined) throw failure;
          deletions.push([channelId, messageId]);
        },
        postAsPersona: async (target, message) => {
          greetings.push({ target, message });
          return { messageId: '6010', webhookId: null };
        },
      },
      channelActivity,
      channelWebhooks: {
        forgetChannels: async (channelIds) => {
          const failure = forgetFailures.shift();
          if (failure !== undefined) throw failure;
          forgotten.push([...channelIds]);
        },
      },
      rest: {
        patch: async (route, options) => {
          const failure = editFailures.shift();
          if (failure !== undefined) throw failure;
          edits.push({ route, content: (options?.body as { content?: string } | undefined)?.content ?? '' });
          return undefined;
        },
      },
      memory: {
        summarizer: new MemorySummarizer({ memory, ai, logger }),
        // `brokenpersona` names a provider nobody configured: its summarization fails every attempt.
        personalities: {
          fetchById: async (id) =>
            id === 'alicepersona' || id === 'brokenpersona'
              ? ({
                  id,
                  provider: id === 'alicepersona' ? 'default' : 'nowhere',
                  model: 'stub-small',
                } as Personality)
              : null,
        },
        summaryModel: null,
      },
      logger,
    });
    queue = createTaskQueue(redis, { prefix, logger, backoffMs: 10 });
    worker = new Worker(TASK_QUEUE_NAME, (job) => processor.process(job), {
      connection,
      prefix: buildBullPrefix(prefix),
    });
    worker.on('completed', (job, result: TaskOutcome) => outcomes.set(job.id ?? '', result));
  });

  afterEach(() => {
    edits.length = 0;
    deletions.length = 0;
    forgotten.length = 0;
    forgetFailures = [];
    deleteFailures = [];
    editFailures = [];
  });

  afterAll(async () => {
    await worker.close();
    await queue.close();
    await ai.close();
    await stub.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    connection.disconnect();
  });

  function interaction() {
    interactionCounter += 1n;
    return { id: interactionCounter.toString(), applicationId: '800000000000000001', token: TOKEN };
  }

  /** Enqueues a task and resolves with its outcome (or its failure reason) once it is finished. */
  async function run(task: TaskJob): Promise<{ outcome: TaskOutcome | null; failedReason: string | null }> {
    const jobId = await enqueueTask(queue, task);
    for (;;) {
      // Completed jobs are removed at once: gone means done, with the outcome recorded by the worker event.
      const state = await queue.getJobState(jobId);
      if (state === 'unknown' && outcomes.has(jobId))
        return { outcome: outcomes.get(jobId) ?? null, failedReason: null };
      if (state === 'failed')
        return { outcome: null, failedReason: (await Job.fromId(queue, jobId))?.failedReason ?? null };
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  const keyTest = (userId: string): TaskJob => ({
    kind: 'apikey-test',
    version: 1,
    correlationId: `test-${userId}`,
    userId,
    provider: 'default',
    interaction: interaction(),
  });

  describe('apikey-test', () => {
    describe('when the key works', () => {
      it('edits the reply with the fingerprint and the model that answered', async () => {
        const { fingerprint } = await apiKeys.set('1001', 'default', GOOD_KEY);
        const task = keyTest('1001');
        expect(await run(task)).toEqual({ outcome: 'key-ok', failedReason: null });
        expect(edits).toEqual([
          {
            // discord.js's Routes percent-encodes the @ of @original.
            route: `/webhooks/800000000000000001/${TOKEN}/messages/%40original`,
            content: expect.stringMatching(
              new RegExp(
                `^Your key for \\*\\*default\\*\\* \\(fingerprint \`${fingerprint}\`\\) works: stub-model answered in \\d+ ms\\.$`,
                'u',
              ),
            ),
          },
        ]);
        expect(stub.requests.at(-1)?.apiKey).toBe(GOOD_KEY);
      });
    });

    describe('when the provider refuses the key', () => {
      it('says why, and another user’s key still works', async () => {
        await apiKeys.set('1002', 'default', BAD_KEY);
        expect((await run(keyTest('1002'))).outcome).toBe('key-failed');
        expect(edits[0]?.content).toMatch(/does not work: the provider refused this key \(HTTP 401\)\.$/u);
        expect((await run(keyTest('1001'))).outcome).toBe('key-ok');
        expect(edits[1]?.content).toContain('works');
      });
    });

    describe('when the user has no key any more', () => {
      it('says so', async () => {
        expect((await run(keyTest('1003'))).outcome).toBe('key-missing');
        expect(edits[0]?.content).toBe(
          'You have no key stored for **default** any more. Add one with /apikey set.',
        );
      });
    });

    describe('when the interaction expired before the result', () => {
      it('finishes without retrying', async () => {
        editFailures = [Object.assign(new Error('Invalid Webhook Token'), { code: 50027 })];
        expect((await run(keyTest('1001'))).outcome).toBe('key-ok');
        expect(edits).toEqual([]);
      });
    });
  });

  describe('delete-reply', () => {
    const deletion = (messageIds: string[]): TaskJob => ({
      kind: 'delete-reply',
      version: 1,
      correlationId: 'delete',
      userId: '1001',
      channelId: '2001',
      messageIds,
      interaction: interaction(),
    });

    describe('when the messages can be deleted', () => {
      it('deletes each through the webhook manager, then says "Deleted."', async () => {
        expect((await run(deletion(['3001', '3002']))).outcome).toBe('deleted');
        expect(deletions).toEqual([
          ['2001', '3001'],
          ['2001', '3002'],
        ]);
        expect(edits.map((edit) => edit.content)).toEqual(['Deleted.']);
      });
    });

    describe('when Discord refuses (Missing Permissions)', () => {
      it('says so without retrying', async () => {
        deleteFailures = [Object.assign(new Error('Missing Permissions'), { code: 50013 })];
        expect((await run(deletion(['3003']))).outcome).toBe('delete-forbidden');
        expect(edits.map((edit) => edit.content)).toEqual([
          'I am not allowed to delete that message here (missing permissions).',
        ]);
      });
    });

    describe('when deleting keeps failing', () => {
      it('retries, then tells the user it did not work', async () => {
        deleteFailures = [new Error('boom 1'), new Error('boom 2'), new Error('boom 3')];
        const result = await run(deletion(['3004']));
        expect(result.failedReason).toBe('boom 3');
        expect(edits.map((edit) => edit.content)).toEqual([
          'Sorry, that did not work because of an error on our side. Please try again.',
        ]);
      });
    });

    describe('when one attempt fails', () => {
      it('succeeds on the retry', async () => {
        deleteFailures = [new Error('transient')];
        expect((await run(deletion(['3005']))).outcome).toBe('deleted');
        expect(deletions).toEqual([['2001', '3005']]);
      });
    });
  });

  describe('forget-channels', () => {
    const forget = (sourceId: string, channelIds: string[]): TaskJob => ({
      kind: 'forget-channels',
      version: 1,
      correlationId: 'forget',
      sourceId,
      part: 0,
      channelIds,
    });

    describe('when a channel went', () => {
      it('has the webhook manager forget its channels, and edits no interaction', async () => {
        expect((await run(forget('5001', ['5001', '5002']))).outcome).toBe('channels-forgotten');
        expect(forgotten).toEqual([['5001', '5002']]);
        expect(edits).toEqual([]);
      });
    });

    describe('when forgetting fails once', () => {
      it('succeeds on the retry', async () => {
        forgetFailures = [new Error('transient')];
        expect((await run(forget('5003', ['5003']))).outcome).toBe('channels-forgotten');
        expect(forgotten).toEqual([['5003']]);
      });
    });

    describe('when forgetting keeps failing', () => {
      it('fails the task without trying to tell anyone', async () => {
        forgetFailures = [new Error('boom 1'), new Error('boom 2'), new Error('boom 3')];
        expect((await run(forget('5004', ['5004']))).failedReason).toBe('boom 3');
        expect(edits).toEqual([]);
      });
    });
  });

  describe('post-greeting', () => {
    it('posts the greeting as the personality, and edits no interaction', async () => {
      const task: TaskJob = {
        kind: 'post-greeting',
        version: 1,
        correlationId: 'greet',
        sourceId: '6001',
        guildId: '6002',
        channelId: '6003',
        parentChannelId: null,
        personalityId: 'abcdefgh1234',
        username: 'Seraphina',
        avatarUrl: null,
        content: 'Welcome, travellers.',
      };
      expect((await run(task)).outcome).toBe('greeting-posted');
      expect(greetings).toEqual([
        {
          target: { guildId: '6002', channelId: '6003', parentChannelId: null },
          message: { username: 'Seraphina', avatarUrl: null, content: 'Welcome, travellers.' },
        },
      ]);
      expect(edits).toEqual([]);
      // Our personalities' posts are not recorded by the gateway: the greeting is the channel's newest here.
      expect(await channelActivity.fetchLatest('6003')).toBe('6010');
    });
  });
  describe('summarize-memory', () => {
    const USER = '100000000000000077';
    /** Trims a conversation with `personalityId` past its caps; returns the task its claim asks for. */
    async function trim(personalityId: string): Promise<TaskJob> {
      const suffix = `c:2000:${personalityId}`;
      const handOver = memory.buildHandOver(USER, suffix);
      const turns = [0, 1, 2, 3].map((index) => ({
        role: index % 2 === 0 ? ('user' as const) : ('assistant' as const),
        content: index === 0 ? 'Kate: fact: owns a kayak' : 'more',
        messageId: `16000000000000000${index}`,
        at: 1_700_000_000_000 + index,
      }));
      const result = await conversations.appendTurns(USER, '2000', personalityId, turns, undefined, handOver);
      expect(result.claimed).toBe(true);
      return {
        kind: 'summarize-memory',
        version: 1,
        correlationId: 'memory',
        userId: USER,
        personalityId,
        suffix,
        claimToken: handOver.claimToken,
      };
    }

    describe('when the AI answers', () => {
      it('writes the summary and empties the pending list', async () => {
        expect((await run(await trim('alicepersona'))).outcome).toBe('memory-summarized');
        expect(await memory.fetchSummary(USER, 'c:2000:alicepersona')).toBe('fact: owns a kayak');
        expect(await memory.fetchPending(USER, 'c:2000:alicepersona')).toEqual([]);
      });
    });

    describe('when every attempt fails', () => {
      it('keeps the turns pending and releases the claim for the next append', async () => {
        const task = await trim('brokenpersona');
        expect((await run(task)).failedReason).not.toBeNull();
        expect(await memory.fetchPending(USER, 'c:2000:brokenpersona')).toHaveLength(2);
        expect(
          await memory.releaseClaim(
            USER,
            'c:2000:brokenpersona',
            (task as { claimToken: string }).claimToken,
          ),
        ).toBe(false);
      });
    });
  });

  describe('when a job is malformed', () => {
    it('fails it for good without echoing its data', async () => {
      const queueForRawJobs = new Queue(TASK_QUEUE_NAME, {
        connection: redis,
        prefix: buildBullPrefix(prefix),
      });
      const job = await queueForRawJobs.add(
        'apikey-test',
        { kind: 'apikey-test', token: TOKEN },
        { attempts: 3 },
      );
      await queueForRawJobs.close();
      while (!(await queue.getJobState(job.id ?? '')).startsWith('failed')) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const failed = await Job.fromId(queue, job.id ?? '');
      expect(failed?.failedReason).toMatch(/^invalid task: /u);
      expect(failed?.failedReason).not.toContain(TOKEN);
      expect(failed?.attemptsMade).toBe(1);
    });
  });

  describe('logs', () => {
    it('never contain a key or an interaction token', () => {
      const all = logLines.join('\n');
      expect(all).not.toContain(GOOD_KEY);
      expect(all).not.toContain(BAD_KEY);
      expect(all).not.toContain(TOKEN);
    });
  });
});
