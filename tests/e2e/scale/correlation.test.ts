/**
 * Tracing one message through the logs of two processes: the correlation id the gateway gives a reply job
 * when it routes the message is the one every worker log line about that job carries, up to the delivery.
 * Real gateway and worker processes at LOG_LEVEL=debug, the sandbox, the AI stub, real Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChorusProcess, LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PersonalityRepository } from '../../../src/state/index.js';
import { createTestPrefix, deleteKeysWithPrefix, TEST_REDIS_URL } from '../../support/redis.js';

const WAIT_MS = 15_000;

describe('correlation id across processes', () => {
  const prefix = createTestPrefix();
  const redis = new Redis(TEST_REDIS_URL);
  let cluster: LocalCluster;
  let gateway: ChorusProcess;
  let worker: ChorusProcess;
  let routed: Record<string, unknown>;
  let workerLines: ReadonlyArray<Record<string, unknown>>;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ redisUrl: TEST_REDIS_URL, prefix, env: { LOG_LEVEL: 'debug' } });
    [gateway, worker] = await Promise.all([cluster.spawn('gateway'), cluster.spawn('worker')]);
    const { sandbox } = cluster;
    const guildId = sandbox.createGuild({ name: 'tracing' }).id;
    const user = sandbox.createUser({ username: 'tracer', globalName: 'Tess' });
    sandbox.addMember(guildId, user.id);
    await new PersonalityRepository(redis, { prefix }).create({
      ownerId: user.id,
      name: 'Alice',
      visibility: 'public',
      systemPrompt: 'You are Alice.',
      provider: 'default',
      model: 'stub-small',
      temperature: null,
      avatarUrl: null,
    });
    const channel = sandbox.createChannel(guildId, { name: 'traced' });
    const message = sandbox.userSays(user.id, channel.id, '@Alice follow me through the logs');
    await sandbox.waitForMessages(channel.id, 2, WAIT_MS);

    routed = await waitForLine(
      gateway,
      (line) => line['msg'] === 'message routed' && line['messageId'] === message.id,
    );
    // The worker logs the delivery after posting: the reply may be visible a moment before the line is.
    await waitForLine(
      worker,
      (line) => line['msg'] === 'reply delivered' && line['jobId'] === routed['jobId'],
    );
    workerLines = worker.logs.filter((line) => line['jobId'] === routed['jobId']);
  }, 60_000);

  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when the gateway routes a message', () => {
    it('logs the job’s correlation id beside the message and job ids', () => {
      expect(routed['correlationId']).toEqual(expect.stringMatching(/^[\w-]{12}$/));
      expect(routed['jobId']).toEqual(expect.any(String));
      expect(routed['service']).toBe('gateway');
    });
  });

  describe('when the worker handles that job', () => {
    it('stamps every log line about the job with the gateway’s correlation id', () => {
      expect(workerLines.length).toBeGreaterThan(0);
      expect(workerLines.every((line) => line['service'] === 'worker')).toBe(true);
      expect(new Set(workerLines.map((line) => line['correlationId']))).toEqual(
        new Set([routed['correlationId']]),
      );
    });

    it('carries it on the delivery line', () => {
      const delivered = workerLines.filter((line) => line['msg'] === 'reply delivered');
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({ correlationId: routed['correlationId'], jobId: routed['jobId'] });
    });

    it('stamps no other job’s lines with it', () => {
      const others = worker.logs.filter(
        (line) => line['correlationId'] === routed['correlationId'] && line['jobId'] !== routed['jobId'],
      );
      expect(others).toEqual([]);
    });
  });
});

/** Resolves with the first log line of `target` matching `predicate`, waiting for it to be printed. */
async function waitForLine(
  target: ChorusProcess,
  predicate: (line: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = target.logs.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`${target.name} logged no matching line within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
