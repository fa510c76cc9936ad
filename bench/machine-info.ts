import { execFile } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { fetchRedisInfo } from './redis-info.js';

/** Where a run was measured: what the README's table names beside its date. */
export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly redis: string;
}

/** What a run measured: the tree (commit, with `+` when the work tree had changes) and the machine. */
export interface RunOrigin {
  readonly commit: string | null;
  readonly machine: MachineInfo;
}

/** The commit of the tree being measured; null outside a git checkout. */
async function fetchCommit(): Promise<string | null> {
  const run = promisify(execFile);
  try {
    const head = (await run('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
    const dirty = (await run('git', ['status', '--porcelain', '--untracked-files=no'])).stdout.trim() !== '';
    return dirty ? `${head}+` : head;
  } catch {
    return null;
  }
}

/** Reads the commit, this machine's processors and memory, Node's and the Redis server's versions. */
export async function fetchRunOrigin(redisUrl: string): Promise<RunOrigin> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const server = await fetchRedisInfo(redis, 'server');
    const processors = cpus();
    return {
      commit: await fetchCommit(),
      machine: {
        cpuModel: processors[0]?.model.trim() ?? 'unknown',
        cores: processors.length,
        memoryGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        redis: server.get('redis_version') ?? 'unknown',
      },
    };
  } finally {
    redis.disconnect();
  }
}
