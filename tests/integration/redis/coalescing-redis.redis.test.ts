/**
 * CoalescingRedis against real Redis: every command sent in one turn of the event loop leaves in one write,
 * in order, and nothing is held back past the turn, whatever state the connection is in.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescingRedis } from '../../../src/redis/coalescing-redis.js';
import { createRedis } from '../../../src/redis/index.js';
import { createCapturedLogger } from '../../support/captured-logger.js';
import {
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const cleaner = createTestRedis();
let prefix: string;
let redis: Redis;

function connect(): Redis {
  return createRedis({
    url: TEST_REDIS_URL,
    cluster: false,
    role: 'commands',
    connectionName: 'chorus-test-coalescing',
    logger: createCapturedLogger().logger,
  }) as Redis;
}

beforeEach(async () => {
  prefix = createTestPrefix();
  redis = connect();
  await redis.ping();
});

afterEach(async () => {
  vi.restoreAllMocks();
  redis.disconnect();
  await deleteKeysWithPrefix(cleaner, prefix);
});

afterAll(async () => {
  await cleaner.quit();
});

describe('CoalescingRedis', () => {
  it('is what the connection factory makes for a single server', () => {
    expect(redis).toBeInstanceOf(CoalescingRedis);
  });

  describe('when independent callers send commands in the same turn', () => {
    it('sends them all in one write and gives each its own reply, in the order sent', async () => {
      const writes = spyOnSocketWrites(redis);
      const replies = await Promise.all([
        redis.set(`${prefix}:a`, '1'),
        redis.incr(`${prefix}:a`),
        redis.get(`${prefix}:a`),
        redis.hset(`${prefix}:h`, 'field', 'value'),
        redis.hgetall(`${prefix}:h`),
      ]);
      expect(replies).toEqual(['OK', 2, '2', 1, { field: 'value' }]);
      expect(writes()).toBe(1);
    });

    it('rejects a failing command alone', async () => {
      await redis.set(`${prefix}:text`, 'not a number');
      const [bad, good] = await Promise.allSettled([
        redis.incr(`${prefix}:text`),
        redis.get(`${prefix}:text`),
      ]);
      expect(bad.status).toBe('rejected');
      expect(good).toEqual({ status: 'fulfilled', value: 'not a number' });
    });
  });

  describe('when commands are sent in successive turns', () => {
    it('sends each turn as soon as it ends, so awaited commands never wait on one another', async () => {
      const writes = spyOnSocketWrites(redis);
      await redis.set(`${prefix}:k`, 'v1');
      await nextTurn();
      await redis.set(`${prefix}:k`, 'v2');
      expect(await redis.get(`${prefix}:k`)).toBe('v2');
      expect(writes()).toBe(3);
    });
  });

  describe('when a pipeline or a transaction is used', () => {
    it('leaves its batching to it and still answers', async () => {
      const piped = await redis.pipeline().set(`${prefix}:p`, 'x').get(`${prefix}:p`).exec();
      const multi = await redis.multi().incr(`${prefix}:m`).incr(`${prefix}:m`).exec();
      expect(piped).toEqual([
        [null, 'OK'],
        [null, 'x'],
      ]);
      expect(multi).toEqual([
        [null, 1],
        [null, 2],
      ]);
    });
  });

  describe('when commands are sent before the connection is ready', () => {
    it('queues them offline and sends them once connected', async () => {
      const fresh = connect();
      try {
        expect(fresh.status).not.toBe('ready');
        const replies = await Promise.all([
          fresh.set(`${prefix}:early`, 'yes'),
          fresh.get(`${prefix}:early`),
        ]);
        expect(replies).toEqual(['OK', 'yes']);
      } finally {
        fresh.disconnect();
      }
    });
  });

  describe('when the connection drops in the middle of a turn', () => {
    it('answers the commands sent after the reconnect on the new socket', async () => {
      const oldSocket = redis.stream;
      const reconnected = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
      // Corks the old socket for this turn, then loses it.
      const lost = redis.get(`${prefix}:gone`).catch((error: unknown) => error);
      oldSocket.destroy();
      await lost;
      await reconnected;
      expect(redis.stream).not.toBe(oldSocket);
      await expect(redis.set(`${prefix}:after`, 'ok')).resolves.toBe('OK');
      expect(await redis.get(`${prefix}:after`)).toBe('ok');
    });
  });
});
