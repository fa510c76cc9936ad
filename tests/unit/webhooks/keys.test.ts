import { describe, expect, it } from 'vitest';
import { buildChannelTag } from '../../../src/redis/index.js';
import {
  buildNoticeKey,
  buildPoolGrowthBlockedKey,
  buildUnavailableKey,
  buildWebhookLockKey,
  buildWebhookPoolKey,
} from '../../../src/webhooks/keys.js';

/** The part of a key Redis Cluster hashes: the first `{…}`. */
function hashTagOf(key: string): string | undefined {
  return /\{([^}]+)\}/.exec(key)?.[1];
}

describe('webhook keys', () => {
  const channelId = '123456789012345678';
  const channelKeys = [
    buildWebhookPoolKey('chorus', channelId),
    buildWebhookLockKey('chorus', channelId),
    buildPoolGrowthBlockedKey('chorus', channelId),
    buildNoticeKey('chorus', channelId, 'MissingPermissions'),
    buildUnavailableKey('chorus', channelId),
  ];

  it('puts every key of a channel in one hash slot', () => {
    expect(new Set(channelKeys.map(hashTagOf))).toEqual(new Set([`c:${channelId}`]));
  });

  it('names keys under the prefix and area', () => {
    for (const key of channelKeys)
      expect(key.startsWith(`chorus:webhooks:${buildChannelTag(channelId)}:`)).toBe(true);
  });
});
