import { describe, expect, it } from 'vitest';
import {
  buildMemoryBlock,
  NOTES_HEADING,
  type PromptMemory,
  SUMMARY_CUT_MARKER,
  SUMMARY_HEADING,
} from '../../../src/context/memory-block.js';
import { estimateTokens } from '../../../src/context/token-estimate.js';

function memory(overrides: Partial<PromptMemory> = {}): PromptMemory {
  return { summary: null, notes: [], summaryShare: 0.15, notesShare: 0.1, ...overrides };
}

describe('buildMemoryBlock', () => {
  describe('when there is no memory', () => {
    it('is empty', () => {
      expect(buildMemoryBlock(memory(), 10_000)).toEqual({
        text: '',
        cut: { summaryCut: false, notesDropped: 0 },
      });
    });
  });

  describe('when everything fits its share', () => {
    it('shows the summary, then the notes as a list', () => {
      const block = buildMemoryBlock(
        memory({ summary: 'fact: Kate keeps bees.', notes: ['I am vegetarian', 'Call me Kat'] }),
        10_000,
      );
      expect(block.text).toBe(
        [SUMMARY_HEADING, 'fact: Kate keeps bees.', NOTES_HEADING, '- I am vegetarian', '- Call me Kat'].join(
          '\n',
        ),
      );
      expect(block.cut).toEqual({ summaryCut: false, notesDropped: 0 });
    });
  });

  describe('when the summary exceeds its share', () => {
    it('cuts it short within the share, marked', () => {
      const summary = Array.from({ length: 2000 }, (_, index) => `fact ${index}`).join('. ');
      const block = buildMemoryBlock(memory({ summary }), 4000);
      expect(block.cut.summaryCut).toBe(true);
      expect(block.text.endsWith(SUMMARY_CUT_MARKER)).toBe(true);
      expect(estimateTokens(block.text)).toBeLessThanOrEqual(4000 * 0.15 + 2);
      expect(summary.startsWith(block.text.split('\n')[1]!)).toBe(true);
    });
  });

  describe('when the notes exceed their share', () => {
    it('keeps the oldest notes that fit and counts the rest', () => {
      const notes = Array.from({ length: 20 }, (_, index) => `note ${index} ${'some words here '.repeat(8)}`);
      const block = buildMemoryBlock(memory({ notes }), 2000);
      expect(block.cut.notesDropped).toBeGreaterThan(0);
      expect(block.text).toContain('- note 0 ');
      expect(estimateTokens(block.text)).toBeLessThanOrEqual(2000 * 0.1 + 2);
    });
  });

  describe('when a share is zero', () => {
    it('leaves that part out', () => {
      const block = buildMemoryBlock(memory({ summary: 'fact: x', notesShare: 0, notes: ['n'] }), 10_000);
      expect(block.text).toBe(`${SUMMARY_HEADING}\nfact: x`);
      expect(block.cut.notesDropped).toBe(1);
    });
  });
});
