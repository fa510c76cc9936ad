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
 * Deletes every key under `prefix` (ours and BullMQ's, which may sit inside a `{…}` hash tag). Never FLUSHDB:
 * other runs share this server. On a Cluster, SCAN sees one node's keys: every master is scanned, and keys
 * are unlinked one by one (one multi-key UNLINK would span slots).
 */
export async function deleteKeysWithPrefix(redis: RedisClient, prefix: string): Promise<number> {
  if (!(redis instanceof Cluster)) return deleteMatchingKeys(redis, prefix, (keys) => redis.unlink(...keys));
  let deleted = 0;
  for (const node of redis.nodes('master')) {
    deleted += await deleteMatchingKeys(node, prefix, async (keys) => {
      const pipeline = node.pipeline();
      for (const key of keys) pipeline.unlink(key);
      const replies = (await pipeline.exec()) ?? [];
      return replies.reduce((sum, [, count]) => sum + Number(count ?? 0), 0);
    });
  }
  return deleted;
}

async function deleteMatchingKeys(
  server: Redis,
  prefix: string,
  unlink: (keys: string[]) => Promise<number>,
): Promise<number> {
  let deleted = 0;
  for (const pattern of [`${prefix}*`, `{${prefix}}*`, `*${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await server.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await unlink(keys);
    } while (cursor !== '0');
  }
  return deleted;
}
