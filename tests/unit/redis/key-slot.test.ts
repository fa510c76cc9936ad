import { describe, expect, it } from 'vitest';
import { computeKeySlot } from '../../../src/redis/key-slot.js';

describe('computeKeySlot', () => {
  // Slots as `CLUSTER KEYSLOT` answers them (the spec's examples and redis-cli).
  it.each([
    ['foo', 12182],
    ['123456789', 12739],
    ['hello', 866],
    ['{user1000}.following', 3443],
    ['{user1000}.followers', 3443],
  ])('puts %s in slot %i', (key, slot) => {
    expect(computeKeySlot(key)).toBe(slot);
  });

  describe('when the key has a hash tag', () => {
    it('hashes only the tag', () => {
      expect(computeKeySlot('{chorus}:replies:wait')).toBe(computeKeySlot('chorus'));
    });
  });

  describe('when the braces hold nothing or do not close', () => {
    it('hashes the whole key', () => {
      expect(computeKeySlot('{}chorus')).not.toBe(computeKeySlot('chorus'));
      expect(computeKeySlot('{chorus')).not.toBe(computeKeySlot('chorus'));
    });
  });
});
