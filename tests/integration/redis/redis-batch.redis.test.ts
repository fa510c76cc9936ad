/**
 * RedisBatch against real Redis: repository calls given one batch go out in one write (one round trip),
 * each resolving with its own reply or error.
 */
import type { Cluster } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildPendingKey, buildReplyJobId } from '../../../src/queue/index.js';
import { RedisBatch } from '../../../src/redis/index.js';
import {
  ChannelActivityRepository,
  ConversationRepository,
  MessageEventRepository,
} from '../../../src/state/index.js';
import { buildChannelLatestKey, buildConversationKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const redis = createTestRedis();
const USER = '100000000000000001';
const CHANNEL = '200000000000000001';
const MESSAGE = '400000000000000001';
let prefix: string;
let events: MessageEventRepository;
let activity: ChannelActivityRepository;
let conversations: ConversationRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  events = new MessageEventRepository(redis, { prefix });
  activity = new ChannelActivityRepository(redis, { prefix });
  conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: 20,
    maxChars: 10_000,
    ttlSeconds: 3600,
  });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('RedisBatch', () => {
  describe('when several repositories read through one batch', () => {
    it('sends them in one write and gives each call its own reply', async () => {
      // Only an edit of a message that produced a job is kept: a pending job stands for one here.
      await redis.zadd(buildPendingKey(prefix, USER), Date.now() + 60_000, buildReplyJobId(MESSAGE, 'alice'));
      expect(await events.recordEdit(USER, MESSAGE, 'edited text')).toBe(true);
      await activity.recordLatest(CHANNEL, MESSAGE);
      const writes = spyOnSocketWrites(redis);
      const replies = await RedisBatch.together((batch) =>
        Promise.all([
          events.isDeleted(CHANNEL, MESSAGE, batch),
          events.fetchEdit(USER, MESSAGE, batch),
          activity.fetchLatest(CHANNEL, batch),
          conversations.fetchHistory(USER, CHANNEL, 'alicepersona', batch),
        ]),
      );
      expect(replies).toEqual([false, 'edited text', MESSAGE, []]);
      expect(writes()).toBe(1);
    });

    it('runs them in the order they were added, Lua scripts included', async () => {
      const latestKey = buildChannelLatestKey(prefix, CHANNEL);
      const [, latest, later] = await RedisBatch.together((batch) =>
        Promise.all([
          activity.recordLatest(CHANNEL, MESSAGE, batch),
          // A plain command: reads given to RedisBatch.read wait for the end of the batch.
          RedisBatch.send(redis, batch, latestKey, (commands) => commands.get(latestKey)),
          activity.recordLatest(CHANNEL, '400000000000000002', batch),
        ]),
      );
      expect(latest).toBe(MESSAGE);
      expect(later).toBeUndefined();
      expect(await activity.fetchLatest(CHANNEL)).toBe('400000000000000002');
    });
  });

  describe("when several reads of one user's slot share a batch", () => {
    it('sends them as one command, after the batch’s other commands, each answered as alone', async () => {
      await redis.zadd(buildPendingKey(prefix, USER), Date.now() + 60_000, buildReplyJobId(MESSAGE, 'alice'));
      expect(await events.recordEdit(USER, MESSAGE, 'edited text')).toBe(true);
      const hash = `${prefix}:{u:${USER}}:hash`;
      await redis.hset(hash, 'a', '1', 'b', '2');
      const sent: string[] = [];
      const sendCommand = redis.sendCommand.bind(redis);
      vi.spyOn(redis, 'sendCommand').mockImplementation((command, stream) => {
        sent.push(command.name);
        return sendCommand(command, stream);
      });
      const replies = await RedisBatch.together((batch) =>
        Promise.all([
          events.fetchEdit(USER, MESSAGE, batch),
          conversations.fetchHistory(USER, CHANNEL, 'alicepersona', batch),
          RedisBatch.read(redis, batch, hash, 'hgetall'),
          RedisBatch.read(redis, batch, `${prefix}:{u:${USER}}:missing`, 'get'),
          activity.fetchLatest(CHANNEL, batch),
        ]),
      );
      expect(replies).toEqual(['edited text', [], { a: '1', b: '2' }, null, null]);
      // One script for the four reads of the user's slot, then fetchLatest, alone in its slot: a plain GET.
      expect(sent).toEqual(['evalsha', 'get']);
    });
  });

  describe('when one command of the batch fails', () => {
    it('rejects that call only', async () => {
      // A string where the conversation LIST should be: LRANGE answers WRONGTYPE.
      await redis.set(buildConversationKey(prefix, USER, CHANNEL, 'alicepersona'), 'not a list');
      const [history, edit] = await RedisBatch.together((batch) =>
        Promise.allSettled([
          conversations.fetchHistory(USER, CHANNEL, 'alicepersona', batch),
          events.fetchEdit(USER, MESSAGE, batch),
        ]),
      );
      expect(history).toMatchObject({
        status: 'rejected',
        reason: { message: expect.stringMatching(/WRONGTYPE/) },
      });
      expect(edit).toEqual({ status: 'fulfilled', value: null });
    });
  });

  describe('when a command is added after the batch was sent', () => {
    it('rejects it instead of leaving it unsent', async () => {
      const late = RedisBatch.together(async (batch) => {
        await events.isDeleted(CHANNEL, MESSAGE, batch);
        return events.fetchEdit(USER, MESSAGE, batch);
      });
      await expect(late).rejects.toThrow(/already sent/);
    });
  });

  describe('when building the batch throws', () => {
    it('still sends the commands added before, so their calls settle', async () => {
      await events.markDeleted(CHANNEL, MESSAGE);
      let added: Promise<boolean> | undefined;
      expect(() =>
        RedisBatch.together((batch) => {
          added = events.isDeleted(CHANNEL, MESSAGE, batch);
          throw new Error('bug while building');
        }),
      ).toThrow('bug while building');
      await expect(added).resolves.toBe(true);
    });
  });

  describe('without a batch', () => {
    it('sends the call on its own', async () => {
      await events.markDeleted(CHANNEL, MESSAGE);
      expect(await events.isDeleted(CHANNEL, MESSAGE)).toBe(true);
    });
  });

  describe('on a Redis Cluster', () => {
    it('gives each hash tag its own pipeline, in the order the commands were added', async () => {
      // The real server behind a client that says it is a Cluster: the batch must then keep each pipeline to
      // one hash tag (a Cluster pipeline cannot span nodes).
      const pipeline = vi.fn(() => redis.pipeline());
      const clustered = { isCluster: true, pipeline } as unknown as Cluster;
      const tagged = (name: string) => `${prefix}:{u:${USER}}:${name}`;
      const untagged = `${prefix}:alone`;
      const replies = await RedisBatch.together((batch) =>
        Promise.all([
          RedisBatch.send(clustered, batch, tagged('a'), (commands) => commands.set(tagged('a'), '1')),
          RedisBatch.send(clustered, batch, untagged, (commands) => commands.set(untagged, '2')),
          RedisBatch.send(clustered, batch, tagged('a'), (commands) => commands.get(tagged('a'))),
          RedisBatch.send(clustered, batch, tagged('b'), (commands) => commands.exists(tagged('b'))),
        ]),
      );
      expect(replies).toEqual(['OK', 'OK', '1', 0]);
      expect(pipeline).toHaveBeenCalledTimes(2);
    });
  });
});
