/**
 * Fault tier — Redis restarts under the running system. A private `redis-server` (own port, append-only file in
 * a temporary directory; the shared server is never touched) is shut down while replies are in flight and
 * started again on the same port. State survives through the AOF, gateway and workers reconnect without being
 * restarted, and every admitted message is answered exactly once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { buildReplyJobId } from '../../src/queue/index.js';
import { ActivationRepository, ApiKeyRepository, PersonalityRepository } from '../../src/state/index.js';
import { FaultScene } from './support/fault-scene.js';
import { PrivateRedisServer } from './support/private-redis-server.js';

/** The cluster's ENCRYPTION_KEY (scripts/cluster/local-cluster.ts). */
const ENCRYPTION_KEY = Buffer.from('a'.repeat(64), 'hex');
const USER_KEY = 'sk-user-zero-private-key';
/** How long Redis stays down: past the AI latency and ioredis' retries, short of BullMQ's 4 s lock here. */
const OUTAGE_MS = 3000;

describe('Redis restart', () => {
  describe('when Redis is shut down and started again while replies are in flight', () => {
    it('keeps its state and queued jobs, and the processes reconnect by themselves', async () => {
      await using redisServer = await PrivateRedisServer.start();
      await using scene = await FaultScene.start({
        redisUrl: redisServer.url,
        workers: 2,
        channels: 6,
        users: 12,
        aiStub: { behaviour: { latency: 1500 } },
      });
      const { prefix, redis } = scene;
      const personalities = new PersonalityRepository(redis, { prefix });
      const activations = new ActivationRepository(redis, { prefix });
      const apiKeys = new ApiKeyRepository(redis, { prefix, encryptionKey: ENCRYPTION_KEY });
      const [owner] = scene.users;
      const activated = scene.channelIds[0]!;
      await activations.activate({
        guildId: scene.guildId,
        channelId: activated,
        personalityId: scene.personality.id,
        activatedBy: owner!.id,
      });
      await apiKeys.set(owner!.id, 'default', USER_KEY);
      const pids = scene.cluster.processes.map((running) => running.child.pid);

      await scene.sayMany(24, 'before', { batch: 12, pauseMs: 100 });
      await scene.waitFor('every message enqueued', async () => {
        const added = new Set(await scene.addedJobIds());
        return scene.sent.every((sent) => added.has(buildReplyJobId(sent.messageId, sent.personalityId)));
      });
      // The AI takes 1.5 s: the replies are still on their way when Redis goes.
      expect((await scene.answers()).length).toBeLessThan(24);
      await redisServer.shutdown();
      // Down long enough for the AI answers to come back while it is gone (and commands to give up retrying).
      await sleep(OUTAGE_MS);
      await redisServer.restart();

      expect(await personalities.fetchById(scene.personality.id)).toEqual(scene.personality);
      expect(await activations.fetchForChannel(activated)).toBe(scene.personality.id);
      expect((await apiKeys.fetch(owner!.id, 'default'))?.key).toBe(USER_KEY);

      const keyedCallsBefore = scene.aiStub.requests.filter((request) => request.apiKey === USER_KEY).length;
      await scene.sayMany(11, 'after', { users: scene.users.slice(1) });
      scene.say(owner!, activated, 'after-activated', { mention: false });
      await scene.waitUntilSettled(90_000);

      expect(await scene.expectExactlyOnce()).toEqual({ replies: 36, notices: 0, limitNotices: 0 });
      // Nobody was restarted: the same processes, all still running.
      expect(scene.cluster.processes.map((running) => running.child.pid)).toEqual(pids);
      expect(scene.cluster.processes.every((running) => running.child.exitCode === null)).toBe(true);
      // The user's own key, read back from the AOF and decrypted, still pays for their message.
      expect(scene.aiStub.requests.filter((request) => request.apiKey === USER_KEY).length).toBeGreaterThan(
        keyedCallsBefore,
      );
    });
  });
});
