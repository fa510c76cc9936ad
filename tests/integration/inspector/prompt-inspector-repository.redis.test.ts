/**
 * PromptInspectorRepository and PromptRecorder on real Redis: a record is read back as written (through zod),
 * newest first and once per reply; the stream is capped and expires; /forget-me's erase removes it; a message id
 * finds the reply that posted it; a trace writes only once it has a prompt or an error, completes an earlier
 * attempt's record when it only posts, and never throws when Redis refuses a write.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  buildPromptRecordsKey,
  PromptInspectorRepository,
  type PromptRecord,
  PromptRecorder,
  type PromptTraceStart,
} from '../../../src/inspector/index.js';
import { createCapturedLogger } from '../../support/captured-logger.js';
import { connectTestRedis, createTestPrefix, deleteKeysWithPrefix, scanKeys } from '../../support/redis.js';

const USER = '100000000000000001';
const OTHER = '100000000000000002';
const redis = connectTestRedis();
let prefix: string;
let repository: PromptInspectorRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  repository = new PromptInspectorRepository(redis, { prefix });
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(() => {
  redis.disconnect();
});

function buildRecord(overrides: Partial<PromptRecord> = {}): PromptRecord {
  return {
    replyId: 'job-1',
    userId: USER,
    channelId: '200000000000000001',
    guildId: '300000000000000001',
    personalityId: 'alicepersona',
    personalityName: 'Alice',
    model: 'stub-small',
    messages: [
      { role: 'system', content: 'You are Alice.' },
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ],
    postedMessageIds: ['500000000000000001'],
    timings: { queuedAt: 1, startedAt: 2, firstTokenAt: 3, postedAt: 4 },
    error: null,
    ...overrides,
  };
}

describe('PromptInspectorRepository', () => {
  it('reads a record back as written, under the user’s hash tag', async () => {
    const record = buildRecord();
    await repository.record(record);
    expect(await repository.listForUser(USER)).toEqual([record]);
    expect(await scanKeys(redis, [`${prefix}*`])).toEqual([`${prefix}:inspector:{u:${USER}}:prompts`]);
    expect(await repository.listForUser(OTHER)).toEqual([]);
  });

  it('lists newest first, one record per reply (its newest), up to the limit', async () => {
    await repository.record(
      buildRecord({ replyId: 'a', timings: { ...buildRecord().timings, postedAt: null } }),
    );
    await repository.record(buildRecord({ replyId: 'b' }));
    await repository.record(buildRecord({ replyId: 'a' }));
    const listed = await repository.listForUser(USER);
    expect(listed.map((record) => record.replyId)).toEqual(['a', 'b']);
    expect(listed[0]?.timings.postedAt).toBe(4);
    expect(await repository.listForUser(USER, 1)).toHaveLength(1);
  });

  it('skips an entry that is not a record', async () => {
    const key = buildPromptRecordsKey(prefix, USER);
    await repository.record(buildRecord({ replyId: 'good' }));
    await redis.xadd(key, '*', 'record', JSON.stringify({ replyId: 'bad' }));
    await redis.xadd(key, '*', 'record', '{not json');
    expect((await repository.listForUser(USER)).map((record) => record.replyId)).toEqual(['good']);
  });

  describe('when many replies are recorded', () => {
    it('keeps about the newest 200 and sets a TTL of at most an hour', async () => {
      await Promise.all(
        Array.from({ length: 500 }, (_, index) =>
          repository.record(buildRecord({ replyId: `job-${index}` })),
        ),
      );
      const key = buildPromptRecordsKey(prefix, USER);
      const length = await redis.xlen(key);
      // MAXLEN ~ trims whole stream nodes (100 entries by default): between the cap and a node more.
      expect(length).toBeGreaterThanOrEqual(200);
      expect(length).toBeLessThanOrEqual(300);
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(3_500_000);
      expect(ttl).toBeLessThanOrEqual(3_600_000);
      const newest = await repository.listForUser(USER, 1);
      expect(newest[0]?.replyId).toBe('job-499');
    });
  });

  it('erases a user’s records and no one else’s', async () => {
    await repository.record(buildRecord());
    await repository.record(buildRecord({ userId: OTHER }));
    await repository.eraseUser(USER);
    expect(await repository.listForUser(USER)).toEqual([]);
    expect(await repository.listForUser(OTHER)).toHaveLength(1);
  });

  it('finds the reply that posted a message among several users’ records', async () => {
    await repository.record(buildRecord({ replyId: 'mine', postedMessageIds: ['5001', '5002'] }));
    await repository.record(buildRecord({ replyId: 'theirs', userId: OTHER, postedMessageIds: ['6001'] }));
    expect((await repository.findByMessageId([USER, OTHER], '5002'))?.replyId).toBe('mine');
    expect((await repository.findByMessageId([USER, OTHER], '6001'))?.replyId).toBe('theirs');
    expect(await repository.findByMessageId([USER], '6001')).toBeNull();
    expect(await repository.findByMessageId([], '5001')).toBeNull();
  });
});

describe('PromptRecorder', () => {
  const start: PromptTraceStart = {
    replyId: 'job-1',
    userId: USER,
    channelId: '200000000000000001',
    guildId: null,
    personalityId: 'alicepersona',
    personalityName: 'Alice',
    model: 'own-model',
    queuedAt: 10,
  };
  let clock: number;
  const buildRecorder = (logger = createCapturedLogger().logger) =>
    new PromptRecorder({ repository, logger, now: () => clock });

  beforeEach(() => {
    clock = 100;
  });

  it('records the prompt, the model that answered and each step’s time', async () => {
    const trace = buildRecorder().begin(start);
    clock = 110;
    trace.sent('own-model', [{ role: 'system', content: 'first try' }]);
    trace.sent('own-model', [{ role: 'system', content: 'assembled again' }]);
    clock = 120;
    trace.firstToken();
    clock = 125;
    trace.firstToken();
    trace.answeredBy('fallback-model');
    await trace.save();
    expect((await repository.listForUser(USER))[0]?.timings.postedAt).toBeNull();
    clock = 130;
    await trace.posted(['5001']);
    expect(await repository.listForUser(USER)).toEqual([
      {
        replyId: 'job-1',
        userId: USER,
        channelId: start.channelId,
        guildId: null,
        personalityId: 'alicepersona',
        personalityName: 'Alice',
        model: 'fallback-model',
        messages: [{ role: 'system', content: 'assembled again' }],
        postedMessageIds: ['5001'],
        timings: { queuedAt: 10, startedAt: 100, firstTokenAt: 120, postedAt: 130 },
        error: null,
      },
    ]);
  });

  it('records a failure with the model that failed', async () => {
    const trace = buildRecorder().begin(start);
    trace.sent('own-model', [{ role: 'user', content: 'hi' }]);
    trace.fail(Object.assign(new Error('all models down'), { model: 'last-fallback' }));
    await trace.save();
    const [record] = await repository.listForUser(USER);
    expect(record).toMatchObject({ model: 'last-fallback', error: 'Error: all models down' });
    expect(record?.timings.firstTokenAt).toBeNull();
  });

  it('writes nothing for an attempt that sent no prompt and did not fail', async () => {
    const trace = buildRecorder().begin(start);
    await trace.save();
    await trace.posted(['5001']);
    expect(await scanKeys(redis, [`${prefix}*`])).toEqual([]);
  });

  it('completes an earlier attempt’s record when it only posts the reply', async () => {
    const first = buildRecorder().begin(start);
    first.sent('own-model', [{ role: 'user', content: 'hi' }]);
    first.firstToken();
    await first.save();
    clock = 200;
    const retry = buildRecorder().begin(start);
    clock = 210;
    await retry.posted(['5001', '5002']);
    const [record] = await repository.listForUser(USER);
    expect(record?.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(record?.postedMessageIds).toEqual(['5001', '5002']);
    expect(record?.timings).toEqual({ queuedAt: 10, startedAt: 100, firstTokenAt: 100, postedAt: 210 });
  });

  it('logs a write Redis refuses instead of failing the reply', async () => {
    const captured = createCapturedLogger();
    const refusing = new PromptRecorder({
      repository: {
        record: () => Promise.reject(new Error('READONLY')),
        findByReplyId: () => Promise.reject(new Error('READONLY')),
      },
      logger: captured.logger,
      now: () => clock,
    });
    const trace = refusing.begin(start);
    trace.sent('own-model', []);
    await expect(trace.posted(['5001'])).resolves.toBeUndefined();
    await expect(refusing.begin(start).posted(['5001'])).resolves.toBeUndefined();
    expect(captured.records.map((line) => line['msg'])).toEqual([
      'prompt record not written',
      'prompt record not completed',
    ]);
  });
});
