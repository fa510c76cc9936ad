/**
 * The worker stats heartbeat on real Redis: hash + TTL + index ZSET written by WorkerStatsPublisher, read back
 * and merged by fetchFleetStats. Keyspace-level assertions (TTL, ZSET scores), hence real Redis.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { LATENCY_BUCKET_BOUNDS_MS } from '../../../src/ai/call-stats-window.js';
import {
  type BreakerSnapshot,
  buildWorkerIndexKey,
  buildWorkerStatsKey,
  fetchFleetStats,
  type ProviderCallStats,
  WorkerStatsPublisher,
  type WorkerStatsSource,
} from '../../../src/ai/index.js';
import { createLogger } from '../../../src/log/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const prefix = createTestPrefix();
const logger = createLogger({ level: 'silent' });
const publishers: WorkerStatsPublisher[] = [];

afterEach(async () => {
  await Promise.all(publishers.splice(0).map((publisher) => publisher[Symbol.asyncDispose]()));
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

function snapshot(state: BreakerSnapshot['state'], failures: number): BreakerSnapshot {
  return {
    key: 'main/stub-small/operator',
    provider: 'main',
    model: 'stub-small',
    keyFingerprint: 'operator',
    state,
    failures,
    successes: 1,
    rejects: 0,
    latencyP50Ms: 100,
    latencyP95Ms: 250,
    probeAt: state === 'open' ? 99_000 : null,
  };
}

function callStats(successes: number, bucket: number): ProviderCallStats {
  const latencyHistogram = new Array<number>(LATENCY_BUCKET_BOUNDS_MS.length + 1).fill(0);
  latencyHistogram[bucket] = successes;
  return {
    provider: 'main',
    model: 'stub-small',
    successes,
    faults: 1,
    rejected: 0,
    shortCircuited: 0,
    cancelled: 0,
    latencyHistogram,
    latencyP50Ms: LATENCY_BUCKET_BOUNDS_MS[bucket] ?? null,
    latencyP95Ms: LATENCY_BUCKET_BOUNDS_MS[bucket] ?? null,
  };
}

function source(
  breakers: BreakerSnapshot[],
  stats: ProviderCallStats[],
  callsInFlight = 0,
): WorkerStatsSource {
  return { breakerSnapshots: () => breakers, callStats: () => stats, callsInFlight };
}

function publisher(workerId: string, ai: WorkerStatsSource, now: () => number, intervalMs = 5_000) {
  const created = new WorkerStatsPublisher({ redis, prefix, workerId, ai, logger, now, intervalMs });
  publishers.push(created);
  return created;
}

describe('WorkerStatsPublisher', () => {
  it('publishes a hash with a TTL of three intervals and a heartbeat in the index', async () => {
    const now = 1_700_000_000_000;
    const stats = publisher('w-1', source([snapshot('open', 4)], [callStats(3, 2)], 2), () => now, 5_000);
    await stats.publish();
    const key = buildWorkerStatsKey(prefix, 'w-1');
    expect(key).toBe(`${prefix}:workers:{w-1}:stats`);
    const fields = await redis.hgetall(key);
    expect(fields).toMatchObject({
      workerId: 'w-1',
      updatedAt: String(now),
      jobsInFlight: '2',
      breakerCount: '1',
    });
    expect(JSON.parse(fields['breakers']!)).toEqual([snapshot('open', 4)]);
    expect(JSON.parse(fields['providers']!)).toEqual([callStats(3, 2)]);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(15_000);
    expect(await redis.zscore(buildWorkerIndexKey(prefix), 'w-1')).toBe(String(now));
    expect(await redis.pttl(buildWorkerIndexKey(prefix))).toBeGreaterThan(10_000);
  });

  it('publishes on its own once started', async () => {
    publisher('w-auto', source([], []), Date.now, 60_000);
    await vi.waitFor(async () => expect(await redis.exists(buildWorkerStatsKey(prefix, 'w-auto'))).toBe(1));
  });

  it('counts jobs in flight with the given function when there is one', async () => {
    const created = new WorkerStatsPublisher({
      redis,
      prefix,
      workerId: 'w-jobs',
      ai: source([], [], 1),
      logger,
      jobsInFlight: () => 7,
    });
    publishers.push(created);
    await created.publish();
    expect(await redis.hget(buildWorkerStatsKey(prefix, 'w-jobs'), 'jobsInFlight')).toBe('7');
  });

  it('removes its entry when disposed', async () => {
    const created = new WorkerStatsPublisher({
      redis,
      prefix,
      workerId: 'w-gone',
      ai: source([], []),
      logger,
    });
    await created.publish();
    await created[Symbol.asyncDispose]();
    expect(await redis.exists(buildWorkerStatsKey(prefix, 'w-gone'))).toBe(0);
    expect(await redis.zscore(buildWorkerIndexKey(prefix), 'w-gone')).toBeNull();
  });
});

describe('fetchFleetStats', () => {
  it('merges every live worker', async () => {
    const now = Date.now();
    await publisher('w-a', source([snapshot('open', 5)], [callStats(10, 0)], 1), () => now).publish();
    await publisher('w-b', source([snapshot('closed', 1)], [callStats(10, 7)], 2), () => now).publish();
    const fleet = await fetchFleetStats(redis, prefix, now);
    expect(fleet.workers.map((worker) => worker.workerId)).toEqual(['w-a', 'w-b']);
    expect(fleet.jobsInFlight).toBe(3);
    expect(fleet.breakers).toEqual([
      expect.objectContaining({
        key: 'main/stub-small/operator',
        state: 'open',
        workersOpen: 1,
        workersClosed: 1,
        failures: 6,
      }),
    ]);
    expect(fleet.providers).toEqual([
      expect.objectContaining({ successes: 20, faults: 2, latencyP50Ms: 50, latencyP95Ms: 2_000 }),
    ]);
  });

  it('prunes workers whose heartbeat is stale', async () => {
    const now = Date.now();
    await publisher('w-old', source([], []), () => now - 60_000).publish();
    await publisher('w-new', source([], []), () => now).publish();
    const fleet = await fetchFleetStats(redis, prefix, now);
    expect(fleet.workers.map((worker) => worker.workerId)).toEqual(['w-new']);
    expect(await redis.zrange(buildWorkerIndexKey(prefix), '0', '-1')).toEqual(['w-new']);
  });

  it('skips a worker whose entry expired before its heartbeat was pruned', async () => {
    const now = Date.now();
    await publisher('w-expired', source([], []), () => now).publish();
    await redis.del(buildWorkerStatsKey(prefix, 'w-expired'));
    const fleet = await fetchFleetStats(redis, prefix, now);
    expect(fleet.workers).toEqual([]);
  });

  it('returns an empty fleet when nobody published', async () => {
    await expect(fetchFleetStats(redis, prefix, Date.now())).resolves.toEqual({
      generatedAt: expect.any(Number),
      workers: [],
      jobsInFlight: 0,
      breakers: [],
      providers: [],
    });
  });
});
