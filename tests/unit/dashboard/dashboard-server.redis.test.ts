// Real Redis (a `test-<uuid>` prefix, its keys deleted afterwards): the board reads the queues BullMQ keeps
// there, under the same `{<prefix>}` the gateway and workers use, so a mock would prove nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DashboardServer, startDashboardServer } from '../../../src/dashboard/dashboard-server.js';
import { createLogger } from '../../../src/log/index.js';
import { buildReplyJobId, createReplyQueue, QUEUE_NAME, type ReplyJob } from '../../../src/queue/index.js';
import { TASK_QUEUE_NAME } from '../../../src/tasks/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const job: ReplyJob = {
  kind: 'reply',
  version: 1,
  correlationId: 'dashboardtst',
  messageId: '1300000000000000001',
  channelId: '1300000000000000002',
  parentChannelId: null,
  guildId: '1300000000000000003',
  authorId: '1300000000000000004',
  authorName: 'Olive',
  content: 'hello',
  trigger: 'mention',
  personalityId: 'alice0001',
  messageCreatedAt: 1_700_000_000_000,
  enqueuedAt: 1_700_000_000_000,
};

/** The part of `GET /api/queues` the board's UI reads to draw its queue list. */
const QueueListSchema = z.object({
  queues: z.array(
    z.looseObject({ name: z.string(), readOnlyMode: z.boolean(), counts: z.record(z.string(), z.number()) }),
  ),
});

describe('startDashboardServer', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const logger = createLogger({ level: 'silent' });
  const queue = createReplyQueue(redis, { prefix, logger });
  let dashboard: DashboardServer;
  let base: string;

  beforeAll(async () => {
    await queue.add('reply', job, { jobId: buildReplyJobId(job.messageId, job.personalityId) });
    dashboard = await startDashboardServer({ connection: redis, prefix, port: 0, logger, host: '127.0.0.1' });
    base = `http://127.0.0.1:${dashboard.port}`;
  });

  afterAll(async () => {
    await dashboard?.close();
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when asked for the UI', () => {
    it('serves the board page with its title', async () => {
      const response = await fetch(`${base}/`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      expect(await response.text()).toContain('<title>Chorus queues</title>');
    });

    it('serves the page on a queue’s own address too', async () => {
      const response = await fetch(`${base}/queue/${QUEUE_NAME}`);
      expect(response.status).toBe(200);
      await response.body?.cancel();
    });

    it('serves the UI’s static files', async () => {
      const response = await fetch(`${base}/static/images/logo.svg`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('image/svg+xml');
      await response.body?.cancel();
    });
  });

  describe('when asked for the queues through the API', () => {
    it('lists the reply and task queues, read-only', async () => {
      const response = await fetch(`${base}/api/queues`);
      expect(response.status).toBe(200);
      const queues = QueueListSchema.parse(await response.json()).queues;
      expect(queues.map((entry) => entry.name).sort()).toEqual([QUEUE_NAME, TASK_QUEUE_NAME].sort());
      expect(queues.every((entry) => entry.readOnlyMode)).toBe(true);
    });

    it('counts the job waiting under the real prefix', async () => {
      const queues = QueueListSchema.parse(await (await fetch(`${base}/api/queues`)).json()).queues;
      expect(queues.find((entry) => entry.name === QUEUE_NAME)?.counts).toMatchObject({ waiting: 1 });
      expect(queues.find((entry) => entry.name === TASK_QUEUE_NAME)?.counts).toMatchObject({ waiting: 0 });
    });
  });

  describe('when read-only (the default)', () => {
    it('refuses to pause a queue, and the queue keeps running', async () => {
      const response = await fetch(`${base}/api/queues/${QUEUE_NAME}/pause`, { method: 'PUT' });
      expect(response.status).toBe(405);
      await response.body?.cancel();
      expect(await queue.isPaused()).toBe(false);
    });

    it('refuses to remove a job, and the job stays', async () => {
      const jobId = buildReplyJobId(job.messageId, job.personalityId);
      const response = await fetch(`${base}/api/queues/${QUEUE_NAME}/${jobId}/clean`, { method: 'PUT' });
      expect(response.status).toBe(405);
      await response.body?.cancel();
      expect(await queue.getJob(jobId)).toBeDefined();
    });
  });

  describe('when started with readOnly false', () => {
    it('pauses and resumes a queue on request', async () => {
      const writable = await startDashboardServer({
        connection: redis,
        prefix,
        port: 0,
        logger,
        host: '127.0.0.1',
        readOnly: false,
      });
      try {
        const url = `http://127.0.0.1:${writable.port}/api/queues/${QUEUE_NAME}`;
        const paused = await fetch(`${url}/pause`, { method: 'PUT' });
        expect(paused.ok).toBe(true);
        await paused.body?.cancel();
        expect(await queue.isPaused()).toBe(true);
        const resumed = await fetch(`${url}/resume`, { method: 'PUT' });
        expect(resumed.ok).toBe(true);
        await resumed.body?.cancel();
        expect(await queue.isPaused()).toBe(false);
      } finally {
        await writable.close();
      }
    });
  });

  describe('when the liveness probe asks', () => {
    it('answers ok', async () => {
      const response = await fetch(`${base}/healthz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok' });
    });
  });

  describe('when the reply queue has 3 shards', () => {
    it('lists every shard, each with its own jobs', async () => {
      const sharded = await startDashboardServer({
        connection: redis,
        prefix,
        port: 0,
        logger,
        host: '127.0.0.1',
        replyQueueShards: 3,
      });
      try {
        const response = await fetch(`http://127.0.0.1:${sharded.port}/api/queues`);
        const { queues } = QueueListSchema.parse(await response.json());
        expect(queues.map((entry) => entry.name).sort()).toEqual(
          [QUEUE_NAME, `shard1-${QUEUE_NAME}`, `shard2-${QUEUE_NAME}`, TASK_QUEUE_NAME].sort(),
        );
        // Shard 0 is the one queue's prefix, where the job waits.
        expect(queues.find((entry) => entry.name === QUEUE_NAME)?.counts).toMatchObject({ waiting: 1 });
        expect(queues.find((entry) => entry.name === `shard1-${QUEUE_NAME}`)?.counts).toMatchObject({
          waiting: 0,
        });
      } finally {
        await sharded.close();
      }
    });
  });

  describe('when closed', () => {
    it('stops listening and leaves the caller’s client open', async () => {
      const other = await startDashboardServer({
        connection: redis,
        prefix,
        port: 0,
        logger,
        host: '127.0.0.1',
      });
      await other.close();
      await expect(fetch(`http://127.0.0.1:${other.port}/healthz`)).rejects.toThrow();
      expect(await redis.ping()).toBe('PONG');
    });
  });
});
