import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TypingIndicator } from '../../../src/replies/typing-indicator.js';

describe('TypingIndicator', () => {
  let sent: string[];
  let typing: TypingIndicator;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    typing = new TypingIndicator({ sendTyping: async (channelId) => void sent.push(channelId) });
  });

  afterEach(() => {
    typing[Symbol.dispose]();
    vi.useRealTimers();
  });

  describe('when the AI answers within a second', () => {
    it('never shows typing', () => {
      const end = typing.begin('c1');
      vi.advanceTimersByTime(999);
      end();
      vi.advanceTimersByTime(20_000);
      expect(sent).toEqual([]);
      expect(typing.activeChannels()).toEqual([]);
    });
  });

  describe('when the AI is slow', () => {
    it('starts after 1 s and renews every 8 s until the channel has nothing in flight', () => {
      const end = typing.begin('c1');
      vi.advanceTimersByTime(1000);
      expect(sent).toEqual(['c1']);
      vi.advanceTimersByTime(8000);
      vi.advanceTimersByTime(8000);
      expect(sent).toEqual(['c1', 'c1', 'c1']);
      end();
      vi.advanceTimersByTime(30_000);
      expect(sent).toHaveLength(3);
    });
  });

  describe('when several jobs wait in one channel', () => {
    it('runs one loop for the channel, not one per job, until the last one ends', () => {
      const ends = [typing.begin('c1'), typing.begin('c1'), typing.begin('c1')];
      vi.advanceTimersByTime(1000 + 8000);
      expect(sent).toEqual(['c1', 'c1']);
      ends[0]!();
      ends[1]!();
      vi.advanceTimersByTime(8000);
      expect(sent).toHaveLength(3);
      ends[2]!();
      vi.advanceTimersByTime(16_000);
      expect(sent).toHaveLength(3);
    });

    it('keeps channels apart', () => {
      typing.begin('c1');
      vi.advanceTimersByTime(500);
      typing.begin('c2');
      vi.advanceTimersByTime(1000);
      expect(sent).toEqual(['c1', 'c2']);
    });
  });

  it('ignores a lease ended twice', () => {
    const first = typing.begin('c1');
    const second = typing.begin('c1');
    first();
    first();
    vi.advanceTimersByTime(1000);
    expect(sent).toEqual(['c1']);
    second();
  });
});
