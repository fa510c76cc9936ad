/**
 * Cluster tier — the master holding the queue's slot is killed (SIGKILL) while messages are being sent and
 * answered. Its replica is promoted, the gateway and workers carry on without a restart, and no message is
 * answered twice. Replication is asynchronous, so a write acknowledged just before the kill may be lost, and a
 * message arriving while the slot has no master cannot be admitted: the messages left unanswered are counted,
 * and each must lie in that window (docs/guarantees.md): sent from shortly before the kill until the cluster was
 * healthy again. Everything sent before and after is answered exactly once.
 *
 * It starts a cluster of its own: killing a master of the tier's shared cluster would change it for the files
 * that run after this one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { LocalRedisCluster } from '../../scripts/redis-cluster/redis-cluster.js';
import { buildBullPrefix } from '../../src/queue/index.js';
import { FaultScene, type SentMessage } from '../faults/support/fault-scene.js';

/** Replies seen before the master is killed. */
const ANSWERED_BEFORE_KILL = 12;
/** Messages sent per batch, and the pause between batches, for as long as the load runs. */
const BATCH = 3;
const PAUSE_MS = 200;
/**
 * How long before the kill a message may have been admitted and still be lost (docs/guarantees.md, "Redis
 * Cluster failover"): its admission acknowledged by the old master but not copied to the replica, or still
 * on its way through the gateway when the master died.
 */
const LOSS_WINDOW_BEFORE_KILL_MS = 1000;

describe('Redis Cluster failover', () => {
  describe("when the master of the queue's slot is killed under load", () => {
    it('promotes its replica, answers no message twice, and loses only messages of the failover window', async () => {
      await using redisCluster = await LocalRedisCluster.start();
      await using scene = await FaultScene.start({
        redisUrl: redisCluster.url,
        redisCluster: true,
        workers: 2,
        channels: 6,
        users: 12,
        aiStub: { behaviour: { latency: 300 } },
      });
      const pids = scene.cluster.processes.map((running) => running.child.pid);
      const queueMaster = await redisCluster.findMasterPort(buildBullPrefix(scene.prefix));

      // Messages keep coming, BATCH every PAUSE_MS, from before the kill until after the cluster is healthy.
      const sentAt = new Map<SentMessage, number>();
      let loading = true;
      const load = (async () => {
        for (let index = 0; loading; index += 1) {
          const user = scene.users[index % scene.users.length]!;
          const channelId = scene.channelIds[index % scene.channelIds.length]!;
          sentAt.set(scene.say(user, channelId, `load-${index}`), Date.now());
          if ((index + 1) % BATCH === 0) await sleep(PAUSE_MS);
        }
      })();
      await scene.waitFor('replies before the kill', () => scene.answers().length >= ANSWERED_BEFORE_KILL);
      const killedAt = Date.now();
      await redisCluster.kill(queueMaster, 'SIGKILL');
      await redisCluster.waitUntilHealthy(30_000);
      const healthyAt = Date.now();
      expect(await redisCluster.findMasterPort(buildBullPrefix(scene.prefix))).not.toBe(queueMaster);
      await sleep(2000);
      loading = false;
      await load;

      // Settled: nothing left to run, and no answer arrived for a while (a late double would show).
      let answers = -1;
      await scene
        .waitFor(
          'the queue to drain and the answers to stop',
          async () => {
            const now = scene.answers().length;
            const quiet = now === answers && (await scene.unfinishedJobs()) === 0;
            answers = now;
            if (!quiet) await sleep(1500);
            return quiet;
          },
          90_000,
        )
        .catch((error: unknown) => {
          // What the processes logged at warn and above says where the pipeline stopped.
          const logged = scene.cluster.processes.flatMap((running) =>
            running.logs
              .filter((entry) => Number(entry['level']) >= 40)
              .slice(-8)
              .map((entry) => `${running.name}: ${entry['msg']} ${JSON.stringify(entry['err'] ?? '')}`),
          );
          throw new Error(`${String(error)}\n${logged.join('\n')}`);
        });

      const lost = await scene.keepEnqueued();
      for (const sent of lost) expect(scene.repliesTo(sent).length).toBeLessThanOrEqual(1);
      const tally = await scene.expectExactlyOnce();
      const unanswered = lost.filter((sent) => scene.repliesTo(sent).length === 0);
      const outsideWindow = unanswered.filter((sent) => {
        const at = sentAt.get(sent)!;
        return at < killedAt - LOSS_WINDOW_BEFORE_KILL_MS || at > healthyAt;
      });
      console.info(
        `failover: ${healthyAt - killedAt} ms to a healthy cluster; ${sentAt.size} messages, ` +
          `${tally.replies} replies, ${tally.notices} notices, ${unanswered.length} unanswered ` +
          `(${outsideWindow.length} outside the window)`,
      );
      expect(outsideWindow.map((sent) => sent.text)).toEqual([]);
      // Nobody was restarted: the same processes, all still running.
      expect(scene.cluster.processes.map((running) => running.child.pid)).toEqual(pids);
      expect(scene.cluster.processes.every((running) => running.child.exitCode === null)).toBe(true);
    }, 180_000);
  });
});
