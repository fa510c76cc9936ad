import { describe, expect, it } from 'vitest';
import { cutFirstMessage, splitMessage } from '../../../src/webhooks/message-splitter.js';
import { contentOf, isBalanced } from '../../support/markdown-oracle.js';

function expectWellFormed(text: string, chunks: readonly string[], maxLength = 2000): void {
  for (const chunk of chunks) {
    expect(chunk.length).toBeLessThanOrEqual(maxLength);
    expect(chunk.trim()).not.toBe('');
    expect(isBalanced(chunk)).toBe(true);
    expect(/\p{Cs}/u.test(chunk)).toBe(false);
  }
  expect(contentOf(chunks.join('\n'))).toBe(contentOf(text));
}

describe('splitMessage', () => {
  describe('when the text fits', () => {
    it.each([
      ['a short reply', 'Hello there!'],
      ['exactly the limit', 'x'.repeat(2000)],
      ['a fenced block', '```ts\nconst a = 1;\n```'],
    ])('returns %s as one chunk', (_case, text) => {
      expect(splitMessage(text)).toEqual([text]);
    });

    it('treats options passed as undefined as not given', () => {
      expect(splitMessage('hi', { prefix: undefined, maxLength: undefined })).toEqual(['hi']);
    });

    it('trims surrounding whitespace', () => {
      expect(splitMessage('\n\n  hi  \n')).toEqual(['hi']);
    });

    it.each([[''], ['   '], ['\n\n\t \n']])('returns no chunks for %j', (text) => {
      expect(splitMessage(text)).toEqual([]);
    });
  });

  describe('when the text is too long', () => {
    it('cuts at a paragraph break first', () => {
      const first = 'a'.repeat(1200);
      const second = `${'b'.repeat(500)}\n${'c'.repeat(500)}`;
      expect(splitMessage(`${first}\n\n${second}`)).toEqual([first, second]);
    });

    it('cuts at a line break when no paragraph break leaves the chunk half full', () => {
      const text = `${'a'.repeat(100)}\n\n${'b'.repeat(1500)}\n${'c'.repeat(900)}`;
      expect(splitMessage(text)).toEqual([`${'a'.repeat(100)}\n\n${'b'.repeat(1500)}`, 'c'.repeat(900)]);
    });

    it('cuts after a sentence when there is no line break', () => {
      const sentence = `${'word '.repeat(39)}end. `;
      const chunks = splitMessage(sentence.repeat(12), { maxLength: 500 });
      for (const chunk of chunks) expect(chunk.endsWith('end.')).toBe(true);
    });

    it('cuts at a space when there is no sentence end', () => {
      const chunks = splitMessage('word '.repeat(1000));
      expect(chunks.length).toBe(3);
      for (const chunk of chunks) expect(chunk).toMatch(/^word( word)*$/u);
    });

    it('cuts a 3,000-character word hard, keeping it whole across chunks', () => {
      const word = 'x'.repeat(3000);
      const chunks = splitMessage(word);
      expect(chunks.map((chunk) => chunk.length)).toEqual([2000, 1000]);
      expect(chunks.join('')).toBe(word);
    });

    it('keeps a 10,000-character text in order and within the limit', () => {
      const text = Array.from(
        { length: 200 },
        (_, index) => `Paragraph ${index}: ${'lorem ipsum '.repeat(4)}`,
      ).join('\n\n');
      expect(text.length).toBeGreaterThan(10_000);
      const chunks = splitMessage(text);
      expect(chunks.length).toBeGreaterThanOrEqual(6);
      expectWellFormed(text, chunks);
    });
  });

  describe('when a cut falls inside a fenced code block', () => {
    const code = Array.from({ length: 200 }, (_, index) => `const value${index} = ${index}; // comment`).join(
      '\n',
    );

    it('closes the block and reopens it with its language', () => {
      const text = `Here is the code:\n\n\`\`\`ts\n${code}\n\`\`\`\n\nThat is all.`;
      expect(text.length).toBeGreaterThan(5000);
      const chunks = splitMessage(text);
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const chunk of chunks.slice(1)) expect(chunk.startsWith('```ts\n')).toBe(true);
      for (const chunk of chunks.slice(0, -1)) expect(chunk.endsWith('\n```')).toBe(true);
      expect(chunks.at(-1)!.endsWith('That is all.')).toBe(true);
      expectWellFormed(text, chunks);
    });

    it('splits a 5,000-character block without a language', () => {
      const text = `\`\`\`\n${'y'.repeat(5000)}\n\`\`\``;
      const chunks = splitMessage(text);
      for (const chunk of chunks.slice(1)) expect(chunk.startsWith('```\n')).toBe(true);
      expectWellFormed(text, chunks);
    });

    it('reopens tilde and longer fences with their own marker', () => {
      const text = `~~~~python\n${'print(1)\n'.repeat(300)}~~~~`;
      const chunks = splitMessage(text, { maxLength: 500 });
      for (const chunk of chunks.slice(1)) expect(chunk.startsWith('~~~~python\n')).toBe(true);
      expectWellFormed(text, chunks, 500);
    });

    it('keeps nested-looking fences inside the outer block', () => {
      const inner = `\`\`\`js\n${'let x = 1;\n'.repeat(60)}\`\`\``;
      const text = `\`\`\`\`md\n${inner}\n\`\`\`\`\nafter`;
      const chunks = splitMessage(text, { maxLength: 300 });
      for (const chunk of chunks.slice(1, -1)) expect(chunk.startsWith('````md\n')).toBe(true);
      expectWellFormed(text, chunks, 300);
    });

    it('does not leave an empty block when only the closing fence is left over', () => {
      const text = `\`\`\`ts\n${'a'.repeat(1990)}\n\`\`\`\n\nafter`;
      const chunks = splitMessage(text);
      expect(chunks).toEqual([`\`\`\`ts\n${'a'.repeat(1990)}\n\`\`\``, 'after']);
    });

    it('closes a block the text never closes', () => {
      const text = `\`\`\`py\n${'print(1)\n'.repeat(300)}`;
      const chunks = splitMessage(text);
      expect(chunks.at(-1)!.endsWith('\n```')).toBe(true);
      expectWellFormed(text, chunks);
    });

    it('closes an opening fence line cut in the middle', () => {
      const text = `\`\`\`${'z'.repeat(100)}\ncode`;
      const chunks = splitMessage(text, { maxLength: 50 });
      for (const chunk of chunks) {
        expect(chunk.length).toBeLessThanOrEqual(50);
        expect(isBalanced(chunk)).toBe(true);
      }
    });

    it('leaves inline triple backticks alone', () => {
      const text = `${'Use ```js``` inline. '.repeat(150)}`;
      expectWellFormed(text, splitMessage(text));
    });
  });

  describe('when the text is not ASCII', () => {
    it.each([
      ['emoji', '🦊'.repeat(1500)],
      ['joined emoji', '👩‍💻'.repeat(700)],
      ['flags', '🇫🇷🇯🇵'.repeat(600)],
      ['CJK', '漢字かな'.repeat(800)],
      ['combining marks', 'e\u0301'.repeat(1500)],
    ])('never splits %s inside a grapheme', (_case, text) => {
      const chunks = splitMessage(text);
      const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
      const whole = [...segmenter.segment(text)].map((part) => part.segment);
      const pieces = chunks.flatMap((chunk) => [...segmenter.segment(chunk)].map((part) => part.segment));
      expect(pieces).toEqual(whole);
      expectWellFormed(text, chunks);
    });

    it('falls back to code points for one grapheme longer than a chunk', () => {
      const text = `a${'\u0301'.repeat(3000)}`;
      const chunks = splitMessage(text);
      expect(chunks.join('')).toBe(text);
      expectWellFormed(text, chunks);
    });
  });

  describe('when a prefix is given', () => {
    const prefix = '> **Bob** · [jump](https://discord.com/channels/1/2/3)\n';

    it('puts it on the first chunk only, within the limit', () => {
      const text = 'word '.repeat(1000);
      const chunks = splitMessage(text, { prefix });
      expect(chunks[0]!.startsWith(prefix)).toBe(true);
      for (const chunk of chunks.slice(1)) expect(chunk.includes('jump')).toBe(false);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(2000);
    });

    it('returns nothing for blank text', () => {
      expect(splitMessage('  ', { prefix })).toEqual([]);
    });

    it('throws when the prefix leaves no room', () => {
      expect(() => splitMessage('hello', { prefix: 'p'.repeat(1999) })).toThrow(RangeError);
    });
  });
});

describe('cutFirstMessage', () => {
  describe('when the text fits one message', () => {
    it.each([
      ['a short reply', 'Hello there!'],
      ['blank', '  \n '],
      ['exactly the limit', 'x'.repeat(2000)],
    ])('cuts nothing: %s', (_, text) => {
      expect(cutFirstMessage(text)).toBeNull();
    });
  });

  describe('when the text needs more than one message', () => {
    it('cuts the first message exactly where splitMessage does, and keeps the rest', () => {
      const text = `${'First paragraph. '.repeat(80)}\n\n${'Second one. '.repeat(120)}`;
      const cut = cutFirstMessage(text, { prefix: '> quote\n' });
      expect(cut?.first).toBe(splitMessage(text, { prefix: '> quote\n' })[0]);
      expect(contentOf(cut!.first + cut!.rest)).toBe(contentOf(`> quote\n${text}`));
      expect(cut?.rest.startsWith('Second one.')).toBe(true);
    });

    it('reopens the code block it cut, so the rest renders and splits on its own', () => {
      const lines = Array.from({ length: 150 }, (_, index) => `  total += ${index};`);
      const text = `Code:\n\n\`\`\`ts\n${lines.join('\n')}\n\`\`\`\n\nThat is all.`;
      const cut = cutFirstMessage(text)!;
      expect(cut.first).toBe(splitMessage(text)[0]);
      expect(cut.first.endsWith('\n```')).toBe(true);
      expect(cut.rest.startsWith('```ts\n')).toBe(true);
      expectWellFormed(cut.rest, splitMessage(cut.rest));
      expect(contentOf(cut.first) + contentOf(cut.rest)).toBe(contentOf(text) + contentOf('```'));
    });
  });
});
