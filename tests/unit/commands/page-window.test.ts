import { describe, expect, it } from 'vitest';
import { buildPageWindow } from '../../../src/commands/page-window.js';

describe('buildPageWindow', () => {
  describe('when the page is in range', () => {
    it.each([
      [25, 10, 0, { page: 0, pageCount: 3, offset: 0, limit: 10, hasPrevious: false, hasNext: true }],
      [25, 10, 1, { page: 1, pageCount: 3, offset: 10, limit: 10, hasPrevious: true, hasNext: true }],
      [25, 10, 2, { page: 2, pageCount: 3, offset: 20, limit: 5, hasPrevious: true, hasNext: false }],
      [20, 10, 1, { page: 1, pageCount: 2, offset: 10, limit: 10, hasPrevious: true, hasNext: false }],
      [10, 10, 0, { page: 0, pageCount: 1, offset: 0, limit: 10, hasPrevious: false, hasNext: false }],
    ])('pages %i items by %i at page %i', (total, pageSize, page, expected) => {
      expect(buildPageWindow(total, pageSize, page)).toEqual(expected);
    });
  });

  describe('when the list is empty', () => {
    it('still has one empty page', () => {
      expect(buildPageWindow(0, 10, 0)).toEqual({
        page: 0,
        pageCount: 1,
        offset: 0,
        limit: 0,
        hasPrevious: false,
        hasNext: false,
      });
    });
  });

  describe('when the page is out of range', () => {
    it.each([
      [25, 10, 7, 2],
      [25, 10, -3, 0],
      [25, 10, Number.NaN, 0],
      [25, 10, 1.7, 1],
    ])('clamps page %#', (total, pageSize, page, shown) => {
      expect(buildPageWindow(total, pageSize, page).page).toBe(shown);
    });
  });

  describe('when the page size is not a positive integer', () => {
    it('throws', () => {
      expect(() => buildPageWindow(10, 0, 0)).toThrow(RangeError);
    });
  });
});
