import type { Redis } from 'ioredis';

/** Reads `INFO <section>` as field → value. */
export async function fetchRedisInfo(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

/** CPU the Redis server has used (user + system, all threads), in seconds. */
export async function fetchRedisCpuSeconds(redis: Redis): Promise<number> {
  const cpu = await fetchRedisInfo(redis, 'cpu');
  return Number(cpu.get('used_cpu_user') ?? Number.NaN) + Number(cpu.get('used_cpu_sys') ?? Number.NaN);
}

/** Calls per command (`INFO commandstats`: `cmdstat_<name>:calls=…,usec=…`). */
export async function fetchCommandCalls(redis: Redis): Promise<Map<string, number>> {
  const stats = await fetchRedisInfo(redis, 'commandstats');
  const calls = new Map<string, number>();
  for (const [field, value] of stats) {
    const match = /^calls=(\d+)/.exec(value);
    if (field.startsWith('cmdstat_') && match) calls.set(field.slice('cmdstat_'.length), Number(match[1]));
  }
  return calls;
}
