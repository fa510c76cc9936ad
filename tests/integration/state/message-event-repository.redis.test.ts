/**
 * MessageEventRepository against real Redis: deletion marks, edits (kept only for messages that produced a
 * job), and the live cancel publish.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import { buildAdmittedKey, buildReplyJobId, ReplyAdmission } from '../../../src/queue/index.js';
import { buildCancelChannel, MessageEventRepository } from '../../../src/state/index.js';
import { buildDeletedMessageKey, buildEditsKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob, ROOMY_LIMITS } from '../queue/build-test-job.js';

const redis = createTestRedis();
const subscriber = createTestRedis();
const logger = createLogger({ level: 'silent', service: 'test' });
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await Promise.all([redis.quit(), subscriber.quit()]);
});

describe('MessageEventRepository', () => {
  it('marks a message deleted for about a day, under its channel’s hash tag', async () => {
    const CHANNEL = '200000000000000001';
    const MESSAGE = '400000000000000001';
    const events = new MessageEventRepository(redis, { prefix });
    expect(await events.isDeleted(CHANNEL, MESSAGE)).toBe(false);
    await events.markDeleted(CHANNEL, MESSAGE);
    expect(await events.isDeleted(CHANNEL, MESSAGE)).toBe(true);
    const key = buildDeletedMessageKey(prefix, CHANNEL, MESSAGE);
    expect(key).toContain(`{c:${CHANNEL}}`);
    expect(await redis.pttl(key)).toBeGreaterThan(23 * 3600 * 1000);
  });

  describe('when a message is edited', () => {
    const AUTHOR = '100000000000000001';
    let admission: ReplyAdmission;

    beforeEach(() => {
      admission = new ReplyAdmission(redis, { prefix, limits: ROOMY_LIMITS, logger });
    });

    afterEach(async () => {
      await admission.close();
    });

    it('stores nothing when the message produced no job', async () => {
      const events = new MessageEventRepository(redis, { prefix });
      expect(await events.recordEdit(AUTHOR, '400000000000000001', 'private words')).toBe(false);
      expect(await events.fetchEdit(AUTHOR, '400000000000000001')).toBeNull();
      expect(await redis.keys(`${prefix}*`)).toEqual([]);
    });

    it('keeps the latest edit of a message whose job is pending, under the author’s tag', async () => {
      const events = new MessageEventRepository(redis, { prefix });
      const job = buildTestJob({ authorId: AUTHOR });
      await admission.admit(job);
      expect(await events.recordEdit(AUTHOR, job.messageId, 'first')).toBe(true);
      expect(await events.recordEdit(AUTHOR, job.messageId, 'second')).toBe(true);
      expect(await events.fetchEdit(AUTHOR, job.messageId)).toBe('second');
      expect(await events.fetchEdit('100000000000000009', job.messageId)).toBeNull();
      expect(await redis.hgetall(buildEditsKey(prefix, AUTHOR))).toEqual({ [job.messageId]: 'second' });
      expect(await redis.pttl(buildEditsKey(prefix, AUTHOR))).toBeGreaterThan(23 * 3600 * 1000);
    });

    it('keeps an edit after the job settled, while its admission is remembered', async () => {
      const events = new MessageEventRepository(redis, { prefix });
      const job = buildTestJob({ authorId: AUTHOR });
      await admission.admit(job);
      await admission.settle(job);
      expect(await events.recordEdit(AUTHOR, job.messageId, 'late edit')).toBe(true);
      expect(await events.fetchEdit(AUTHOR, job.messageId)).toBe('late edit');
    });

    it('drops the edits of messages whose job records are gone', async () => {
      const events = new MessageEventRepository(redis, { prefix });
      const [older, newer] = [buildTestJob({ authorId: AUTHOR }), buildTestJob({ authorId: AUTHOR })];
      await admission.admit(older);
      await events.recordEdit(AUTHOR, older.messageId, 'older edit');
      // The job settled and its admission left the duplicate window.
      await admission.settle(older);
      await redis.zrem(
        buildAdmittedKey(prefix, AUTHOR),
        buildReplyJobId(older.messageId, older.personalityId),
      );
      await admission.admit(newer);
      await events.recordEdit(AUTHOR, newer.messageId, 'newer edit');
      expect(await redis.hgetall(buildEditsKey(prefix, AUTHOR))).toEqual({ [newer.messageId]: 'newer edit' });
    });
  });

  it('publishes deletions on the cancel channel', async () => {
    const events = new MessageEventRepository(redis, { prefix });
    const received = new Promise<[string, string]>((resolve) => {
      subscriber.on('message', (channel: string, message: string) => resolve([channel, message]));
    });
    await subscriber.subscribe(buildCancelChannel(prefix));
    expect(await events.publishDeleted('400000000000000001')).toBe(1);
    expect(await received).toEqual([buildCancelChannel(prefix), '400000000000000001']);
    await subscriber.unsubscribe();
  });
});
