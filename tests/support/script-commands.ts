import { RedisMonitor } from '../../bench/redis-monitor.js';
import { TEST_REDIS_URL } from './redis.js';

/**
 * The commands Lua scripts ran on keys containing `keyPart` while `action` ran, by name, in order, as MONITOR
 * reports them: what a script's cost tests compare.
 */
export async function scriptCommandsRunBy(
  redis: { exists(key: string): Promise<number> },
  keyPart: string,
  action: () => Promise<unknown>,
): Promise<string[]> {
  const barrier = `${keyPart}:barrier:${Math.random()}`;
  const names: string[] = [];
  let barrierSeen: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => {
    barrierSeen = resolve;
  });
  const monitor = await RedisMonitor.start(TEST_REDIS_URL, (command) => {
    if (command.line.includes(barrier)) barrierSeen();
    else if (command.fromScript && command.line.includes(keyPart)) names.push(command.name);
  });
  try {
    await action();
    // MONITOR reports in execution order: once the barrier shows, every command before it has.
    await redis.exists(barrier);
    await seen;
    return names;
  } finally {
    monitor.close();
  }
}
