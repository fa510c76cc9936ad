import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../log/index.js';
import { CoalescingRedis } from './coalescing-redis.js';

/** A connection Chorus can talk to: one server or a cluster (keys are hash-tagged so both work). */
export type RedisClient = Redis | Cluster;

/** What a connection is for; decides the options BullMQ needs. */
export type RedisRole =
  /** Our own commands: fail fast while Redis is down so callers can answer the user. */
  | 'commands'
  /** BullMQ Worker/QueueEvents: blocking commands must wait out a Redis restart (`maxRetriesPerRequest: null`). */
  | 'bullmq-blocking'
  /** BullMQ Queue (producers). */
  | 'bullmq-producer';

/** Options for {@link createRedis}. */
export interface RedisConnectionSettings {
  url: string;
  cluster: boolean;
  role: RedisRole;
  /** Name shown in `CLIENT LIST`, for operators. */
  connectionName: string;
  /** Where the connection's errors are logged (ioredis prints unheard ones to stderr, unredacted). */
  logger: Logger;
}

/**
 * The one Redis connection factory. Never sets ioredis `keyPrefix`: BullMQ rejects it, and our keys carry
 * `REDIS_PREFIX` through their own key builders. Every client it returns logs its `error` events (one per failed
 * reconnect while Redis is away, so at most one every few seconds).
 */
export function createRedis(settings: RedisConnectionSettings): RedisClient {
  const client = openRedis(settings);
  const log = settings.logger.child({ module: 'redis', connectionName: settings.connectionName });
  client.on('error', (error: unknown) => log.error({ err: error }, 'redis connection error'));
  if (client instanceof Cluster) {
    client.on('node error', (error: unknown, node: unknown) =>
      log.error({ err: error, node }, 'redis cluster node error'),
    );
  }
  return client;
}

function openRedis(settings: RedisConnectionSettings): RedisClient {
  const options: RedisOptions = {
    connectionName: settings.connectionName,
    // Reconnect forever with a capped backoff: a Redis restart must heal by itself.
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 6), 3000),
    maxRetriesPerRequest: settings.role === 'commands' ? 3 : null,
    enableReadyCheck: true,
    enableOfflineQueue: settings.role !== 'bullmq-producer',
  };
  if (settings.cluster) {
    const url = new URL(settings.url);
    return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
      redisOptions: {
        ...options,
        username: url.username || undefined,
        password: url.password || undefined,
        tls: url.protocol === 'rediss:' ? {} : undefined,
      },
      clusterRetryStrategy: options.retryStrategy,
    });
  }
  return new CoalescingRedis(settings.url, options);
}
