import { describe, expect, it } from 'vitest';
import type { BreakerSnapshot } from '../../../src/ai/breaker-registry.js';
import { LATENCY_BUCKET_BOUNDS_MS } from '../../../src/ai/call-stats-window.js';
import {
  buildWorkerStatsFields,
  mergeWorkerStats,
  parseWorkerStatsFields,
  selectPublishedBreakers,
  type WorkerStats,
} from '../../../src/ai/worker-stats.js';

function breaker(overrides: Partial<BreakerSnapshot> & { key: string }): BreakerSnapshot {
  const [provider = 'p', model = 'm', keyFingerprint = 'operator'] = overrides.key.split('/');
  return {
    provider,
    model,
    keyFingerprint,
    state: 'closed',
    failures: 0,
    successes: 0,
    rejects: 0,
    latencyP50Ms: null,
    latencyP95Ms: null,
    probeAt: null,
    ...overrides,
  };
}

function worker(workerId: string, overrides: Partial<WorkerStats> = {}): WorkerStats {
  return {
    workerId,
    updatedAt: 1_000,
    jobsInFlight: 0,
    breakerCount: 0,
    breakers: [],
    providers: [],
    ...overrides,
  };
}

const emptyHistogram = () => new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);

describe('selectPublishedBreakers', () => {
  it('puts troubled breakers first, then operator keys, then recent failures, up to the limit', () => {
    const selected = selectPublishedBreakers(
      [
        breaker({ key: 'p/m/aaaa', failures: 1 }),
        breaker({ key: 'p/m/bbbb', failures: 3 }),
        breaker({ key: 'p/m/operator' }),
        breaker({ key: 'p/m/cccc', state: 'half-open' }),
        breaker({ key: 'p/m/dddd', state: 'open' }),
      ],
      4,
    );
    expect(selected.map((snapshot) => snapshot.key)).toEqual([
      'p/m/dddd',
      'p/m/cccc',
      'p/m/operator',
      'p/m/bbbb',
    ]);
  });
});

describe('buildWorkerStatsFields / parseWorkerStatsFields', () => {
  it('round-trips a worker through its hash fields', () => {
    const stats = worker('w1', {
      jobsInFlight: 3,
      breakerCount: 1,
      breakers: [breaker({ key: 'p/m/operator', state: 'open', probeAt: 5_000 })],
      providers: [
        {
          provider: 'p',
          model: 'm',
          successes: 1,
          faults: 2,
          rejected: 0,
          shortCircuited: 4,
          cancelled: 0,
          latencyHistogram: emptyHistogram(),
          latencyP50Ms: null,
          latencyP95Ms: null,
        },
      ],
    });
    expect(parseWorkerStatsFields(buildWorkerStatsFields(stats))).toEqual(stats);
  });

  it.each([
    ['an expired entry', {}],
    ['broken JSON', { ...buildWorkerStatsFields(worker('w1')), breakers: '[' }],
    ['a foreign shape', { ...buildWorkerStatsFields(worker('w1')), providers: '[{"provider":1}]' }],
  ])('returns null for %s', (_name, fields) => {
    expect(parseWorkerStatsFields(fields)).toBeNull();
  });
});

describe('mergeWorkerStats', () => {
  it('merges breakers by key (worst state, summed counts) and sums jobs and provider stats', () => {
    const histogram = emptyHistogram();
    histogram[0] = 2;
    const providerStats = {
      provider: 'p',
      model: 'm',
      successes: 2,
      faults: 1,
      rejected: 0,
      shortCircuited: 0,
      cancelled: 0,
      latencyHistogram: histogram,
      latencyP50Ms: 50,
      latencyP95Ms: 50,
    };
    const fleet = mergeWorkerStats(
      [
        worker('w2', {
          jobsInFlight: 2,
          breakers: [
            breaker({ key: 'p/m/operator', state: 'open', failures: 5, latencyP95Ms: 100, probeAt: 9_000 }),
            breaker({ key: 'q/m/operator' }),
          ],
          providers: [providerStats],
        }),
        worker('w1', {
          jobsInFlight: 1,
          breakers: [breaker({ key: 'p/m/operator', failures: 1, successes: 4, latencyP95Ms: 300 })],
          providers: [providerStats],
        }),
      ],
      10_000,
    );
    expect(fleet.generatedAt).toBe(10_000);
    expect(fleet.jobsInFlight).toBe(3);
    expect(fleet.workers.map((entry) => entry.workerId)).toEqual(['w1', 'w2']);
    expect(fleet.breakers).toEqual([
      expect.objectContaining({
        key: 'p/m/operator',
        state: 'open',
        workersOpen: 1,
        workersClosed: 1,
        failures: 6,
        successes: 4,
        latencyP95Ms: 300,
        probeAt: 9_000,
      }),
      expect.objectContaining({ key: 'q/m/operator', state: 'closed', workersClosed: 1 }),
    ]);
    expect(fleet.providers).toEqual([expect.objectContaining({ successes: 4, faults: 2, latencyP50Ms: 50 })]);
  });
});
