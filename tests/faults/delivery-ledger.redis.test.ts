/**
 * The delivery ledger's chunk claims against real Redis (its Lua scripts `claimDeliveryChunk` and
 * `leaseDeliveryChunk`): what keeps two attempts of one job from both posting. It sits in the fault tier
 * beside the scenarios that found the need for it (a Redis outage restarting jobs that were still running).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DeliveryLedger } from '../../src/replies/delivery-ledger.js';
import { buildDeliveryKey } from '../../src/replies/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../support/redis.js';

const USER = '100000000000000001';
const JOB = 'reply-1-alicepersona';
const LEASE_MS = 20_000;
const T0 = 1_700_000_000_000;

describe('DeliveryLedger', () => {
  const redis = createTestRedis();
  const prefix = createTestPrefix();
  const ledger = new DeliveryLedger(redis, { prefix, claimLeaseMs: LEASE_MS });

  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => {
    redis.disconnect();
  });

  describe('claimChunk', () => {
    describe('when nobody claimed the chunk', () => {
      it('claims it, with no earlier claim to look behind', async () => {
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0)).toEqual({
          kind: 'claimed',
          previousClaimAt: null,
        });
        expect((await ledger.fetch(USER, JOB)).intents).toEqual(new Map([[0, T0]]));
      });
    });

    describe('when another attempt holds a live claim', () => {
      it('refuses until the lease ends', async () => {
        await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + LEASE_MS - 1)).toEqual({
          kind: 'busy',
          leaseUntil: T0 + LEASE_MS,
        });
      });
    });

    describe('when the other attempt’s claim has lapsed', () => {
      it('claims it and names the earlier claim, which may have posted', async () => {
        await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + LEASE_MS + 1)).toEqual({
          kind: 'claimed',
          previousClaimAt: T0,
        });
      });
    });

    describe('when the same attempt claims again', () => {
      it('claims it, naming its own earlier claim', async () => {
        await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0 + 5)).toEqual({
          kind: 'claimed',
          previousClaimAt: T0,
        });
      });
    });

    describe('when the chunk was posted', () => {
      it('answers with its message id', async () => {
        await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
        await ledger.recordPosted(USER, JOB, 0, '555');
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + 1)).toEqual({
          kind: 'posted',
          messageId: '555',
        });
      });
    });

    describe('when an older version left a bare intent time', () => {
      it('treats it as a lapsed claim', async () => {
        await redis.hset(buildDeliveryKey(prefix, USER, JOB), 'intent:0', String(T0));
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + 1)).toEqual({
          kind: 'claimed',
          previousClaimAt: T0,
        });
      });
    });
  });

  describe('releaseChunk', () => {
    it.each([
      ['its holder', 'attempt-a', { kind: 'claimed', previousClaimAt: T0 }],
      ['another attempt', 'attempt-c', { kind: 'busy', leaseUntil: T0 + LEASE_MS }],
    ])('by %s ends the claim only if it is theirs', async (_who, releasedBy, expected) => {
      await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
      await ledger.releaseChunk(USER, JOB, 0, releasedBy, T0 + 10);
      expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + 11)).toEqual(expected);
    });
  });

  describe('renewChunk', () => {
    it('moves the end of its holder’s lease', async () => {
      await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
      await ledger.renewChunk(USER, JOB, 0, 'attempt-a', T0 + 15_000);
      expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + LEASE_MS + 1)).toEqual({
        kind: 'busy',
        leaseUntil: T0 + 15_000 + LEASE_MS,
      });
    });
  });

  describe('claimHistoryAppend', () => {
    it('lets one attempt append', async () => {
      expect([
        await ledger.claimHistoryAppend(USER, JOB),
        await ledger.claimHistoryAppend(USER, JOB),
      ]).toEqual([true, false]);
    });
  });
});
