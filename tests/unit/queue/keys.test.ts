import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildBullJobKey,
  buildBullPrefix,
  buildGateConversationPrefix,
  buildGateMember,
  buildUserQueueKeys,
} from '../../../src/queue/keys.js';

function hashTag(key: string): string | undefined {
  return /\{([^}]*)\}/.exec(key)?.[1];
}

describe('queue keys', () => {
  it('hash-tags the BullMQ prefix so every key of the queue shares one slot', () => {
    expect(buildBullPrefix('chorus')).toBe('{chorus}');
    expect(buildBullJobKey(buildBullPrefix('chorus'), 'reply-1-p')).toBe('{chorus}:replies:reply-1-p');
    expect(hashTag(buildBullJobKey(buildBullPrefix('chorus'), 'reply-1-p'))).toBe('chorus');
  });

  it('puts every per-user key in the user’s slot', () => {
    const keys = buildUserQueueKeys('chorus', '42');
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) {
      expect(key.startsWith('chorus:queue:')).toBe(true);
      expect(hashTag(key)).toBe('u:42');
    }
  });

  describe('buildGateMember', () => {
    it('sorts members of one conversation in message (snowflake) order', () => {
      const snowflake = fc.bigInt({ min: 0n, max: 2n ** 63n - 1n });
      fc.assert(
        fc.property(snowflake, snowflake, (left, right) => {
          const a = buildGateMember('2', 'p', left.toString(), `reply-${left}-p`);
          const b = buildGateMember('2', 'p', right.toString(), `reply-${right}-p`);
          expect(a < b).toBe(left < right);
        }),
      );
    });

    it('starts with its conversation prefix and ends with the job id', () => {
      const member = buildGateMember('2', 'p', '15', 'reply-15-p');
      expect(member.startsWith(buildGateConversationPrefix('2', 'p'))).toBe(true);
      expect(member.endsWith(':reply-15-p')).toBe(true);
    });
  });
});
