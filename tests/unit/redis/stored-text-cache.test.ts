import { describe, expect, it } from 'vitest';
import { StoredTextCache } from '../../../src/redis/stored-text-cache.js';

/** A parse that counts its calls: a cache hit must not parse again. */
function countingParse() {
  const calls: string[] = [];
  const parse = (raw: string): { readonly n: number } | null => {
    calls.push(raw);
    const value: unknown = JSON.parse(raw);
    return typeof value === 'number' ? Object.freeze({ n: value }) : null;
  };
  return { calls, parse };
}

describe('StoredTextCache', () => {
  describe('when a text is read again', () => {
    it('returns the value parsed the first time, without parsing again', () => {
      const { calls, parse } = countingParse();
      const cache = new StoredTextCache(parse);
      const first = cache.parse('1');
      expect(first).toEqual({ n: 1 });
      expect(cache.parse(String(1))).toBe(first);
      expect(calls).toEqual(['1']);
    });

    it('remembers unreadable text too', () => {
      const { calls, parse } = countingParse();
      const cache = new StoredTextCache(parse);
      expect(cache.parse('"x"')).toBeNull();
      expect(cache.parse('"x"')).toBeNull();
      expect(calls).toEqual(['"x"']);
    });
  });

  describe('when the text is absent', () => {
    it.each([null, undefined])('returns null (%s)', (raw) => {
      expect(new StoredTextCache(countingParse().parse).parse(raw)).toBeNull();
    });
  });

  describe('when the texts kept exceed maxChars', () => {
    it('drops the oldest, which is parsed anew when read again', () => {
      const { calls, parse } = countingParse();
      const cache = new StoredTextCache(parse, { maxChars: 4 });
      cache.parse('10');
      cache.parse('20');
      cache.parse('10');
      expect(calls).toEqual(['10', '20']);
      cache.parse('30');
      cache.parse('10');
      expect(calls).toEqual(['10', '20', '30', '10']);
    });

    it('parses a text longer than the whole budget without keeping it', () => {
      const { calls, parse } = countingParse();
      const cache = new StoredTextCache(parse, { maxChars: 2 });
      expect(cache.parse('1000')).toEqual({ n: 1000 });
      cache.parse('1000');
      expect(calls).toEqual(['1000', '1000']);
    });
  });
});
