import { describe, expect, it } from 'vitest';
import type { BucketState } from '../../../src/webhooks/bucket-state.js';
import { chooseWebhook, type PoolCandidate } from '../../../src/webhooks/choose-webhook.js';

const NOW = 5_000_000;
const settings = { now: NOW, marginMs: 50, poolLimit: 2 };

function candidate(webhookId: string, overrides: Partial<BucketState> = {}): PoolCandidate {
  return { webhookId, bucket: { limit: 5, windowMs: 2000, blockedUntil: 0, slots: [], ...overrides } };
}

const full = (oldest: number) => ({ slots: [oldest, oldest + 1, oldest + 2, oldest + 3, oldest + 4] });

describe('chooseWebhook', () => {
  describe('when picking among a pool', () => {
    it.each([
      {
        name: 'the only webhook of an idle pool, without growing',
        candidates: [candidate('a')],
        expected: { webhookId: 'a', freeAt: NOW, shouldGrow: false },
      },
      {
        name: 'the webhook with room over a full one',
        candidates: [candidate('a', full(NOW - 100)), candidate('b')],
        expected: { webhookId: 'b', freeAt: NOW, shouldGrow: false },
      },
      {
        name: 'among free webhooks, the one with the most room',
        candidates: [candidate('a', { slots: [NOW - 10, NOW - 5] }), candidate('b', { slots: [NOW - 10] })],
        expected: { webhookId: 'b', freeAt: NOW },
      },
      {
        name: 'among equals, the first listed',
        candidates: [candidate('a'), candidate('b')],
        expected: { webhookId: 'a' },
      },
      {
        name: 'among busy webhooks, the one whose bucket frees soonest',
        candidates: [candidate('a', full(NOW - 100)), candidate('b', full(NOW - 900))],
        expected: { webhookId: 'b', freeAt: NOW - 900 + 2050, shouldGrow: false },
      },
      {
        name: 'a blocked webhook last',
        candidates: [candidate('a', { blockedUntil: NOW + 5000 }), candidate('b', full(NOW - 100))],
        expected: { webhookId: 'b', freeAt: NOW - 100 + 2050 },
      },
    ])('takes $name', ({ candidates, expected }) => {
      expect(chooseWebhook(candidates, settings)).toMatchObject(expected);
    });
  });

  describe('when every webhook must wait', () => {
    it('asks to grow a pool below the limit', () => {
      expect(chooseWebhook([candidate('a', full(NOW - 100))], settings).shouldGrow).toBe(true);
    });

    it('does not ask to grow a full pool', () => {
      const candidates = [candidate('a', full(NOW - 100)), candidate('b', full(NOW - 50))];
      expect(chooseWebhook(candidates, settings).shouldGrow).toBe(false);
    });
  });

  describe('when the pool is empty', () => {
    it('throws', () => {
      expect(() => chooseWebhook([], settings)).toThrow(/at least one/);
    });
  });
});
