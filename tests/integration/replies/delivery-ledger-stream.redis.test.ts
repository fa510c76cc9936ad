/**
 * The delivery ledger's stream scripts against real Redis (`claimStreamMessage`, `leaseDeliveryStream`): a
 * streamed reply's messages are claimed under one lease, with the content they are posted with, so a retry can
 * find one whose id was never recorded, and two attempts never write them at once.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import { buildDeliveryIndexKey, buildDeliveryKey } from '../../../src/replies/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const USER = '100000000000000001';
const JOB = 'reply-1-alicepersona';
const LEASE_MS = 20_000;
const T0 = 1_700_000_000_000;

describe('DeliveryLedger (streams)', () => {
  const redis = createTestRedis();
  const prefix = createTestPrefix();
  const ledger = new DeliveryLedger(redis, { prefix, claimLeaseMs: LEASE_MS });

  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => {
    redis.disconnect();
  });

  describe('claimStreamMessage', () => {
    it('claims the message, keeps its draft, takes the stream lease and indexes the record', async () => {
      expect(await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0, 'Hello')).toEqual({
        kind: 'claimed',
        previousClaimAt: null,
      });
      const record = await ledger.fetch(USER, JOB);
      expect(record.drafts).toEqual(new Map([[0, 'Hello']]));
      expect(record.intents).toEqual(new Map([[0, T0]]));
      expect(record.decision).toBeNull();
      expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual([JOB]);
      expect(await redis.ttl(buildDeliveryKey(prefix, USER, JOB))).toBeGreaterThan(86_000);
      expect(await ledger.leaseStream(USER, JOB, 'attempt-b', T0 + 1)).toEqual({
        kind: 'busy',
        leaseUntil: T0 + LEASE_MS,
      });
    });

    it('refuses another attempt while the stream lease is live, and lets it in after', async () => {
      await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0, 'Hello');
      expect(await ledger.claimStreamMessage(USER, JOB, 1, 'attempt-b', T0 + 5, 'More')).toEqual({
        kind: 'busy',
        leaseUntil: T0 + LEASE_MS,
      });
      expect((await ledger.fetch(USER, JOB)).drafts.has(1)).toBe(false);
      expect(await ledger.claimStreamMessage(USER, JOB, 1, 'attempt-b', T0 + LEASE_MS + 1, 'More')).toEqual({
        kind: 'claimed',
        previousClaimAt: null,
      });
    });

    it('answers with the message id once it was posted', async () => {
      await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0, 'Hello');
      await ledger.recordPosted(USER, JOB, 0, '555');
      expect(await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0 + 1, 'Hello again')).toEqual({
        kind: 'posted',
        messageId: '555',
      });
      expect((await ledger.fetch(USER, JOB)).drafts.get(0)).toBe('Hello');
    });
  });

  describe('leaseStream and releaseStream', () => {
    it('renews its holder’s lease, and a released lease is free at once', async () => {
      await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0, 'Hello');
      expect(await ledger.leaseStream(USER, JOB, 'attempt-a', T0 + 10_000)).toEqual({
        kind: 'held',
        leaseUntil: T0 + 10_000 + LEASE_MS,
      });
      expect((await ledger.leaseStream(USER, JOB, 'attempt-b', T0 + 25_000)).kind).toBe('busy');
      await ledger.releaseStream(USER, JOB, 'attempt-a', T0 + 26_000);
      expect(await ledger.leaseStream(USER, JOB, 'attempt-b', T0 + 26_001)).toEqual({
        kind: 'held',
        leaseUntil: T0 + 26_001 + LEASE_MS,
      });
    });

    it('leaves another attempt’s live lease alone when asked to release it', async () => {
      await ledger.leaseStream(USER, JOB, 'attempt-a', T0);
      await ledger.releaseStream(USER, JOB, 'attempt-b', T0 + 1);
      expect((await ledger.leaseStream(USER, JOB, 'attempt-b', T0 + 2)).kind).toBe('busy');
    });
  });

  describe('forgetMessage', () => {
    it('drops the message’s id, claim and draft, nothing else', async () => {
      await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', T0, 'Hello');
      await ledger.recordPosted(USER, JOB, 0, '555');
      await ledger.claimStreamMessage(USER, JOB, 1, 'attempt-a', T0 + 1, 'More');
      await ledger.forgetMessage(USER, JOB, 1);
      const record = await ledger.fetch(USER, JOB);
      expect(record.posted).toEqual(new Map([[0, '555']]));
      expect(record.drafts).toEqual(new Map([[0, 'Hello']]));
      expect([...record.intents.keys()]).toEqual([0]);
    });
  });

  describe('forgetUser', () => {
    it('erases a streamed record that was never decided', async () => {
      await ledger.claimStreamMessage(USER, JOB, 0, 'attempt-a', Date.now(), 'Hello');
      expect(await ledger.forgetUser(USER)).toBe(1);
      expect(await redis.exists(buildDeliveryKey(prefix, USER, JOB))).toBe(0);
    });
  });
});
