/**
 * The delivery ledger's decisions and chunk claims against real Redis (its Lua scripts `decideReply`,
 * `claimDeliveryChunk`, `leaseDeliveryChunk` and `withdrawDeliveryChunk`, and the history claim the conversation's
 * append takes): what keeps two attempts of one job from posting two answers, one chunk twice, or appending
 * twice. It sits in the fault tier beside the scenarios that found the need for it (a
 * Redis outage restarting jobs that were still running).
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DeliveryLedger, type ReplyDecision } from '../../src/replies/delivery-ledger.js';
import { buildDeliveryIndexKey, buildDeliveryKey } from '../../src/replies/keys.js';
import { ConversationRepository, type ConversationTurn } from '../../src/state/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../support/redis.js';

const USER = '100000000000000001';
const JOB = 'reply-1-alicepersona';
const LEASE_MS = 20_000;
const T0 = 1_700_000_000_000;
const CHANNEL = '200000000000000002';
const TURNS: ConversationTurn[] = [
  { role: 'user', content: 'hi', messageId: '400000000000000001', at: T0 },
  { role: 'assistant', content: 'hello', messageId: '400000000000000001', at: T0 + 1 },
];

function answer(text: string): ReplyDecision {
  return { chunks: [text], reply: text, isNotice: false, asBot: false };
}

describe('DeliveryLedger', () => {
  const redis = createTestRedis();
  const prefix = createTestPrefix();
  const ledger = new DeliveryLedger(redis, { prefix, claimLeaseMs: LEASE_MS });
  const conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: 40,
    maxChars: 24_000,
    ttlSeconds: 3600,
  });

  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => {
    redis.disconnect();
  });

  describe('decideReply', () => {
    describe('for the first attempt', () => {
      it('records the answer, indexes the record for /forget-me and claims the first chunk', async () => {
        expect(await ledger.decideReply(USER, JOB, answer('hello'), 'attempt-a', T0)).toEqual({
          decision: answer('hello'),
          firstChunk: { kind: 'claimed', previousClaimAt: null },
        });
        const record = await ledger.fetch(USER, JOB);
        expect({ decision: record.decision, intents: record.intents }).toEqual({
          decision: answer('hello'),
          intents: new Map([[0, T0]]),
        });
        expect(await redis.zrange(buildDeliveryIndexKey(prefix, USER), '0', '-1')).toEqual([JOB]);
        expect(await redis.ttl(buildDeliveryKey(prefix, USER, JOB))).toBeGreaterThan(86_000);
      });
    });

    describe('when an earlier attempt decided and still holds the first chunk', () => {
      it('returns the earlier answer, and its claim as busy', async () => {
        await ledger.decideReply(USER, JOB, answer('first'), 'attempt-a', T0);
        expect(await ledger.decideReply(USER, JOB, answer('second'), 'attempt-b', T0 + 1)).toEqual({
          decision: answer('first'),
          firstChunk: { kind: 'busy', leaseUntil: T0 + LEASE_MS },
        });
      });
    });

    describe('when an earlier attempt decided and posted the first chunk', () => {
      it('returns the earlier answer, and the chunk as posted', async () => {
        await ledger.decideReply(USER, JOB, answer('first'), 'attempt-a', T0);
        await ledger.recordPosted(USER, JOB, 0, '555');
        expect(await ledger.decideReply(USER, JOB, answer('second'), 'attempt-b', T0 + 1)).toEqual({
          decision: answer('first'),
          firstChunk: { kind: 'posted', messageId: '555' },
        });
      });
    });
  });

  describe('decideReply before any decision, when the first chunk was claimed already', () => {
    it('records the answer while another attempt holds the claim, and keeps it for the next', async () => {
      await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
      expect(await ledger.decideReply(USER, JOB, answer('second'), 'attempt-b', T0 + 1)).toEqual({
        decision: answer('second'),
        firstChunk: { kind: 'busy', leaseUntil: T0 + LEASE_MS },
      });
      expect(await ledger.decideReply(USER, JOB, answer('third'), 'attempt-a', T0 + 2)).toEqual({
        decision: answer('second'),
        firstChunk: { kind: 'claimed', previousClaimAt: T0 },
      });
    });

    it('records the answer when the chunk was posted', async () => {
      await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
      await ledger.recordPosted(USER, JOB, 0, '555');
      expect(await ledger.decideReply(USER, JOB, answer('late'), 'attempt-b', T0 + 1)).toEqual({
        decision: answer('late'),
        firstChunk: { kind: 'posted', messageId: '555' },
      });
      expect((await ledger.fetch(USER, JOB)).decision).toEqual(answer('late'));
    });
  });

  describe('recordPosted, then the history append guarded by the record', () => {
    it('records the chunk, then appends the turns and counts the usage once', async () => {
      await ledger.recordPosted(USER, JOB, 0, '555');
      const usageKey = `${prefix}:usage:{u:${USER}}:d20261207`;
      const append = () =>
        conversations.appendTurns(USER, CHANNEL, 'alicepersona', TURNS, undefined, undefined, {
          once: ledger.buildHistoryClaim(USER, JOB),
          counters: [{ key: usageKey, kind: 'hash', ttlSeconds: 60, add: new Map([['operator', 57]]) }],
        });
      expect((await append()).appended).toBe(true);
      expect((await append()).appended).toBe(false);
      const { posted, historyAppended } = await ledger.fetch(USER, JOB);
      expect({ posted, historyAppended }).toEqual({ posted: new Map([[0, '555']]), historyAppended: true });
      expect(await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).toEqual(TURNS);
      expect(await redis.hgetall(usageKey)).toEqual({ operator: '57' });
    });
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

  describe('withdrawChunk', () => {
    it.each([
      ['its holder', 'attempt-a', { kind: 'claimed', previousClaimAt: null }],
      ['another attempt', 'attempt-c', { kind: 'busy', leaseUntil: T0 + LEASE_MS }],
    ])(
      'by %s leaves the chunk never claimed only if the claim is theirs',
      async (_who, withdrawnBy, expected) => {
        await ledger.claimChunk(USER, JOB, 0, 'attempt-a', T0);
        await ledger.withdrawChunk(USER, JOB, 0, withdrawnBy);
        expect(await ledger.claimChunk(USER, JOB, 0, 'attempt-b', T0 + 11)).toEqual(expected);
      },
    );
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

  describe('the guarded history append', () => {
    it('lets one of two racing attempts append', async () => {
      const append = () =>
        conversations.appendTurns(USER, CHANNEL, 'alicepersona', TURNS, undefined, undefined, {
          once: ledger.buildHistoryClaim(USER, JOB),
          counters: [],
        });
      const results = await Promise.all([append(), append()]);
      expect(results.map((result) => result.appended).sort()).toEqual([false, true]);
      expect(await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).toEqual(TURNS);
      expect((await ledger.fetch(USER, JOB)).historyAppended).toBe(true);
    });
  });
});
