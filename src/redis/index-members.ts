import type { RedisClient } from './connection.js';

/**
 * The members of a per-user index, oldest first. Indexes are sorted sets scored by time (bounded by count and,
 * once full, by age: a member may name a target that has expired); an index last written by an older version
 * is still a plain set until its next write migrates it, so a `WRONGTYPE` answer is read as a set. Such a set
 * expires within one TTL of its last write.
 */
export async function fetchIndexMembers(redis: RedisClient, key: string): Promise<string[]> {
  try {
    return await redis.zrange(key, '0', '-1');
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('WRONGTYPE')) throw error;
    return redis.smembers(key);
  }
}
