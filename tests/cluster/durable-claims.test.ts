/**
 * Delivery claims on a Redis Cluster wait for a replica (`WAIT`) before their chunk is posted: a claim the
 * master acknowledged but never copied would be lost in a failover, and a retry finding no claim would post
 * the chunk a second time. Shown by stalling the replica (DEBUG SLEEP): the claim returns only once the
 * replica has it.
 */
import { Cluster, Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parseClusterNodes } from '../../scripts/redis-cluster/redis-cluster.js';
import { DeliveryLedger } from '../../src/replies/delivery-ledger.js';
import { buildDeliveryKey } from '../../src/replies/keys.js';
import { connectTestRedis, createTestPrefix, deleteKeysWithPrefix } from '../support/redis.js';

const STALL_MS = 400;

describe('DeliveryLedger with durable claims', () => {
  const prefix = createTestPrefix();
  const redis = connectTestRedis();
  const claims = connectTestRedis();
  const shortfalls: number[] = [];
  const ledger = new DeliveryLedger(redis, {
    prefix,
    durableClaims: {
      redis: claims,
      replicas: 1,
      timeoutMs: 5000,
      onShortfall: (acknowledged) => shortfalls.push(acknowledged),
    },
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
    claims.disconnect();
  });

  /** The replica of the master holding `key`, as a plain connection allowed to read (READONLY). */
  async function connectReplica(key: string): Promise<Redis> {
    const cluster = redis as Cluster;
    const slot = Number(await cluster.call('CLUSTER', 'KEYSLOT', key));
    // CLUSTER NODES, not SLOTS: SLOTS leaves out a replica that has replicated nothing yet.
    const entries = parseClusterNodes(String(await cluster.call('CLUSTER', 'NODES')));
    const master = entries.find(
      (entry) => entry.master && entry.slots.some(([from, to]) => slot >= from && slot <= to),
    );
    const replicaEntry = entries.find((entry) => !entry.master && entry.masterId === master?.id);
    if (replicaEntry === undefined) throw new Error(`no replica serves slot ${slot}`);
    const replica = new Redis({ host: '127.0.0.1', port: replicaEntry.port });
    await replica.call('READONLY');
    return replica;
  }

  describe('when the replica is slow to take the claim', () => {
    it('returns only once the replica has it', async () => {
      expect(redis).toBeInstanceOf(Cluster);
      const key = buildDeliveryKey(prefix, 'user-1', 'job-1');
      const replica = await connectReplica(key);
      const stalled = replica.call('DEBUG', 'SLEEP', String(STALL_MS / 1000));
      const startedAt = Date.now();
      const claim = await ledger.claimChunk('user-1', 'job-1', 0, 'attempt-a', startedAt);
      const tookMs = Date.now() - startedAt;
      await stalled;
      expect(claim).toEqual({ kind: 'claimed', previousClaimAt: null });
      expect(tookMs).toBeGreaterThanOrEqual(STALL_MS / 2);
      expect(await replica.hget(key, 'intent:0')).toMatch(/^\d+:\d+:attempt-a$/);
      expect(shortfalls).toEqual([]);
      replica.disconnect();
    });
  });

  describe('when the claim finds the chunk already posted', () => {
    it('does not wait: it wrote nothing', async () => {
      await ledger.claimChunk('user-2', 'job-2', 0, 'attempt-a', Date.now());
      await ledger.recordPosted('user-2', 'job-2', 0, '123');
      const key = buildDeliveryKey(prefix, 'user-2', 'job-2');
      const replica = await connectReplica(key);
      const stalled = replica.call('DEBUG', 'SLEEP', String(STALL_MS / 1000));
      const startedAt = Date.now();
      expect(await ledger.claimChunk('user-2', 'job-2', 0, 'attempt-b', startedAt)).toEqual({
        kind: 'posted',
        messageId: '123',
      });
      expect(Date.now() - startedAt).toBeLessThan(STALL_MS / 2);
      await stalled;
      replica.disconnect();
    });
  });
});
