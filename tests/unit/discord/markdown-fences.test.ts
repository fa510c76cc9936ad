import { describe, expect, it } from 'vitest';
import { findFencedBlocks } from '../../../src/discord/markdown-fences.js';

describe('findFencedBlocks', () => {
  it.each([
    [
      'a closed block',
      'a\n```ts\nx\n```\nb',
      [{ lineStart: 2, openStart: 2, closeStart: 10, closeEnd: 13, marker: '```', info: 'ts' }],
    ],
    [
      'an unclosed block',
      '```\nx',
      [{ lineStart: 0, openStart: 0, closeStart: null, closeEnd: 5, marker: '```', info: '' }],
    ],
    [
      'an indented tilde fence',
      '  ~~~ py\nx\n  ~~~',
      [{ lineStart: 0, openStart: 2, closeStart: 11, closeEnd: 16, marker: '~~~', info: 'py' }],
    ],
    [
      'a longer closing run',
      '````\nx\n`````',
      [{ lineStart: 0, openStart: 0, closeStart: 7, closeEnd: 12, marker: '````', info: '' }],
    ],
  ])('finds %s', (_case, text, expected) => {
    expect(findFencedBlocks(text)).toEqual(expected);
  });

  it.each([
    ['inline code with three backticks', '```x``` and text'],
    ['four spaces of indentation', '    ```\nx\n    ```'],
    ['two backticks', '``\nx\n``'],
  ])('finds nothing in %s', (_case, text) => {
    expect(findFencedBlocks(text)).toEqual([]);
  });

  it('does not close a backtick block with tildes or a shorter run', () => {
    expect(findFencedBlocks('````\n~~~~\n```\nx')[0]?.closeStart).toBeNull();
  });

  it('treats marker runs above the maximum as text', () => {
    expect(findFencedBlocks('`````\nx\n`````', { maxMarkerLength: 4 })).toEqual([]);
  });
});
