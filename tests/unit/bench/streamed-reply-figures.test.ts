import { describe, expect, it } from 'vitest';
import { buildStreamedReplyText, measureStreamedReply } from '../../../bench/streamed-reply-figures.js';

describe('measureStreamedReply', () => {
  it('takes the first message created, counts edits, and the shortest gap between writes of one message', () => {
    const figures = measureStreamedReply(
      [
        // The overflow message: posted later, its own writes.
        { createdAt: 9000, edits: [{ at: 10_300 }] },
        { createdAt: 2000, edits: [{ at: 3250 }, { at: 4500 }, { at: 5700 }] },
      ],
      1000,
    );
    expect(figures).toEqual({
      firstVisibleAfterFirstTokenMs: 1000,
      messages: 2,
      edits: 4,
      minWriteGapMs: 1200,
    });
  });

  it('has no gap when nothing was edited', () => {
    expect(measureStreamedReply([{ createdAt: 5, edits: [] }], 0).minWriteGapMs).toBeNull();
  });
});

describe('buildStreamedReplyText', () => {
  it('is exactly that long and ends with the marker', () => {
    const text = buildStreamedReplyText(2400, '[end]');
    expect(text).toHaveLength(2400);
    expect(text.endsWith(' [end]')).toBe(true);
    expect(text).not.toMatch(/\s{2}/);
  });
});
