import { describe, expect, it } from 'vitest';
import { fromRefusalCode } from '../../../src/queue/queue-scripts.js';

describe('fromRefusalCode', () => {
  it.each([
    [-1, 'user-pending'],
    [-2, 'user-rate'],
    [-3, 'queue-full'],
  ])('maps %i to %s', (code, reason) => {
    expect(fromRefusalCode(code)).toBe(reason);
  });

  it('treats any other code as a bug', () => {
    expect(() => fromRefusalCode(-7)).toThrow(/unknown code/);
  });
});
