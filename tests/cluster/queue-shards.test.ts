/**
 * Cluster tier — the reply queue split over 3 shards (`REPLY_QUEUE_SHARDS=3`) on the tier's 3-master cluster:
 * the shards sit on 3 different masters, every message is answered exactly once and each user's in the order
 * written, workers take jobs from every shard, and a message deleted before any worker ran is cancelled in
 * whichever shard its job waits.
 */
import type { Cluster } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { buildReplyShardPrefixes, findReplyShard } from '../../src/queue/index.js';
import { computeKeySlot } from '../../src/redis/index.js';
import { FaultScene, type SentMessage } from '../faults/support/fault-scene.js';

const SHARDS = 3;
/** Messages per user, all in one channel: one conversation each. */
const PER_USER = 3;

describe('reply queue shards on a Redis Cluster', () => {
  describe('when REPLY_QUEUE_SHARDS is 3 and two workers start after the messages arrived', () => {
    it('spreads the shards over the masters, cancels a deleted message in each shard, and answers the rest once and in order', async () => {
      await using scene = await FaultScene.start({
        workers: 0,
        users: 12,
        channels: 3,
        env: { REPLY_QUEUE_SHARDS: String(SHARDS) },
      });
      const cluster = scene.redis as Cluster;
      expect(cluster.isCluster).toBe(true);
      const masters = buildReplyShardPrefixes(scene.prefix, SHARDS).map(
        (bullPrefix) => cluster.slots[computeKeySlot(bullPrefix)]?.[0],
      );
      expect(new Set(masters).size).toBe(SHARDS);

      // User i writes in channel i % 3 (12 users, 3 channels): each user's messages are one conversation.
      const sent = await scene.sayMany(scene.users.length * PER_USER, 'sharded');
      await scene.waitFor(
        'every job admitted',
        async () => (await scene.replyShards.count()) === sent.length,
      );
      const usersByShard = scene.users.map((user) => findReplyShard(user.id, SHARDS));
      expect(new Set(usersByShard).size).toBe(SHARDS);

      // In each shard, one user's last message is deleted while its job waits.
      const deleted: SentMessage[] = [];
      for (let shard = 0; shard < SHARDS; shard += 1) {
        const user = scene.users[usersByShard.indexOf(shard)]!;
        const last = sent.filter((message) => message.authorId === user.id).at(-1)!;
        scene.sandbox.deleteMessage(last.messageId);
        deleted.push(last);
        scene.sent.splice(scene.sent.indexOf(last), 1);
      }
      await Promise.all([scene.spawn('worker'), scene.spawn('worker')]);

      await scene.waitUntilSettled(90_000);
      await scene.expectExactlyOnce();
      const answers = scene.answers();
      for (const message of deleted) expect(scene.repliesTo(message, answers)).toEqual([]);
      // Each user's answers come in the order the user wrote (the transcript is in posting order).
      for (const user of scene.users) {
        const asked = scene.sent.filter((message) => message.authorId === user.id);
        const positions = asked.map((message) => answers.indexOf(scene.repliesTo(message, answers)[0]!));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
      }
      // Every job completed (removed at once: the events say so), in every shard, and none failed.
      const completed = (await scene.jobEvents('completed')).map((ids) => ids.length);
      expect(completed.every((count) => count > 0)).toBe(true);
      expect(completed.reduce((sum, count) => sum + count, 0)).toBe(sent.length);
      expect((await scene.jobEvents('failed')).flat()).toEqual([]);
    });
  });
});
