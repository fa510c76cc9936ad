/**
 * The per-user delivery index against real Redis (`decideReply` with `shared/boundIndex`): for a user who
 * stays active it keeps a bounded number of job ids, drops those older than the record TTL once it is full,
 * deletes the records it drops, and reads and migrates an index written as a plain set by an older version.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryLedger, type ReplyDecision } from '../../../src/replies/delivery-ledger.js';
import { buildDeliveryIndexKey, buildDeliveryKey } from '../../../src/replies/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix, scanKeys } from '../../support/redis.js';
import { scriptCommandsRunBy } from '../../support/script-commands.js';

const USER = '100000000000000001';
const T0 = 1_700_000_000_000;
const TTL_SECONDS = 3600;
const redis = createTestRedis();
let prefix: string;

function answer(text: string): ReplyDecision {
  return { chunks: [text], reply: text, isNotice: false, asBot: false };
}

function jobId(index: number): string {
  return `reply-${1000 + index}-alicepersona`;
}

/** Every record of the user: the whole scan, as one SCAN call sees only part of a large shared keyspace. */
async function countRecords(): Promise<number> {
  return (await scanKeys(redis, [`${buildDeliveryKey(prefix, USER, '')}*`])).length;
}

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(() => {
  redis.disconnect();
});

describe('the delivery index', () => {
  describe('when one user decides many replies', () => {
    it('keeps the newest maxIndexed job ids and deletes the records of the others', async () => {
      const ledger = new DeliveryLedger(redis, { prefix, ttlSeconds: TTL_SECONDS, maxIndexed: 10 });
      for (let index = 0; index < 30; index += 1)
        await ledger.decideReply(USER, jobId(index), answer(`answer ${index}`), 'owner', T0 + index);
      expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual(
        Array.from({ length: 10 }, (_, index) => jobId(20 + index)),
      );
      expect(await countRecords()).toBe(10);
      expect((await ledger.fetch(USER, jobId(19))).decision).toBeNull();
      expect((await ledger.fetch(USER, jobId(20))).decision).toEqual(answer('answer 20'));
    });

    it('never drops the job it is deciding, even among others decided in the same millisecond', async () => {
      const ledger = new DeliveryLedger(redis, { prefix, ttlSeconds: TTL_SECONDS, maxIndexed: 10 });
      for (let index = 29; index >= 0; index -= 1)
        await ledger.decideReply(USER, jobId(index), answer(`answer ${index}`), 'owner', T0);
      expect(await redis.zcard(buildDeliveryIndexKey(prefix, USER))).toBe(10);
      expect((await ledger.fetch(USER, jobId(0))).decision).toEqual(answer('answer 0'));
    });
  });

  it('drops job ids older than the record TTL, with their records, at a decision that fills it', async () => {
    const ledger = new DeliveryLedger(redis, { prefix, ttlSeconds: TTL_SECONDS, maxIndexed: 3 });
    await ledger.decideReply(USER, jobId(0), answer('old'), 'owner', T0);
    await ledger.decideReply(USER, jobId(1), answer('recent'), 'owner', T0 + 1000);
    await ledger.decideReply(USER, jobId(2), answer('new'), 'owner', T0 + TTL_SECONDS * 1000 + 1);
    expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual([jobId(1), jobId(2)]);
    expect(await countRecords()).toBe(2);
    expect(await redis.pttl(buildDeliveryIndexKey(prefix, USER))).toBeGreaterThan(TTL_SECONDS * 1000 - 5000);
  });

  it('keeps a job id older than the record TTL while the index is below its cap', async () => {
    const ledger = new DeliveryLedger(redis, { prefix, ttlSeconds: TTL_SECONDS, maxIndexed: 10 });
    await ledger.decideReply(USER, jobId(0), answer('old'), 'owner', T0);
    await ledger.decideReply(USER, jobId(1), answer('new'), 'owner', T0 + TTL_SECONDS * 1000 + 1);
    expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual([jobId(0), jobId(1)]);
    // /forget-me still finds whatever is listed.
    expect(await ledger.forgetUser(USER)).toBe(2);
  });

  it('decides a reply in six commands: one read, the index entry, one write of the record and its TTL', async () => {
    const ledger = new DeliveryLedger(redis, { prefix, ttlSeconds: TTL_SECONDS, maxIndexed: 10 });
    await ledger.decideReply(USER, jobId(0), answer('a'), 'owner', T0);
    expect(
      await scriptCommandsRunBy(redis, prefix, () =>
        ledger.decideReply(USER, jobId(1), answer('b'), 'owner', T0 + 1),
      ),
    ).toEqual(['hmget', 'zadd', 'zrange', 'pexpire', 'hset', 'expire']);
  });

  describe('when the index is a set written by an older version', () => {
    beforeEach(async () => {
      const ledger = new DeliveryLedger(redis, { prefix });
      await ledger.decideReply(USER, jobId(0), answer('a'), 'owner', T0);
      await ledger.decideReply(USER, jobId(1), answer('b'), 'owner', T0);
      const index = buildDeliveryIndexKey(prefix, USER);
      await redis.del(index);
      await redis.sadd(index, jobId(0), jobId(1));
      await redis.expire(index, 86_400);
    });

    it('erases through it for /forget-me before any write', async () => {
      expect(await new DeliveryLedger(redis, { prefix }).forgetUser(USER)).toBe(2);
      expect(await countRecords()).toBe(0);
    });

    it('migrates it to the sorted set at the next decision, keeping its job ids', async () => {
      const ledger = new DeliveryLedger(redis, { prefix });
      await ledger.decideReply(USER, jobId(2), answer('c'), 'owner', T0 + 1);
      expect(await redis.type(buildDeliveryIndexKey(prefix, USER))).toBe('zset');
      expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual([
        jobId(0),
        jobId(1),
        jobId(2),
      ]);
      expect(await ledger.forgetUser(USER)).toBe(3);
    });
  });
});
