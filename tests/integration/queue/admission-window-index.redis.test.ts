/**
 * The author's window-index entry written by their admission's script (same slot), against real Redis: written
 * whatever the admission decides, in the one command admission sends, its dropped windows' lines removed, and
 * found by /forget-me.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChannelWindowRepository, type WindowLine } from '../../../src/context/index.js';
import { buildUserWindowsKey } from '../../../src/context/keys.js';
import { createLogger } from '../../../src/log/index.js';
import { createReplyQueue, ReplyAdmission, type ReplyQueue } from '../../../src/queue/index.js';
import type { ScriptCall } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';
import { buildTestChannelId, buildTestJob, ROOMY_LIMITS } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const job = () => buildTestJob();
const AUTHOR = job().authorId;
const CHANNEL = job().channelId;
const OTHER_CHANNEL = buildTestChannelId(1);

let prefix: string;
let queue: ReplyQueue;
let nextId = 400000000000000000n;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createWindows(maxIndexedChannels = 500): ChannelWindowRepository {
  return new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600, maxIndexedChannels });
}

/** The author's line, appended to a live `channelId`, and the index entry it made due (not written yet). */
async function appendAuthorLine(
  windows: ChannelWindowRepository,
  channelId: string,
): Promise<ScriptCall<void>> {
  nextId += 1n;
  const line: WindowLine = {
    id: String(nextId),
    at: Date.now(),
    name: 'Tester',
    content: 'hello',
    replyToId: null,
    personalityId: null,
    userId: AUTHOR,
  };
  await windows.markLiveAndAppend(channelId, { ...line, id: String(nextId + 1_000_000n), userId: null });
  const { userIndex } = await windows.appendIfLive(channelId, line);
  expect(userIndex).not.toBeNull();
  return userIndex!;
}

describe('ReplyAdmission with the author’s due window-index entry', () => {
  it('writes it in the admission script, one command with the decision, and /forget-me finds the line', async () => {
    const windows = createWindows();
    const step = await appendAuthorLine(windows, CHANNEL);
    const admission = new ReplyAdmission(redis, { prefix, logger, limits: ROOMY_LIMITS, queue });
    // Another user's admission first: a script Redis has not cached yet costs ioredis a second write (EVAL).
    await admission.admit(buildTestJob({ authorId: '100000000000000099' }), 0, null);
    const writes = spyOnSocketWrites(redis);
    const result = await admission.admit(job(), 0, null, step);
    expect(result.outcome).toBe('enqueued');
    // The script, then BullMQ's add: the entry costs no command of its own.
    expect(writes()).toBe(2);
    expect(await redis.zrange(buildUserWindowsKey(prefix, AUTHOR), '0', '-1')).toEqual([CHANNEL]);
    expect(await windows.forgetUser(AUTHOR)).toBe(1);
  });

  it('writes it for a refused admission too: the line is in the window all the same', async () => {
    const windows = createWindows();
    const step = await appendAuthorLine(windows, CHANNEL);
    const limits = { ...ROOMY_LIMITS, queueMaxDepth: 1 };
    const admission = new ReplyAdmission(redis, { prefix, logger, limits, queue });
    expect((await admission.admit(job(), 1, null, step)).outcome).toBe('refused');
    expect(await redis.zrange(buildUserWindowsKey(prefix, AUTHOR), '0', '-1')).toEqual([CHANNEL]);
  });

  it('removes the author’s lines from the windows their index dropped over its cap', async () => {
    const windows = createWindows(1);
    await windows.writeUserIndex(await appendAuthorLine(windows, OTHER_CHANNEL));
    const step = await appendAuthorLine(windows, CHANNEL);
    const admission = new ReplyAdmission(redis, { prefix, logger, limits: ROOMY_LIMITS, queue });
    await admission.admit(job(), 0, null, step);
    expect(await redis.zrange(buildUserWindowsKey(prefix, AUTHOR), '0', '-1')).toEqual([CHANNEL]);
    const authorLines = async (channelId: string) =>
      (await windows.fetchRecent(channelId, { limit: 100, sinceMs: 0 })).filter(
        (line) => line.userId === AUTHOR,
      );
    expect(await authorLines(OTHER_CHANNEL)).toHaveLength(0);
    expect(await authorLines(CHANNEL)).toHaveLength(1);
  });
});
