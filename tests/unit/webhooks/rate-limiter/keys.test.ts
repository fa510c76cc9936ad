import { describe, expect, it } from 'vitest';
import {
  buildBucketKey,
  buildChannelKey,
  buildChannelWaiterDeadlinesKey,
  buildChannelWaitersKey,
  buildGlobalBlockKey,
  buildGlobalSlotsKey,
} from '../../../../src/webhooks/rate-limiter/keys.js';

/** The part of a key Redis Cluster hashes: the first `{…}`. */
function hashTagOf(key: string): string | undefined {
  return /\{([^}]+)\}/.exec(key)?.[1];
}

describe('rate limiter keys', () => {
  it('puts the fleet-wide limiter and every bucket in one hash slot, so one script reserves both', () => {
    const rateKeys = [
      buildGlobalSlotsKey('chorus', 'webhooks'),
      buildGlobalBlockKey('chorus', 'webhooks'),
      buildBucketKey('chorus', 'webhooks', '123456789012345678', 'execute', '987654321098765432'),
      buildBucketKey('chorus', 'webhooks', '42', 'message', '7'),
      buildChannelKey('chorus', 'webhooks', '42'),
      buildChannelWaitersKey('chorus', 'webhooks', '42'),
      buildChannelWaiterDeadlinesKey('chorus', 'webhooks', '42'),
    ];
    expect(new Set(rateKeys.map(hashTagOf))).toEqual(new Set(['rate']));
  });

  it('keys a bucket by keyspace, channel, bucket name and major id', () => {
    expect(buildBucketKey('p', 'webhooks', '1', 'execute', '2')).toBe('p:webhooks:{rate}:bucket:1:execute:2');
  });

  it('keeps limiters of different keyspaces apart', () => {
    expect(buildGlobalSlotsKey('p', 'webhooks')).toBe('p:webhooks:{rate}:global-slots');
    expect(buildGlobalSlotsKey('p', 'bot')).not.toBe(buildGlobalSlotsKey('p', 'webhooks'));
  });
});
