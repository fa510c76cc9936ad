/**
 * The webhook repository's locks and once-markers on real Redis: what "one owner" and "once" mean needs the
 * keyspace (SET NX PX and the compare-and-delete release script).
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebhookPoolKey } from '../../../src/webhooks/keys.js';
import { WebhookRepository } from '../../../src/webhooks/webhook-repository.js';
import { WebhookUnavailableReason } from '../../../src/webhooks/webhook-unavailable-error.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

describe('WebhookRepository', () => {
  const prefix = createTestPrefix();
  let redisA: Redis;
  let redisB: Redis;
  let workerA: WebhookRepository;
  let workerB: WebhookRepository;

  beforeAll(() => {
    redisA = createTestRedis();
    redisB = createTestRedis();
    workerA = new WebhookRepository(redisA, prefix);
    workerB = new WebhookRepository(redisB, prefix);
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redisA, prefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  describe('the find-or-create lock', () => {
    it('has one owner at a time', async () => {
      const tokens = await Promise.all([
        workerA.tryAcquireLock('1', 5000),
        workerB.tryAcquireLock('1', 5000),
        workerA.tryAcquireLock('1', 5000),
      ]);
      expect(tokens.filter((token) => token !== null)).toHaveLength(1);
      expect(await workerB.isLocked('1')).toBe(true);
    });

    it('is released only by its owner', async () => {
      const token = (await workerA.tryAcquireLock('2', 5000))!;
      await workerB.releaseLock('2', 'not-the-token');
      expect(await workerB.isLocked('2')).toBe(true);
      await workerA.releaseLock('2', token);
      expect(await workerB.isLocked('2')).toBe(false);
      expect(await workerB.tryAcquireLock('2', 5000)).not.toBeNull();
    });
  });

  describe('the pool', () => {
    it('is shared, ordered oldest first, and keeps tokens out of key names', async () => {
      await workerA.addToPool('3', [
        { id: '900000000000000002', token: 'secret-b' },
        { id: '90000000000000001', token: 'secret-a' },
      ]);
      expect(await workerB.fetchPool('3')).toEqual([
        { id: '90000000000000001', token: 'secret-a' },
        { id: '900000000000000002', token: 'secret-b' },
      ]);
      expect(await workerB.fetchWebhookChannel('90000000000000001')).toBe('3');
      const keys = await redisA.keys(`${prefix}*`);
      expect(keys.some((key) => key.includes('secret'))).toBe(false);
      expect(await redisA.hget(buildWebhookPoolKey(prefix, '3'), '90000000000000001')).toBe('secret-a');
    });

    it('forgets a removed webhook everywhere', async () => {
      await workerA.removeFromPool('3', '90000000000000001');
      expect(await workerB.fetchWebhook('3', '90000000000000001')).toBeNull();
      expect(await workerB.fetchWebhookChannel('90000000000000001')).toBeNull();
    });
  });

  describe('a notice', () => {
    it('is claimed once per channel and reason', async () => {
      const claims = await Promise.all([
        workerA.claimNotice('4', 'MissingPermissions', 60_000),
        workerB.claimNotice('4', 'MissingPermissions', 60_000),
        workerB.claimNotice('4', 'MaxWebhooks', 60_000),
        workerA.claimNotice('5', 'MissingPermissions', 60_000),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(3);
      expect(claims[0] !== claims[1]).toBe(true);
    });
  });

  describe('the unavailable marker', () => {
    it('holds a known reason', async () => {
      await workerA.markUnavailable('6', WebhookUnavailableReason.MissingPermissions, 60_000);
      expect(await workerB.fetchUnavailableReason('6')).toBe(WebhookUnavailableReason.MissingPermissions);
      expect(await workerB.fetchUnavailableReason('7')).toBeNull();
    });
  });
});
