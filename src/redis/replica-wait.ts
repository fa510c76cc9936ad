import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * Redis `WAIT`: resolves with how many replicas of the server holding `key` have every write this client has
 * sent that server so far, once `replicas` of them have or after `timeoutMs`. On a Cluster the command goes
 * to `key`'s master (a pipeline led by a read of `key` routes it there). `WAIT` holds the connection it is
 * sent on, so callers give it a connection of its own.
 */
export async function waitForReplicas(
  redis: RedisClient,
  key: string,
  replicas: number,
  timeoutMs: number,
): Promise<number> {
  if (!redis.isCluster) return Number(await (redis as Redis).call('WAIT', replicas, timeoutMs));
  const replies = await (redis as Cluster).pipeline().exists(key).call('WAIT', replicas, timeoutMs).exec();
  const [error, acknowledged] = replies?.[1] ?? [new Error('WAIT got no reply'), 0];
  if (error) throw error;
  return Number(acknowledged);
}
