/**
 * Errors of Redis clients and BullMQ queues never go unheard: each one is logged through pino (redacted), not
 * printed by ioredis or BullMQ to stderr. Port 1 refuses connections at once, so the errors come quickly; no
 * keys are written.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createReplyQueue } from '../../../src/queue/index.js';
import { createRedis, type RedisClient, type RedisRole } from '../../../src/redis/index.js';
import { createTaskQueue } from '../../../src/tasks/index.js';
import { type CapturedLogger, createCapturedLogger } from '../../support/captured-logger.js';

const CLOSED_PORT_URL = 'redis://:hunter2-password@127.0.0.1:1';

const clients: RedisClient[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  for (const client of clients.splice(0)) client.disconnect();
  vi.restoreAllMocks();
});

function unreachable(captured: CapturedLogger, role: RedisRole = 'commands'): RedisClient {
  const client = createRedis({
    url: CLOSED_PORT_URL,
    cluster: false,
    role,
    connectionName: 'chorus-test-unreachable',
    logger: captured.logger,
  });
  clients.push(client);
  return client;
}

async function waitForRecord(captured: CapturedLogger, msg: string): Promise<Record<string, unknown>> {
  for (let tries = 0; tries < 100; tries += 1) {
    const found = captured.records.find((record) => record['msg'] === msg);
    if (found) return found;
    await sleep(20);
  }
  throw new Error(`no "${msg}" line; got ${captured.lines.join('')}`);
}

describe('createRedis', () => {
  describe('when the server cannot be reached', () => {
    it('logs the connection error through the logger, and nothing through console.error', async () => {
      const consoleError = vi.spyOn(console, 'error');
      const captured = createCapturedLogger();
      unreachable(captured);
      const record = await waitForRecord(captured, 'redis connection error');
      expect(record).toMatchObject({ level: 50, module: 'redis', connectionName: 'chorus-test-unreachable' });
      expect(JSON.stringify(record['err'])).toContain('ECONNREFUSED');
      expect(captured.lines.join('')).not.toContain('hunter2-password');
      expect(consoleError).not.toHaveBeenCalled();
    });
  });
});

describe.each([
  ['createReplyQueue', createReplyQueue],
  ['createTaskQueue', createTaskQueue],
] as const)('%s', (_name, createQueue) => {
  describe('when its connection fails', () => {
    it('logs the queue error through the logger, and nothing through console.error', async () => {
      const consoleError = vi.spyOn(console, 'error');
      const captured = createCapturedLogger();
      const queue = createQueue(unreachable(captured, 'bullmq-producer'), {
        prefix: 'test-unreachable',
        logger: captured.logger,
      });
      closers.push(() => queue.close().catch(() => undefined));
      const record = await waitForRecord(captured, 'queue error');
      expect(record).toMatchObject({ level: 50, module: 'queue', queue: queue.name });
      expect(consoleError).not.toHaveBeenCalled();
    });
  });
});
