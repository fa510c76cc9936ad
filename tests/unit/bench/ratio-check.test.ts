import { describe, expect, it } from 'vitest';
import { buildRatioCheck, median, summarizePairedRepetitions } from '../../../bench/ratio-check.js';

describe('buildRatioCheck', () => {
  it('divides the figure by its baseline and checks the ratio against the target', () => {
    const check = buildRatioCheck({
      name: 'CPU per reply, fair ÷ FIFO',
      value: 2.2,
      baseline: 2,
      baselineName: 'FIFO',
      unit: 'ms',
      target: { op: '<=', value: 1.1 },
    });
    expect(check.ratio).toBeCloseTo(1.1);
    expect(check.pass).toBe(true);
  });

  it('fails a ratio over its bound', () => {
    const check = buildRatioCheck({
      name: 'x',
      value: 3,
      baseline: 2,
      baselineName: 'FIFO',
      unit: 'ms',
      target: { op: '<=', value: 1.1 },
    });
    expect(check.pass).toBe(false);
  });

  describe('when the baseline is 0 or was not measured', () => {
    it.each([0, Number.NaN])('reports no ratio and never passes (baseline %s)', (baseline) => {
      const check = buildRatioCheck({
        name: 'x',
        value: 1,
        baseline,
        baselineName: 'raw BullMQ',
        unit: 'ms',
        target: { op: '<=', value: 8 },
      });
      expect(check.ratio).toBeNaN();
      expect(check.pass).toBe(false);
    });
  });

  it('takes a ratio given apart from the figures (the median of paired repetitions)', () => {
    const check = buildRatioCheck({
      name: 'x',
      value: 10,
      baseline: 5,
      baselineName: 'FIFO',
      unit: 'ms',
      ratio: 1.5,
    });
    expect(check.ratio).toBe(1.5);
    expect(check.pass).toBeNull();
  });
});

describe('median', () => {
  it.each([
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[7], 7],
  ])('of %j is %s', (values, expected) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN for nothing, or when a value was not measured', () => {
    expect(median([])).toBeNaN();
    expect(median([1, Number.NaN, 3])).toBeNaN();
  });
});

describe('summarizePairedRepetitions', () => {
  it('takes the median of each pair’s own ratio, not the ratio of the medians', () => {
    // Rep 2 ran while a neighbour was busy: both sides slow, the pair's ratio still 1.
    const summary = summarizePairedRepetitions([
      { value: 11, baseline: 10 },
      { value: 40, baseline: 40 },
      { value: 12, baseline: 10 },
    ]);
    expect(summary.ratios).toEqual([1.1, 1, 1.2]);
    expect(summary.ratio).toBeCloseTo(1.1);
    expect(summary.value).toBe(12);
    expect(summary.baseline).toBe(10);
  });

  it('drops one spoiled repetition of three', () => {
    const summary = summarizePairedRepetitions([
      { value: 10, baseline: 10 },
      { value: 50, baseline: 10 },
      { value: 10.5, baseline: 10 },
    ]);
    expect(summary.ratio).toBeCloseTo(1.05);
  });
});
