import { describe, expect, it } from 'vitest';
import {
  CallStatsWindow,
  findLatencyBucket,
  LATENCY_BUCKET_BOUNDS_MS,
  mergeProviderCallStats,
  percentileFromHistogram,
} from '../../../src/ai/call-stats-window.js';

const BUCKETS = LATENCY_BUCKET_BOUNDS_MS.length + 1;

function histogram(entries: Record<number, number>): number[] {
  const counts = new Array<number>(BUCKETS).fill(0);
  for (const [index, count] of Object.entries(entries)) counts[Number(index)] = count;
  return counts;
}

describe('findLatencyBucket', () => {
  it.each([
    [0, 0],
    [50, 0],
    [51, 1],
    [999, 5],
    [1000, 5],
    [60_000, LATENCY_BUCKET_BOUNDS_MS.length - 1],
    [60_001, LATENCY_BUCKET_BOUNDS_MS.length],
  ])('%i ms falls in bucket %i', (latencyMs, bucket) => {
    expect(findLatencyBucket(latencyMs)).toBe(bucket);
  });
});

describe('percentileFromHistogram', () => {
  it.each([
    ['an empty histogram', histogram({}), 0.5, null],
    ['one call', histogram({ 3: 1 }), 0.5, 500],
    ['p50 of 10 fast, 10 slow', histogram({ 0: 10, 7: 10 }), 0.5, 50],
    ['p95 of 10 fast, 10 slow', histogram({ 0: 10, 7: 10 }), 0.95, 2_000],
    ['p95 of 95 fast, 5 slow', histogram({ 0: 95, 9: 5 }), 0.95, 50],
    ['p95 of 94 fast, 6 slow', histogram({ 0: 94, 9: 6 }), 0.95, 5_000],
    ['the overflow bucket', histogram({ [LATENCY_BUCKET_BOUNDS_MS.length]: 1 }), 0.5, 60_000],
  ])('%s', (_name, counts, quantile, expected) => {
    expect(percentileFromHistogram(counts, quantile)).toBe(expected);
  });
});

describe('CallStatsWindow', () => {
  const t0 = 1_700_000_000_000;

  it('counts outcomes per provider/model and keeps latencies of successes only', () => {
    const window = new CallStatsWindow(300_000, 30_000);
    window.record(t0, 'openai', 'gpt', 'success', 120);
    window.record(t0, 'openai', 'gpt', 'success', 900);
    window.record(t0, 'openai', 'gpt', 'fault', 60_000);
    window.record(t0, 'openai', 'gpt', 'rejected', 10);
    window.record(t0, 'openai', 'gpt', 'short-circuited', 0);
    window.record(t0, 'openai', 'gpt', 'cancelled', 5);
    window.record(t0, 'local', 'llama', 'success', 40);
    const [local, openai] = window.summarize(t0);
    expect(local).toMatchObject({ provider: 'local', model: 'llama', successes: 1, latencyP50Ms: 50 });
    expect(openai).toMatchObject({
      provider: 'openai',
      model: 'gpt',
      successes: 2,
      faults: 1,
      rejected: 1,
      shortCircuited: 1,
      cancelled: 1,
      latencyP50Ms: 250,
      latencyP95Ms: 1_000,
    });
  });

  describe('when time passes', () => {
    it('forgets calls older than the window, one slice at a time', () => {
      const window = new CallStatsWindow(60_000, 10_000);
      window.record(t0, 'p', 'm', 'fault', 0);
      window.record(t0 + 30_000, 'p', 'm', 'success', 10);
      expect(window.summarize(t0 + 60_000)[0]).toMatchObject({ faults: 1, successes: 1 });
      expect(window.summarize(t0 + 75_000)[0]).toMatchObject({ faults: 0, successes: 1 });
      expect(window.summarize(t0 + 200_000)).toEqual([]);
    });
  });
});

describe('mergeProviderCallStats', () => {
  it('adds counts and histograms, then recomputes percentiles', () => {
    const base = { provider: 'p', model: 'm', faults: 0, rejected: 0, shortCircuited: 0, cancelled: 0 };
    const [merged] = mergeProviderCallStats([
      { ...base, successes: 10, faults: 2, latencyHistogram: histogram({ 0: 10 }) },
      { ...base, successes: 10, latencyHistogram: histogram({ 7: 10 }) },
    ]);
    expect(merged).toMatchObject({ successes: 20, faults: 2, latencyP50Ms: 50, latencyP95Ms: 2_000 });
    expect(merged?.latencyHistogram).toEqual(histogram({ 0: 10, 7: 10 }));
  });
});
