import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { createLogger } from '../../src/log/index.js';
import { createRedis, type RedisClient } from '../../src/redis/index.js';

/** The Redis every test talks to: the real server, never a mock. */
export const TEST_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Whether {@link TEST_REDIS_URL} is a Redis Cluster node (`REDIS_CLUSTER=true`, set by the cluster tier's
 * global setup): tests that run in both tiers connect through {@link connectTestRedis}.
 */
export const TEST_REDIS_CLUSTER = process.env['REDIS_CLUSTER'] === 'true';

/** A fresh `test-<uuid>` prefix: each test file works under its own, and deletes only its own keys. */
export function createTestPrefix(): string {
  return `test-${randomUUID()}`;
}

export function createTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'chorus-test' });
}

/**
 * A client of the test's Redis as Chorus connects to it: a `Cluster` client in the cluster tier, one server
 * otherwise. Commands wait out a reconnect or a failover rather than fail.
 */
export function connectTestRedis(): RedisClient {
  return createRedis({
    url: TEST_REDIS_URL,
    cluster: TEST_REDIS_CLUSTER,
    role: 'bullmq-blocking',
    connectionName: 'chorus-test',
    // Failovers and restarts are what some tests do: their reconnect errors are expected noise.
    logger: createLogger({ level: 'silent', service: 'test' }),
  });
}

/**
 * Every key matching one of `patterns`. On a Cluster, SCAN sees one node's keys: every master is scanned.
 */
export async function scanKeys(redis: RedisClient, patterns: readonly string[]): Promise<string[]> {
  const servers = redis instanceof Cluster ? redis.nodes('master') : [redis];
  const found = new Set<string>();
  for (const server of servers) {
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) found.add(key);
      } while (cursor !== '0');
    }
  }
  return [...found];
}

/**
 * Deletes every key under `prefix` (ours and BullMQ's, which may sit inside a `{…}` hash tag). Never FLUSHDB:
 * other runs share this server. On a Cluster keys are unlinked one by one (one multi-key UNLINK would span
 * slots).
 */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<number> {
  const keys = await scanKeys(redis, [`${prefix}*`, `{${prefix}}*`, `*${prefix}*`]);
  let deleted = 0;
  for (let start = 0; start < keys.length; start += 1000) {
    const chunk = keys.slice(start, start + 1000);
    deleted +=
      redis instanceof Cluster
        ? (await Promise.all(chunk.map((key) => redis.unlink(key)))).reduce((sum, count) => sum + count, 0)
        : await redis.unlink(...chunk);
  }
  return deleted;
}
