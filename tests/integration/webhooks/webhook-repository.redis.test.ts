/**
 * The webhook repository's locks, once-markers and sealed tokens on real Redis: what "one owner" and "once" mean
 * needs the keyspace (SET NX PX and the compare-and-delete release script), and so does what is at rest.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialCipher, isSealedCredential } from '../../../src/crypto/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildWebhookPoolKey } from '../../../src/webhooks/keys.js';
import { WebhookRepository } from '../../../src/webhooks/webhook-repository.js';
import { WebhookUnavailableReason } from '../../../src/webhooks/webhook-unavailable-error.js';
import { createCapturedLogger } from '../../support/captured-logger.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const OLD_KEY = Buffer.alloc(32, 1);
const NEW_KEY = Buffer.alloc(32, 2);

describe('WebhookRepository', () => {
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent' });
  const cipher = new CredentialCipher({ encryptionKey: OLD_KEY, previousEncryptionKey: undefined });
  let redisA: Redis;
  let redisB: Redis;
  let workerA: WebhookRepository;
  let workerB: WebhookRepository;

  beforeAll(() => {
    redisA = createTestRedis();
    redisB = createTestRedis();
    workerA = new WebhookRepository(redisA, { prefix, cipher, logger });
    workerB = new WebhookRepository(redisB, { prefix, cipher, logger });
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
    it('is shared, ordered oldest first, and keeps tokens out of key names and values', async () => {
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
      const stored = await redisA.hgetall(buildWebhookPoolKey(prefix, '3'));
      expect(Object.values(stored).every(isSealedCredential)).toBe(true);
      expect(JSON.stringify(stored)).not.toContain('secret');
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

  describe('a token at rest', () => {
    const poolKey = () => buildWebhookPoolKey(prefix, '20');

    it('stored in clear by an older version is read, and sealed on that read', async () => {
      await redisA.hset(poolKey(), '920000000000000001', 'legacy-plain-token');
      expect(await workerB.fetchPool('20')).toEqual([
        { id: '920000000000000001', token: 'legacy-plain-token' },
      ]);
      const stored = (await redisA.hget(poolKey(), '920000000000000001'))!;
      expect(isSealedCredential(stored)).toBe(true);
      expect(cipher.open(stored, 'chorus:webhook-token:920000000000000001').plaintext).toBe(
        'legacy-plain-token',
      );
      expect(await workerA.fetchWebhook('20', '920000000000000001')).toMatchObject({
        token: 'legacy-plain-token',
      });
    });

    it('sealed under the previous key is read after a rotation and sealed again under the new key', async () => {
      await workerA.addToPool('21', [{ id: '920000000000000002', token: 'rotated-token' }]);
      const rotated = new WebhookRepository(redisB, {
        prefix,
        cipher: new CredentialCipher({ encryptionKey: NEW_KEY, previousEncryptionKey: OLD_KEY }),
        logger,
      });
      expect(await rotated.fetchWebhook('21', '920000000000000002')).toMatchObject({
        token: 'rotated-token',
      });
      const newKeyOnly = new WebhookRepository(redisB, {
        prefix,
        cipher: new CredentialCipher({ encryptionKey: NEW_KEY, previousEncryptionKey: undefined }),
        logger,
      });
      expect(await newKeyOnly.fetchPool('21')).toEqual([
        { id: '920000000000000002', token: 'rotated-token' },
      ]);
      // The old key alone no longer opens it: it was rewritten, not only read.
      expect(await workerA.fetchPool('21')).toEqual([]);
    });

    it('that opens under no key is left out with a warning, never logged', async () => {
      await workerA.addToPool('22', [{ id: '920000000000000003', token: 'lost-token' }]);
      const captured = createCapturedLogger('warn');
      const otherKey = new WebhookRepository(redisB, {
        prefix,
        cipher: new CredentialCipher({ encryptionKey: NEW_KEY, previousEncryptionKey: undefined }),
        logger: captured.logger,
      });
      expect(await otherKey.fetchPool('22')).toEqual([]);
      expect(captured.records).toMatchObject([
        { webhookId: '920000000000000003', msg: 'webhook token could not be decrypted; ignored' },
      ]);
      expect(captured.lines.join('')).not.toContain('lost-token');
      // Left as it was, for the key that can open it.
      expect(await workerA.fetchPool('22')).toHaveLength(1);
    });
  });

  describe('forgetting channels', () => {
    it('deletes their pools, webhook indexes and markers, and nothing of other channels', async () => {
      await workerA.addToPool('10', [{ id: '910000000000000001', token: 'secret-10' }]);
      await workerA.addToPool('11', [{ id: '910000000000000002', token: 'secret-11' }]);
      await workerA.addToPool('12', [{ id: '910000000000000003', token: 'secret-12' }]);
      await workerA.blockGrowth('10', 60_000);
      await workerA.markUnavailable('11', WebhookUnavailableReason.MaxWebhooks, 60_000);
      await workerA.claimNotice('11', WebhookUnavailableReason.MaxWebhooks, 60_000);
      const before = await redisA.keys(`${prefix}*`);
      await workerB.forgetChannels(['10', '11', 'never-seen']);
      const after = await redisA.keys(`${prefix}*`);
      const removed = before.filter((key) => !after.includes(key));
      expect(removed).toHaveLength(7);
      expect(removed.every((key) => /\{c:1[01]\}|91000000000000000[12]/.test(key))).toBe(true);
      expect(await workerB.fetchPool('10')).toEqual([]);
      expect(await workerB.fetchWebhookChannel('910000000000000002')).toBeNull();
      expect(await workerB.isGrowthBlocked('10')).toBe(false);
      expect(await workerB.fetchUnavailableReason('11')).toBeNull();
      expect(await workerB.claimNotice('11', WebhookUnavailableReason.MaxWebhooks, 60_000)).toBe(true);
      expect(await workerB.fetchPool('12')).toHaveLength(1);
      expect(await workerB.fetchWebhookChannel('910000000000000003')).toBe('12');
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
