/**
 * Fault tier — a worker killed with SIGKILL. Its jobs come back through BullMQ's stall detection (lock
 * 4 s and stall check 1 s here, via env) and another worker finishes them; the delivery ledger keeps every
 * reply single, including the one window Discord's Execute Webhook leaves open: the post accepted, the worker
 * dead before it learnt the message id.
 */
import { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { buildReplyJobId } from '../../src/queue/index.js';
import { ReplyMessages } from '../../src/replies/messages.js';
import { FaultScene } from './support/fault-scene.js';

describe('worker SIGKILL', () => {
  describe('when one of two workers is killed mid-load and a new one starts', () => {
    it('answers each of 60 messages exactly once', async () => {
      await using scene = await FaultScene.start({
        workers: 2,
        channels: 10,
        users: 20,
        aiStub: { behaviour: { latency: { kind: 'uniform', minMs: 400, maxMs: 1200 } } },
      });
      const [victim] = scene.processes('worker');
      await scene.sayMany(30, 'before', { batch: 10, pauseMs: 150 });
      // Mid-load: AI calls are waiting on the stub, some of them the victim's.
      await scene.waitFor('AI calls in flight', () => scene.pendingAiCalls() >= 2);
      expect(await scene.cluster.stop(victim!, 'SIGKILL')).toBe('SIGKILL');
      await scene.spawn('worker');
      await scene.sayMany(30, 'after', { batch: 10, pauseMs: 150 });

      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 60, notices: 0, limitNotices: 0 });
      // The kill really took jobs down with it: some came back through stall detection.
      // (Completed jobs are removed at once: BullMQ's stall check says so in the queue's events.)
      const sentIds = new Set(scene.sent.map((sent) => buildReplyJobId(sent.messageId, sent.personalityId)));
      const stalled = (await scene.jobEvents('stalled')).flat();
      expect(stalled.filter((jobId) => sentIds.has(jobId)).length).toBeGreaterThan(0);
    });
  });

  describe('when the worker dies the moment Discord accepts its post, with a busy channel since', () => {
    it('finds the accepted post instead of posting it again', async () => {
      await using scene = await FaultScene.start({ workers: 1, channels: 1, users: 4 });
      const [worker] = scene.processes('worker');
      const channelId = scene.channelIds[0]!;
      // Kill inside Discord's handler: the message exists, its id never reaches the worker.
      const onCreated = ({ message }: { message: { webhookId: string | null } }) => {
        if (message.webhookId === null) return;
        scene.sandbox.events.off('messageCreated', onCreated);
        worker!.child.kill('SIGKILL');
      };
      scene.sandbox.events.on('messageCreated', onCreated);
      const asked = scene.say(scene.users[0]!, channelId, 'window-question');
      // Sixty messages of chatter (addressed to nobody) land before the reply: a recovery that scans only the
      // first page after the question misses it.
      for (let index = 0; index < 60; index += 1)
        scene.sandbox.userSays(scene.users[1 + (index % 3)]!.id, channelId, `chatter ${index}`);
      expect(await worker!.exited).toBe('SIGKILL');

      const record = await scene.ledger.fetch(
        asked.authorId,
        buildReplyJobId(asked.messageId, asked.personalityId),
      );
      expect({ intent: record.intents.has(0), posted: record.posted.has(0) }).toEqual({
        intent: true,
        posted: false,
      });
      expect(scene.repliesTo(asked)).toHaveLength(1);

      await scene.spawn('worker');
      await scene.waitUntilSettled(30_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 1, notices: 0, limitNotices: 0 });
    });
  });

  describe('when a job stalls more often than WORKER_MAX_STALLED_COUNT allows', () => {
    it('fails it for good and tells the user once', async () => {
      await using scene = await FaultScene.start({
        workers: 1,
        channels: 1,
        users: 2,
        env: { WORKER_MAX_STALLED_COUNT: '0' },
        aiStub: { behaviour: { latency: 5000 } },
      });
      const [worker] = scene.processes('worker');
      const asked = scene.say(scene.users[0]!, scene.channelIds[0]!, 'doomed-question');
      await scene.waitFor('the AI call', () => scene.aiStub.requests.length === 1);
      await scene.cluster.stop(worker!, 'SIGKILL');
      await scene.spawn('worker');

      await scene.waitUntilSettled(30_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 0, notices: 1, limitNotices: 0 });
      const [notice] = scene.answers();
      expect(notice).toMatchObject({ content: ReplyMessages.failed(), webhookId: null });
      const job = await Job.fromId(scene.queue, buildReplyJobId(asked.messageId, asked.personalityId));
      expect(await job?.getState()).toBe('failed');
      expect(job?.failedReason).toMatch(/stalled/);
    });
  });
});
