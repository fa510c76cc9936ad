import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';

async function ping(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

/**
 * Makes sure Redis answers at `url`; starts a local, non-persistent `redis-server` on 127.0.0.1:6379 when
 * nothing listens there and the binary exists. Fails with a clear message otherwise.
 */
export async function ensureRedis(url: string): Promise<void> {
  if (await ping(url)) return;
  const local = new URL(url);
  const isDefaultLocal =
    ['127.0.0.1', 'localhost'].includes(local.hostname) && (local.port || '6379') === '6379';
  if (isDefaultLocal && spawnSync('redis-server', ['--version']).status === 0) {
    mkdirSync('/tmp/chorus-redis', { recursive: true });
    spawnSync('redis-server', [
      '--daemonize',
      'yes',
      '--bind',
      '127.0.0.1',
      '--port',
      '6379',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      '/tmp/chorus-redis',
      '--logfile',
      '/tmp/chorus-redis/redis.log',
    ]);
    for (let attempt = 0; attempt < 50; attempt += 1) {
      if (await ping(url)) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`Redis does not answer at ${url}. Start one (redis-server) or set REDIS_URL.`);
}
