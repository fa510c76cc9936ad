import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReasoningFilter, stripReasoning } from '../../../src/ai/reasoning-filter.js';

/** Feeds `pieces` one by one, then flushes; returns every output joined and the filter. */
function filterPieces(pieces: readonly string[]): { visible: string; filter: ReasoningFilter } {
  const filter = new ReasoningFilter();
  let visible = '';
  for (const piece of pieces) visible += filter.push(piece);
  visible += filter.flush();
  return { visible, filter };
}

/** Cuts `text` at the given offsets (any order, duplicates allowed). */
function cut(text: string, offsets: readonly number[]): string[] {
  const points = [...new Set(offsets.map((offset) => offset % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(text.slice(from, point));
    from = point;
  }
  pieces.push(text.slice(from));
  return pieces;
}

describe('stripReasoning', () => {
  it.each([
    ['a plain reply', 'Hello there.', 'Hello there.', false],
    ['a think block first', '<think>The user greets me.</think>\n\nHello!', 'Hello!', true],
    ['a think block in the middle', 'Hello <think>hmm</think>world', 'Hello world', true],
    ['two blocks', '<think>a</think>One <think>b</think>two', 'One two', true],
    ['an unclosed block at the start', '<think>I keep thinking and never stop', '', true],
    ['an unclosed block after text', 'Answer first. <think>then thoughts', 'Answer first. ', true],
    ['an empty block', '<think></think>Hi', 'Hi', true],
    ['only a block', '<think>just thoughts</think>', '', true],
    ['upper-case tags', '<THINK>loud</Think>Quiet', 'Quiet', true],
    ['a stray closing tag', 'A </think> B', 'A </think> B', false],
    [
      'a tag-like text that is not one',
      'Use <thin> or <thinking> tags',
      'Use <thin> or <thinking> tags',
      false,
    ],
    ['a lone "<" at the end', 'a < b and b <', 'a < b and b <', false],
    ['leading whitespace', '  \n Hello', 'Hello', false],
    ['whitespace only', ' \n ', '', false],
    ['an empty reply', '', '', false],
    ['text of a changing length in lower case', 'İ<think>x</think>İ', 'İİ', true],
  ])('keeps the visible text of %s', (_name, text, visible, sawReasoning) => {
    expect(stripReasoning(text)).toEqual({ visible, sawReasoning });
  });
});

describe('ReasoningFilter', () => {
  it('holds back a tag split across pieces until it knows', () => {
    const filter = new ReasoningFilter();
    expect(filter.push('Hello <th')).toBe('Hello ');
    expect(filter.push('ink>secret</thi')).toBe('');
    expect(filter.push('nk> world')).toBe(' world');
    expect(filter.flush()).toBe('');
    expect(filter.sawReasoning).toBe(true);
    expect(filter.sawVisible).toBe(true);
  });

  it('lets a held-back "<" through once it is no tag', () => {
    const filter = new ReasoningFilter();
    expect(filter.push('a <')).toBe('a ');
    expect(filter.push('b')).toBe('<b');
  });

  it('passes a held-back start of a tag on at the end', () => {
    const filter = new ReasoningFilter();
    expect(filter.push('x <thin')).toBe('x ');
    expect(filter.flush()).toBe('<thin');
  });

  it('drops everything after a block that never closes, up to the end', () => {
    const { visible, filter } = filterPieces(['<think>', 'step one, ', 'step two', '</thi']);
    expect(visible).toBe('');
    expect(filter.sawReasoning).toBe(true);
    expect(filter.sawVisible).toBe(false);
  });

  it('records reasoning that came beside the text', () => {
    const filter = new ReasoningFilter();
    filter.noteReasoning();
    expect(filter.sawReasoning).toBe(true);
    expect(filter.sawVisible).toBe(false);
  });

  describe('whatever the pieces', () => {
    const fragment = fc.oneof(
      fc.constantFrom(
        '<think>',
        '</think>',
        '<THINK>',
        '</Think>',
        '<',
        '</',
        '<th',
        'think>',
        '>',
        '\n\n',
        ' ',
      ),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('Hello', 'world', 'é', '🦊', 'İ', '```ts'),
    );
    const text = fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join(''));

    it('gives the visible text of the whole, and the same flags', () => {
      fc.assert(
        fc.property(text, fc.array(fc.nat(), { maxLength: 12 }), (whole, offsets) => {
          const expected = stripReasoning(whole);
          const { visible, filter } = filterPieces(cut(whole, offsets));
          expect(visible).toBe(expected.visible);
          expect(filter.sawReasoning).toBe(expected.sawReasoning);
          expect(filter.sawVisible).toBe(expected.visible !== '');
        }),
        { numRuns: 2_000 },
      );
    });

    it('never lets text between tags through', () => {
      fc.assert(
        fc.property(
          fc.string({ maxLength: 20 }),
          fc.string({ maxLength: 20 }),
          fc.array(fc.nat(), { maxLength: 8 }),
          (before, after, offsets) => {
            const secret = 'SECRET-REASONING';
            const whole = `${before}<think>${secret}</think>${after}`;
            fc.pre(!before.toLowerCase().includes('<think>') && !before.toLowerCase().includes('</think>'));
            const { visible } = filterPieces(cut(whole, offsets));
            expect(visible).not.toContain(secret);
          },
        ),
      );
    });
  });
});
