/**
 * Fault tier — memory stays bounded under volume. Ten thousand users' conversations, written through the
 * ConversationRepository with small caps, hold no more than the caps allow and all expire; a worker's resident
 * memory stays flat from the 2,000th to the 10,000th job it processes. These are resource bounds, not timings.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildSnowflake } from '../../src/discord/index.js';
import { createLogger } from '../../src/log/index.js';
import { ReplyAdmission, type ReplyJob } from '../../src/queue/index.js';
import { ConversationRepository, type ConversationTurn } from '../../src/state/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../support/redis.js';
import { FaultScene } from './support/fault-scene.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const USERS = 10_000;
const CAPS = { maxTurns: 4, maxChars: 1000, ttlSeconds: 3600 };
/** Turns written per conversation: more, and longer in total, than the caps keep. */
const TURNS_WRITTEN = 8;
const TURN_CHARS = 300;
/** Redis's own cost of a small list and its key, on top of the payload (a generous allowance). */
const KEY_OVERHEAD_BYTES = 512;
/** JSON around each turn's content (role, message id, time). */
const TURN_OVERHEAD_BYTES = 128;

const JOBS = 10_000;
const FIRST_SAMPLE_AT = 2_000;
/** Resident memory the worker may gain between the 2,000th and the 10,000th job. */
const RSS_GROWTH_BOUND_BYTES = 60 * 1024 * 1024;
const CHANNELS = 50;

function userId(index: number): string {
  return (100_000_000_000_000_000n + BigInt(index)).toString();
}

/** Runs `task` over `items` with at most `width` in flight. */
async function forEachLimited<T>(
  items: readonly T[],
  width: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await task(items[next++]!);
    }),
  );
}

async function readRssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

describe('memory', () => {
  describe('when 10,000 users each have a conversation longer than the caps', () => {
    it('keeps each within its caps, and every conversation key expires', async () => {
      const prefix = createTestPrefix();
      const redis = createTestRedis();
      try {
        const conversations = new ConversationRepository(redis, { prefix, ...CAPS });
        const turns: ConversationTurn[] = Array.from({ length: TURNS_WRITTEN }, (_, index) => ({
          role: index % 2 === 0 ? 'user' : 'assistant',
          content: String(index).repeat(TURN_CHARS),
          messageId: String(1_000_000 + index),
          at: 1_700_000_000_000 + index,
        }));
        const users = Array.from({ length: USERS }, (_, index) => userId(index));
        await forEachLimited(users, 100, async (user) => {
          // Two appends, as two exchanges would write them.
          await conversations.appendTurns(
            user,
            '200000000000000001',
            'alicepersona',
            turns.slice(0, TURNS_WRITTEN / 2),
          );
          await conversations.appendTurns(
            user,
            '200000000000000001',
            'alicepersona',
            turns.slice(TURNS_WRITTEN / 2),
          );
        });

        let keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 5000);
          cursor = next;
          keys = keys.concat(batch);
        } while (cursor !== '0');
        // One conversation and one conversation index per user.
        expect(keys).toHaveLength(2 * USERS);

        const ttls = await redis.pipeline(keys.map((key) => ['pttl', key])).exec();
        const withoutExpiry = keys.filter((_, index) => {
          const ttl = Number(ttls?.[index]?.[1]);
          return !(ttl > 0 && ttl <= CAPS.ttlSeconds * 1000);
        });
        expect(withoutExpiry).toEqual([]);

        const conversationKeys = keys.filter((key) => key.includes(':conversation:'));
        const lengths = await redis.pipeline(conversationKeys.map((key) => ['llen', key])).exec();
        expect(Math.max(...(lengths ?? []).map(([, length]) => Number(length)))).toBeLessThanOrEqual(
          CAPS.maxTurns,
        );
        const sample = await Promise.all(
          users
            .slice(0, 200)
            .map((user) => conversations.fetchHistory(user, '200000000000000001', 'alicepersona')),
        );
        for (const history of sample) {
          expect(history.reduce((sum, turn) => sum + turn.content.length, 0)).toBeLessThanOrEqual(
            CAPS.maxChars,
          );
        }

        // Bytes per conversation: the caps' worth of payload plus fixed overheads, whatever was written.
        const perKeyBound = CAPS.maxChars + CAPS.maxTurns * TURN_OVERHEAD_BYTES + KEY_OVERHEAD_BYTES;
        const usage = await redis
          .pipeline(
            conversationKeys.filter((_, index) => index % 50 === 0).map((key) => ['memory', 'usage', key]),
          )
          .exec();
        const bytes = (usage ?? []).map(([, value]) => Number(value));
        // Every sampled conversation within the bound: ten thousand of them stay under USERS × the bound,
        // however long the users talk, and are gone a TTL after their last message.
        expect(Math.max(...bytes)).toBeLessThanOrEqual(perKeyBound);
      } finally {
        await deleteKeysWithPrefix(redis, prefix);
        redis.disconnect();
      }
    });
  });

  describe('when one worker processes 10,000 jobs', () => {
    it('keeps its resident memory flat from the 2,000th job on', async () => {
      await using scene = await FaultScene.start({
        gateways: 0,
        workers: 1,
        channels: CHANNELS,
        users: 1,
        env: {
          // Webhook sends are not what is measured: no fleet-wide cap (the sandbox's rate limits are off too).
          WEBHOOK_GLOBAL_RATE_PER_SECOND: '100000',
          WORKER_CONCURRENCY: '50',
          // Uncapped, V8 grows its heap lazily into the machine's free memory (measured: live heap after
          // collections flat near 100-140 MB while the heap reserved grew 270 → 400 MB), so RSS would measure GC
          // laziness. Capped as a container's memory limit would, RSS tracks live memory: a leak shows.
          NODE_OPTIONS: '--max-old-space-size=256',
        },
      });
      const [worker] = scene.processes('worker');
      const admission = new ReplyAdmission(scene.redis, {
        prefix: scene.prefix,
        logger,
        limits: {
          userMaxPending: 1000,
          userRatePerMinute: 1_000_000,
          userBurst: 1000,
          queueMaxDepth: 10_000_000,
          fairQueue: true,
        },
      });
      const startedAt = Date.now();
      const jobs: ReplyJob[] = Array.from({ length: JOBS }, (_, index) => ({
        kind: 'reply',
        version: 1,
        correlationId: `memory-${index}`,
        messageId: buildSnowflake(startedAt - JOBS + index, BigInt(index)),
        channelId: scene.channelIds[index % CHANNELS]!,
        parentChannelId: null,
        guildId: scene.guildId,
        authorId: userId(index),
        authorName: `User ${index}`,
        content: `message ${index}`,
        trigger: 'mention',
        personalityId: scene.personality.id,
        messageCreatedAt: startedAt - JOBS + index,
        enqueuedAt: startedAt,
      }));
      // Counted in the channels: the queue keeps no completed job.
      const completed = async () => scene.answers().length;
      try {
        await forEachLimited(jobs, 50, async (job) => {
          const result = await admission.admit(job);
          if (result.outcome !== 'enqueued') throw new Error(`job not enqueued: ${JSON.stringify(result)}`);
        });
        await scene.waitFor(
          `${FIRST_SAMPLE_AT} jobs`,
          async () => (await completed()) >= FIRST_SAMPLE_AT,
          120_000,
        );
        const early = await readRssBytes(worker!.child.pid!);
        await scene.waitFor(`${JOBS} jobs`, async () => (await completed()) >= JOBS, 300_000);
        const late = await readRssBytes(worker!.child.pid!);
        console.info(
          `memory: ${JOBS} jobs in ${Math.round((Date.now() - startedAt) / 1000)} s; worker RSS ${Math.round(early / 2 ** 20)} MB at ${FIRST_SAMPLE_AT}, ${Math.round(late / 2 ** 20)} MB at ${JOBS}`,
        );
        expect(late - early).toBeLessThan(RSS_GROWTH_BOUND_BYTES);
        expect(await scene.queue.getFailedCount()).toBe(0);
        expect(scene.answers()).toHaveLength(JOBS);
      } finally {
        await admission.close();
      }
    }, 420_000);
  });
});
