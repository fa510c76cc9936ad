import { describe, expect, it } from 'vitest';
import {
  collectCandidateKeys,
  extractMentionCandidates,
  MAX_NAME_LOOKUPS,
  type MentionCandidate,
  resolveMentions,
} from '../../../src/gateway/mention-parser.js';

interface Named {
  readonly id: string;
}

const alice: Named = { id: 'alice' };
const bob: Named = { id: 'bob' };
const drWho: Named = { id: 'drwho' };
const dr: Named = { id: 'dr' };
const who: Named = { id: 'who' };
const zoe: Named = { id: 'zoe' };
const liBai: Named = { id: 'libai' };
const fox: Named = { id: 'fox' };
const alicesBot: Named = { id: 'alicesbot' };

/** The owner's names and aliases as the Redis lookup returns them (`ally` is an alias of Alice). */
const lookup: ReadonlyMap<string, Named> = new Map([
  ['alice', alice],
  ['ally', alice],
  ['bob', bob],
  ['dr who', drWho],
  ['dr', dr],
  ['who', who],
  ['zoë', zoe],
  ['李白', liBai],
  ['🦊', fox],
  ["alice's bot", alicesBot],
]);

function namesAt(candidates: readonly MentionCandidate[], start: number): string[] {
  return candidates.filter((candidate) => candidate.start === start).map((candidate) => candidate.name);
}

function resolve(text: string): { mentioned: string[]; strippedText: string } {
  const { mentioned, strippedText } = resolveMentions(text, extractMentionCandidates(text), lookup);
  return { mentioned: mentioned.map((named) => named.id), strippedText };
}

describe('extractMentionCandidates', () => {
  describe('when an @ starts a name', () => {
    it.each([
      ['@Alice', ['Alice']],
      ['@Alice, hi', ['Alice,', 'Alice']],
      ['@Alice! hi', ['Alice!', 'Alice']],
      ['@Alice: hi', ['Alice:', 'Alice']],
      ["@Alice's", ["Alice's", 'Alice']],
      ['@Alice’s', ['Alice’s', 'Alice']],
      ["@Alice's!", ["Alice's!", "Alice's", 'Alice']],
      ['@Alice:hi', ['Alice:hi', 'Alice']],
      ['**@Alice**', ['Alice**', 'Alice*', 'Alice']],
      ['||@Alice||', ['Alice||', 'Alice|', 'Alice']],
      ['(@Alice)', ['Alice)', 'Alice']],
      ['@Dr Who', ['Dr Who', 'Dr']],
      ['@Dr. Who', ['Dr. Who', 'Dr.', 'Dr']],
      ['@a b c d e f g h', ['a b c d e f', 'a b c d e', 'a b c d', 'a b c', 'a b', 'a']],
      ['@Alice\nBob', ['Alice']],
      ['@Bob @Alice', ['Bob']],
      ['@Zoë', ['Zoë']],
      ['@李白你好', ['李白你好', '李白你', '李白', '李']],
      ['@🦊 hi', ['🦊 hi', '🦊']],
      ['@Alice`code`', ['Alice']],
    ])('%j lists %j, longest first', (text, names) => {
      expect(namesAt(extractMentionCandidates(text), text.indexOf('@'))).toEqual(names);
    });

    it('gives each candidate its normalized key and the exact span of `@name`', () => {
      const text = 'hey **@Dr   Who**, look';
      const candidates = extractMentionCandidates(text);
      expect(candidates.length).toBeGreaterThan(0);
      for (const candidate of candidates) {
        expect(text.slice(candidate.start, candidate.end)).toBe(`@${candidate.name}`);
      }
      expect(candidates.map((candidate) => candidate.key)).toContain('dr who');
    });

    it('orders candidates by position, then longest first', () => {
      const candidates = extractMentionCandidates('@Alice and @Bob Smith');
      const positions = candidates.map((candidate) => [candidate.start, -candidate.end]);
      expect(positions).toEqual([...positions].sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!));
    });
  });

  describe('when an @ is not a personality mention', () => {
    it.each([
      ['an email address', 'write to bob@alice.com'],
      ['a user mention', '<@123456789012345678> hi'],
      ['a nickname mention', '<@!123456789012345678> hi'],
      ['a role mention', '<@&123456789012345678> hi'],
      ['@everyone', '@everyone look'],
      ['@here', '@here look'],
      ['@Everyone in another case', '@Everyone, look'],
      ['an escaped @', '\\@Alice hi'],
      ['a URL path', 'see https://mastodon.social/@alice'],
      ['a lone @', 'meet me @ noon'],
      ['a doubled @', '@@'],
      ['an inline code span', 'run `@Alice hi` now'],
      ['a double-backtick span', 'run ``@Alice ` hi`` now'],
      ['a Discord inline code block', 'run ```@Alice``` now'],
      ['a fenced block', 'see\n```ts\nconst a = "@Alice";\n```\n'],
      ['a tilde fenced block', 'see\n~~~\n@Alice\n~~~\n'],
      ['an unclosed fence', 'see\n```\n@Alice hi'],
    ])('ignores %s', (_case, text) => {
      expect(extractMentionCandidates(text)).toEqual([]);
    });

    it('still finds mentions after a closed code span', () => {
      const text = '`@Alice` and @Bob';
      expect(namesAt(extractMentionCandidates(text), text.lastIndexOf('@'))).toEqual(['Bob']);
    });

    it('treats an unmatched backtick as text', () => {
      expect(namesAt(extractMentionCandidates('it`s @Bob'), 5)).toEqual(['Bob']);
    });
  });

  describe('when options bound the search', () => {
    it('spans at most maxWords words', () => {
      expect(namesAt(extractMentionCandidates('@a b c', { maxWords: 2 }), 0)).toEqual(['a b', 'a']);
    });

    it('never cuts a word at maxChars', () => {
      expect(namesAt(extractMentionCandidates('@abcdef ghi', { maxChars: 4 }), 0)).toEqual([]);
      expect(namesAt(extractMentionCandidates('@abc defgh', { maxChars: 5 }), 0)).toEqual(['abc']);
    });

    it('examines at most maxMentions @ signs', () => {
      const text = Array.from({ length: 10 }, (_, index) => `@n${index}`).join(' ');
      const starts = new Set(extractMentionCandidates(text, { maxMentions: 3 }).map((c) => c.start));
      expect(starts.size).toBe(3);
    });
  });

  describe('when the message is 4,000 characters long', () => {
    it('bounds the candidates it returns', () => {
      const text = 'word @Alice '.repeat(334).slice(0, 4000);
      const candidates = extractMentionCandidates(text);
      expect(new Set(candidates.map((candidate) => candidate.start)).size).toBe(50);
      expect(collectCandidateKeys(candidates).keys.length).toBeLessThanOrEqual(MAX_NAME_LOOKUPS);
    });

    it('handles adversarial punctuation and backticks', () => {
      const text = '@'.concat('.,;:!?*|~'.repeat(444)).slice(0, 4000) + '`'.repeat(1000);
      expect(() => extractMentionCandidates(text)).not.toThrow();
    });
  });
});

/** `count` distinct Han characters from U+4E00 on, starting at the `from`-th. */
function hanCharacters(from: number, count: number): string {
  return Array.from({ length: count }, (_, index) => String.fromCodePoint(0x4e00 + from + index)).join('');
}

describe('collectCandidateKeys', () => {
  it('returns each key once', () => {
    const candidates = extractMentionCandidates('@Alice @alice @ALICE!');
    expect(collectCandidateKeys(candidates)).toEqual({ keys: ['alice', 'alice!'], ignored: 0 });
  });

  describe('when a message makes thousands of candidate names', () => {
    it('looks up at most MAX_NAME_LOOKUPS of 2,000 @ in CJK text, earliest @ first', () => {
      const text = Array.from({ length: 2000 }, (_, index) => `@${hanCharacters(index * 3, 3)}`).join(' ');
      const candidates = extractMentionCandidates(text, { maxMentions: 2000 });
      const distinct = new Set(candidates.map((candidate) => candidate.key)).size;
      expect(distinct).toBeGreaterThan(5000);
      const { keys, ignored } = collectCandidateKeys(candidates);
      expect(MAX_NAME_LOOKUPS).toBe(200);
      expect(keys).toHaveLength(MAX_NAME_LOOKUPS);
      expect(ignored).toBe(distinct - MAX_NAME_LOOKUPS);
      expect(keys.slice(0, 3)).toEqual([hanCharacters(0, 3), hanCharacters(0, 2), hanCharacters(0, 1)]);
    });

    it('caps the default parse too: 50 @ each followed by 79 Han characters', () => {
      const text = Array.from({ length: 60 }, (_, index) => `@${hanCharacters(index * 79, 79)} `).join('');
      const candidates = extractMentionCandidates(text);
      expect(new Set(candidates.map((candidate) => candidate.key)).size).toBeGreaterThan(3000);
      expect(collectCandidateKeys(candidates).keys).toHaveLength(MAX_NAME_LOOKUPS);
    });

    it('still resolves multi-word and CJK names at the start of the message', () => {
      const noise = Array.from({ length: 2000 }, (_, index) => `@${hanCharacters(index * 2, 2)}`).join(' ');
      const text = `@Dr Who and @李白你好 hello ${noise}`;
      const candidates = extractMentionCandidates(text, { maxMentions: 2000 });
      const { keys } = collectCandidateKeys(candidates);
      expect(keys).toContain('dr who');
      expect(keys).toContain('李白');
      const lookup = new Map(
        keys.filter((key) => key === 'dr who' || key === '李白').map((key) => [key, key] as const),
      );
      const { mentioned, strippedText } = resolveMentions(text, candidates, lookup);
      expect(mentioned).toEqual(['dr who', '李白']);
      expect(strippedText.startsWith('and 李白你好 hello')).toBe(true);
    });
  });
});

describe('resolveMentions', () => {
  describe('when mentions open the message', () => {
    it.each([
      ["@Alice, what's up?", ['alice'], "what's up?"],
      ['@Alice !roll 2d6', ['alice'], '!roll 2d6'],
      ['@Alice, !roll', ['alice'], '!roll'],
      ['@Alice', ['alice'], ''],
      ['@alice hi', ['alice'], 'hi'],
      ['@ALICE! hi', ['alice'], 'hi'],
      ['@Alice: hi', ['alice'], 'hi'],
      ['@Alice — hi', ['alice'], 'hi'],
      ['@Alice\nwrite a poem', ['alice'], 'write a poem'],
      ['  @Alice   hi', ['alice'], 'hi'],
      ['**@Alice** hi', ['alice'], 'hi'],
      ['**@Alice hi**', ['alice'], '**hi**'],
      ['||@Alice|| hi', ['alice'], 'hi'],
      ['_@Alice_, hi', ['alice'], 'hi'],
      ['> @Alice hi', ['alice'], '> hi'],
      ['@Alice @Bob hi', ['alice', 'bob'], 'hi'],
      ['@Alice, @Bob: thoughts?', ['alice', 'bob'], 'thoughts?'],
      ['@Alice & @Bob hi', ['alice', 'bob'], 'hi'],
      ['@Dr Who are you?', ['drwho'], 'are you?'],
      ['@Dr Whom', ['dr'], 'Whom'],
      ['@Who?', ['who'], ''],
      ['@Zoë salut', ['zoe'], 'salut'],
      ['@李白 你好', ['libai'], '你好'],
      ['@🦊 hi', ['fox'], 'hi'],
      ["@Alice's Bot, hi", ['alicesbot'], 'hi'],
    ])('%j addresses %j and leaves %j', (text, mentioned, strippedText) => {
      expect(resolve(text)).toEqual({ mentioned, strippedText });
    });
  });

  describe('when mentions are mid-sentence', () => {
    it.each([
      ['Hi @Alice how are you', ['alice'], 'Hi Alice how are you'],
      ['thanks @Alice!', ['alice'], 'thanks Alice!'],
      ['what do you think, @Bob?', ['bob'], 'what do you think, Bob?'],
      ["@Alice's idea is good", ['alice'], "Alice's idea is good"],
      ['ask @Alice’s friend', ['alice'], 'ask Alice’s friend'],
      ['I said **@Alice** hi', ['alice'], 'I said **Alice** hi'],
      ['@李白你好', ['libai'], '李白你好'],
      ['hi @Alice and @Bob', ['alice', 'bob'], 'hi Alice and Bob'],
      ['@Alice hi @Bob', ['alice', 'bob'], 'hi Bob'],
    ])('%j addresses %j and reads %j', (text, mentioned, strippedText) => {
      expect(resolve(text)).toEqual({ mentioned, strippedText });
    });
  });

  describe('when a personality is named more than once', () => {
    it('lists it once, at its first appearance', () => {
      expect(resolve('@Bob hi @Alice and @Bob')).toEqual({
        mentioned: ['bob', 'alice'],
        strippedText: 'hi Alice and Bob',
      });
    });

    it('dedupes a name and its alias by identity', () => {
      expect(resolve('@Ally @Alice hi')).toEqual({ mentioned: ['alice'], strippedText: 'hi' });
    });
  });

  describe('when names overlap', () => {
    it('prefers the longest name present', () => {
      expect(resolve('@Dr Who hi').mentioned).toEqual(['drwho']);
      expect(resolve('hey @Dr Who').mentioned).toEqual(['drwho']);
    });

    it("prefers an exact possessive name over the possessive's owner", () => {
      expect(resolve("hey @Alice's Bot").mentioned).toEqual(['alicesbot']);
    });
  });

  describe('when nothing resolves', () => {
    it.each([
      ['@Carol hi'],
      ['bob@alice.com'],
      ['`@Alice` hi'],
      ['<@123456789012345678> hi'],
      ['@everyone hi'],
      ['```\n@Alice\n```'],
    ])('leaves %j untouched', (text) => {
      expect(resolve(text)).toEqual({ mentioned: [], strippedText: text });
    });

    it('keeps unknown names beside known ones', () => {
      expect(resolve('@Carol @Alice hi')).toEqual({ mentioned: ['alice'], strippedText: '@Carol Alice hi' });
    });
  });

  describe('when candidates do not belong to the text', () => {
    it('ignores spans that do not point at an @', () => {
      const candidates = extractMentionCandidates('xx @Alice');
      expect(resolveMentions('@Alice', candidates, lookup)).toEqual({
        mentioned: [],
        strippedText: '@Alice',
      });
    });
  });

  describe('when the message is 4,000 characters long', () => {
    it('resolves mentions throughout', () => {
      const text = `@Alice ${'lorem ipsum '.repeat(330)}ask @Bob`.slice(0, 4000);
      const result = resolve(text);
      expect(result.mentioned).toEqual(['alice', 'bob']);
      expect(result.strippedText.endsWith('ask Bob')).toBe(true);
    });
  });
});
