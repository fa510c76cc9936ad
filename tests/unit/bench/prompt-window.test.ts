import { describe, expect, it } from 'vitest';
import { countChannelLines, summarizeChannelLines } from '../../../bench/prompt-window.js';

/** Messages 1, 3 and 5 are Ann's, 2 and 4 Bob's. */
const senderOf = (seq: number) => (seq % 2 === 1 ? 'ann' : 'bob');
const system = { role: 'system', content: 'You are Bench.' };

describe('countChannelLines', () => {
  describe('when the prompt is personal (history only)', () => {
    it('counts none', () => {
      const messages = [
        system,
        { role: 'user', content: 'Ann: @Bench !say #b1 hello' },
        { role: 'assistant', content: '#b1 hello' },
        { role: 'user', content: 'Ann: @Bench !say #b3 again' },
      ];
      expect(countChannelLines(messages, senderOf)).toEqual({ lines: 0, chars: 0 });
    });
  });

  describe('when the prompt holds the room', () => {
    it('counts the lines of others and the untagged ones, merged turns line by line', () => {
      const messages = [
        system,
        { role: 'user', content: 'Cid: a pre-filled line\nAnn: @Bench !say #b1 hello' },
        { role: 'assistant', content: '#b1 hello\n#b2 answer to Bob' },
        { role: 'user', content: 'Bob: @Bench !say #b4 hi\nAnn: @Bench !say #b5 again' },
      ];
      const lines = ['Cid: a pre-filled line', '#b2 answer to Bob', 'Bob: @Bench !say #b4 hi'];
      expect(countChannelLines(messages, senderOf)).toEqual({
        lines: 3,
        chars: lines.reduce((total, line) => total + line.length, 0),
      });
    });
  });
});

describe('summarizeChannelLines', () => {
  it('gives the mean, the fewest and the characters per line', () => {
    const room = [system, { role: 'user', content: 'Bob: 1234\nAnn: #b1' }];
    const personal = [system, { role: 'user', content: 'Ann: #b1' }];
    expect(summarizeChannelLines([room, personal], senderOf)).toEqual({
      prompts: 2,
      meanChannelLines: 0.5,
      fewestChannelLines: 0,
      meanCharsPerChannelLine: 9,
    });
  });

  it('reads NaN without prompts', () => {
    expect(summarizeChannelLines([], senderOf).meanChannelLines).toBeNaN();
  });
});
