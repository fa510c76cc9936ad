/**
 * Fault tier — SIGTERM, as a deploy or a scale-down sends it. A worker stops taking jobs, finishes what it
 * holds (or, past SHUTDOWN_GRACE_MS, hands it back) and exits 0; a gateway replica stops and the other one
 * carries on. Nothing is lost or answered twice.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { buildPendingKey, buildReplyJobId } from '../../src/queue/index.js';
import { FaultScene } from './support/fault-scene.js';

/** How long a stopping process may take before the test calls it stuck (the AI hangs for far longer). */
const EXIT_BOUND_MS = 15_000;

async function exitWithin<T>(exited: Promise<T>, ms: number): Promise<T | 'still running'> {
  return Promise.race([exited, sleep(ms).then(() => 'still running' as const)]);
}

describe('SIGTERM', () => {
  describe('when a worker is stopped under load', () => {
    it('finishes its jobs, exits 0, and the other worker answers the rest', async () => {
      await using scene = await FaultScene.start({
        workers: 2,
        channels: 8,
        aiStub: { behaviour: { latency: { kind: 'uniform', minMs: 400, maxMs: 1200 } } },
      });
      const [stopping] = scene.processes('worker');
      await scene.sayMany(20, 'first', { batch: 10, pauseMs: 150 });
      await scene.waitFor('AI calls in flight', () => scene.pendingAiCalls() >= 2);
      const exited = scene.cluster.stop(stopping!, 'SIGTERM');
      await scene.sayMany(20, 'second', { batch: 10, pauseMs: 150 });
      expect(await exited).toBe(0);

      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 40, notices: 0, limitNotices: 0 });
      expect(stopping!.logs.map((line) => line['msg'])).not.toContain('grace period over; closing forcibly');
    });
  });

  describe('when its AI calls outlast SHUTDOWN_GRACE_MS', () => {
    it('exits 0 anyway and another worker answers the jobs it held', async () => {
      await using scene = await FaultScene.start({
        workers: 1,
        channels: 2,
        users: 3,
        // The calls hang for far longer than the grace period: only the grace period can end them.
        env: { SHUTDOWN_GRACE_MS: '1000', AI_TIMEOUT_MS: '120000' },
        aiStub: { behaviour: { hangRate: 1 } },
      });
      const [stopping] = scene.processes('worker');
      await scene.sayMany(3, 'held');
      await scene.waitFor('three hanging AI calls', () => scene.aiStub.requests.length === 3);
      expect(await exitWithin(scene.cluster.stop(stopping!, 'SIGTERM'), EXIT_BOUND_MS)).toBe(0);
      expect(stopping!.logs.map((line) => line['msg'])).toContain('grace period over; closing forcibly');

      scene.aiStub.setBehaviour({ hangRate: 0 });
      await scene.spawn('worker');
      await scene.waitUntilSettled(30_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 3, notices: 0, limitNotices: 0 });
      // Handed back, not left to stall: no job waited for its lock to expire (BullMQ's stall check would say
      // so in the queue's events), none spent an attempt (its worker logs every failed one). Each completed
      // once, and was removed then.
      expect(await scene.jobEvents('stalled')).toEqual([[]]);
      const workers = [stopping!, ...scene.processes('worker')];
      expect(
        workers.flatMap((worker) => worker.logs).filter((line) => line['msg'] === 'reply job failed'),
      ).toEqual([]);
      const ids = scene.sent.map((sent) => buildReplyJobId(sent.messageId, sent.personalityId));
      expect((await scene.jobEvents('completed')).flat().sort()).toEqual([...ids].sort());
      expect(await Promise.all(ids.map((id) => Job.fromId(scene.queue, id)))).toEqual(
        ids.map(() => undefined),
      );
    });
  });

  describe('when the only gateway is stopped in the middle of a burst', () => {
    it('leaves no message half-admitted, and a new gateway carries on', async () => {
      await using scene = await FaultScene.start({ gateways: 1, workers: 1, channels: 12 });
      const [stopping] = scene.processes('gateway');
      await scene.sayMany(60, 'burst');
      await scene.waitFor('the first job', async () => (await scene.addedJobIds()).length > 0);
      expect(await scene.cluster.stop(stopping!, 'SIGTERM')).toBe(0);

      // What the stopped gateway never took in was never admitted: no pending slot, no conversation entry.
      const dropped = await scene.keepEnqueued();
      const pending = await Promise.all(
        dropped.map((sent) =>
          scene.redis.zscore(
            buildPendingKey(scene.prefix, sent.authorId),
            buildReplyJobId(sent.messageId, sent.personalityId),
          ),
        ),
      );
      expect(pending.filter((score) => score !== null)).toEqual([]);

      await scene.spawn('gateway');
      await scene.sayMany(5, 'after');
      await scene.waitUntilSettled(60_000);
      const tally = await scene.expectExactlyOnce();
      expect(tally).toEqual({ replies: scene.sent.length, notices: 0, limitNotices: 0 });
      expect(tally.replies).toBeGreaterThan(5);
    });
  });

  describe('when one of two gateway replicas is stopped while users keep talking', () => {
    it('exits 0 and every message is still answered exactly once', async () => {
      await using scene = await FaultScene.start({
        gateways: 2,
        workers: 2,
        channels: 8,
        aiStub: { behaviour: { latency: { kind: 'uniform', minMs: 100, maxMs: 300 } } },
      });
      const [stopping] = scene.processes('gateway');
      await scene.sayMany(20, 'early', { batch: 5, pauseMs: 100 });
      const exited = scene.cluster.stop(stopping!, 'SIGTERM');
      await scene.sayMany(20, 'late', { batch: 5, pauseMs: 100 });
      expect(await exited).toBe(0);

      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 40, notices: 0, limitNotices: 0 });
    });
  });
});
