import { describe, expect, it } from 'vitest';
import type { WindowLine } from '../../../src/context/window-line.js';
import { WindowLineCache } from '../../../src/context/window-line-cache.js';

function line(n: number): WindowLine {
  return {
    id: String(500_000_000_000_000_000n + BigInt(n)),
    at: Date.UTC(2026, 5, 1, 12) + n * 1000,
    name: `Person ${n}`,
    content: `message ${n}`,
    replyToId: null,
    personalityId: null,
    userId: '200000000000000001',
  };
}

describe('WindowLineCache', () => {
  describe('when a stored line is read', () => {
    it('returns the parsed line, frozen', () => {
      const parsed = new WindowLineCache().parse(JSON.stringify(line(1)));
      expect(parsed).toEqual(line(1));
      expect(Object.isFrozen(parsed)).toBe(true);
    });

    it('returns the same line again for the same text', () => {
      const cache = new WindowLineCache();
      const raw = JSON.stringify(line(1));
      expect(cache.parse(`${raw}`)).toBe(cache.parse(raw.slice(0)));
    });
  });

  describe('when the text is not a valid line', () => {
    it.each([
      ['absent', null],
      ['not JSON', '{'],
      ['not a line', JSON.stringify({ id: 'x' })],
    ])('returns null (%s)', (_case, raw) => {
      expect(new WindowLineCache().parse(raw)).toBeNull();
    });
  });

  describe('when the lines kept exceed maxChars', () => {
    it('drops the oldest and parses it anew when read again', () => {
      const first = JSON.stringify(line(1));
      const cache = new WindowLineCache({ maxChars: first.length * 2 });
      const kept = cache.parse(first);
      cache.parse(JSON.stringify(line(2)));
      expect(cache.parse(first)).toBe(kept);
      cache.parse(JSON.stringify(line(3)));
      cache.parse(JSON.stringify(line(4)));
      const again = cache.parse(first);
      expect(again).toEqual(kept);
      expect(again).not.toBe(kept);
    });

    it('still parses a line longer than the whole budget', () => {
      const raw = JSON.stringify(line(1));
      expect(new WindowLineCache({ maxChars: 10 }).parse(raw)).toEqual(line(1));
    });
  });
});
