import { describe, expect, it } from 'vitest';
import {
  DefaultStreamPacing,
  isFirstPostDue,
  planStreamWrite,
  type StreamView,
} from '../../../src/replies/stream-pacing.js';

const T = 1_700_000_000_000;
const pacing = DefaultStreamPacing;

function view(overrides: Partial<StreamView>): StreamView {
  return { wanted: [], shown: [], mayPost: true, textChars: 0, firstTextAt: T, ...overrides };
}

describe('isFirstPostDue', () => {
  it.each([
    ['no text yet', 0, null, T, false],
    ['a little text, just now', 40, T, T + 10, false],
    ['a little text, almost a second', 40, T, T + 999, false],
    ['a little text, a second old', 40, T, T + 1000, true],
    ['100 characters at once', 100, T, T, true],
    ['99 characters', 99, T, T + 500, false],
  ] as const)('%s → %j', (_, chars, firstTextAt, now, due) => {
    expect(isFirstPostDue(chars, firstTextAt, now, pacing)).toBe(due);
  });
});

describe('planStreamWrite', () => {
  describe('when nothing is posted yet', () => {
    it('waits until a second after the first text while it is short', () => {
      expect(planStreamWrite(view({ wanted: ['Hi'], textChars: 2 }), T + 300, pacing)).toEqual({
        kind: 'wait',
        until: T + 1000,
      });
    });

    it('posts the first message once 100 characters exist', () => {
      const wanted = ['x'.repeat(100)];
      expect(planStreamWrite(view({ wanted, textChars: 100 }), T + 1, pacing)).toEqual({
        kind: 'post',
        index: 0,
      });
    });

    it('counts the text, not the quote line the first message opens with', () => {
      const wanted = [`> **Bob** · [jump](https://discord.com/channels/1/2/3)\n${'x'.repeat(10)}`];
      expect(planStreamWrite(view({ wanted, textChars: 10 }), T + 1, pacing).kind).toBe('wait');
    });

    it('waits for the end when the channel put the first post off', () => {
      const wanted = ['x'.repeat(500)];
      expect(planStreamWrite(view({ wanted, textChars: 500, mayPost: false }), T + 5000, pacing)).toEqual({
        kind: 'wait',
        until: null,
      });
    });

    it('waits for text before there is any', () => {
      expect(planStreamWrite(view({ firstTextAt: null }), T, pacing)).toEqual({ kind: 'wait', until: null });
    });
  });

  describe('when the open message has new text', () => {
    const shown = [{ shown: 'Hello', writtenAt: T }];

    it('waits out the edit interval since its last write', () => {
      expect(planStreamWrite(view({ wanted: ['Hello wor'], shown }), T + 500, pacing)).toEqual({
        kind: 'wait',
        until: T + 1200,
      });
    });

    it('edits it once the interval is over', () => {
      expect(planStreamWrite(view({ wanted: ['Hello world'], shown }), T + 1200, pacing)).toEqual({
        kind: 'edit',
        index: 0,
      });
    });

    it('edits nothing when the text is what it shows', () => {
      expect(planStreamWrite(view({ wanted: ['Hello'], shown }), T + 5000, pacing)).toEqual({
        kind: 'wait',
        until: null,
      });
    });
  });

  describe('when the text filled a message', () => {
    it('posts the next message at once, before the full one may be edited', () => {
      const shown = [{ shown: 'a'.repeat(1990), writtenAt: T }];
      const wanted = ['a'.repeat(1999), 'b'];
      expect(planStreamWrite(view({ wanted, shown }), T + 100, pacing)).toEqual({ kind: 'post', index: 1 });
    });

    it('finishes the full message before the open one grows', () => {
      const shown = [
        { shown: 'a'.repeat(1990), writtenAt: T },
        { shown: 'b', writtenAt: T },
      ];
      const wanted = ['a'.repeat(1999), 'bbb'];
      expect(planStreamWrite(view({ wanted, shown }), T + 1200, pacing)).toEqual({ kind: 'edit', index: 0 });
    });

    it('waits for the soonest edit when none is due', () => {
      const shown = [
        { shown: 'a', writtenAt: T + 300 },
        { shown: 'b', writtenAt: T + 100 },
      ];
      expect(planStreamWrite(view({ wanted: ['aa', 'bb'], shown }), T + 200, pacing)).toEqual({
        kind: 'wait',
        until: T + 1300,
      });
    });

    it('only edits once the channel put a post off', () => {
      const shown = [{ shown: 'a'.repeat(1999), writtenAt: T }];
      const wanted = ['a'.repeat(1999), 'b'];
      expect(planStreamWrite(view({ wanted, shown, mayPost: false }), T + 100, pacing)).toEqual({
        kind: 'wait',
        until: null,
      });
    });
  });

  describe('with a shorter interval', () => {
    it('edits sooner', () => {
      const shown = [{ shown: 'a', writtenAt: T }];
      expect(
        planStreamWrite(view({ wanted: ['ab'], shown }), T + 200, { ...pacing, editIntervalMs: 200 }),
      ).toEqual({ kind: 'edit', index: 0 });
    });
  });
});
