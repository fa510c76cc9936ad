/**
 * UserDataEraser against real Redis: after forgetUser, a raw SCAN finds no key under the user's hash tag
 * (state and queue alike, edits, coalesced follow-ups and prompt records included), the posted-message entries of replies to
 * them and the deletion index of their joined follow-ups are gone, the activations they made no longer name
 * them, and nothing of other users is touched.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildSnowflake } from '../../../src/discord/index.js';
import { PromptInspectorRepository } from '../../../src/inspector/index.js';
import { createLogger } from '../../../src/log/index.js';
import {
  buildReplyJobId,
  createReplyQueue,
  ReplyAdmission,
  ReplyCoalescer,
  type ReplyJob,
} from '../../../src/queue/index.js';
import { buildBucketKey, buildJoinedMessageKey } from '../../../src/queue/keys.js';
import {
  ActivationRepository,
  ApiKeyRepository,
  ConversationRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  PersonalityRepository,
  UserDataEraser,
} from '../../../src/state/index.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();
const USER = '100000000000000001';
const OTHER = '100000000000000002';
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

async function scanUserKeys(userId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*{u:${userId}}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys.filter((key) => key.startsWith(prefix)));
  } while (cursor !== '0');
  return found.sort();
}

/** The follow-up message `userId` joins to their first reply in {@link populate}. */
function followUpOf(userId: string): string {
  return `6000000000000000${userId.slice(-2)}`;
}

/**
 * Gives `userId` one of everything: personality, activation, conversation, API key, DM sticky, queue state (a
 * follow-up joined to their reply included).
 */
async function populate(userId: string): Promise<void> {
  const personalities = new PersonalityRepository(redis, { prefix });
  const alice = await personalities.create(buildTestDraft(userId, 'Alice', { aliases: ['Al'] }));
  await new ActivationRepository(redis, { prefix }).activate({
    guildId: '300000000000000001',
    channelId: `2000000000000000${userId.slice(-2)}`,
    personalityId: alice.id,
    activatedBy: userId,
  });
  const conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: 40,
    maxChars: 24_000,
    ttlSeconds: 3600,
  });
  for (const channelId of ['200000000000000001', '200000000000000002']) {
    await conversations.appendTurns(userId, channelId, alice.id, [
      { role: 'user', content: 'hi', messageId: '400000000000000001', at: 1 },
    ]);
  }
  await new ApiKeyRepository(redis, { prefix, encryptionKey: Buffer.alloc(32, 1) }).set(
    userId,
    'openai',
    'sk-secret-1234567',
  );
  await new DmStickyRepository(redis, { prefix }).set(userId, alice.id);
  const queue = createReplyQueue(redis, { prefix, logger });
  const admission = new ReplyAdmission(redis, {
    prefix,
    logger,
    queue,
    limits: { userMaxPending: 1, userRatePerMinute: 6, userBurst: 3, queueMaxDepth: 100, fairQueue: true },
    coalesceWindowMs: 1500,
  });
  const job = (index: number): ReplyJob => ({
    kind: 'reply',
    version: 1,
    correlationId: `c${index}`,
    messageId: buildSnowflake(Date.UTC(2025, 0, 1) + index),
    channelId: '200000000000000001',
    parentChannelId: null,
    guildId: '300000000000000001',
    authorId: userId,
    authorName: 'User',
    content: 'hi',
    trigger: 'mention',
    personalityId: alice.id,
    messageCreatedAt: 0,
    enqueuedAt: 0,
  });
  // With a server's limits too, so their keys are among those to erase.
  await admission.admit(job(1), undefined, { userMaxPending: 1, userRatePerMinute: 5 });
  // A token bucket an older version kept in a key of its own (it now lives in the priorities hash).
  await redis.hset(buildBucketKey(prefix, userId), 'tokens', '1', 'at', '0');
  await redis.pexpire(buildBucketKey(prefix, userId), 60_000);
  await new MessageEventRepository(redis, { prefix }).recordEdit(userId, job(1).messageId, 'edited');
  const joined = await new ReplyCoalescer(redis, { prefix, windowMs: 1500 }).join(
    {
      authorId: userId,
      channelId: '200000000000000001',
      personalityId: alice.id,
      jobId: buildReplyJobId(job(1).messageId, alice.id),
    },
    { messageId: followUpOf(userId), content: 'and another thing', at: 1 },
    false,
  );
  expect(joined).toBe('joined');
  await new MessageIndexRepository(redis, { prefix }).indexPosted({
    messageIds: [`5000000000000000${userId.slice(-2)}`],
    personalityId: alice.id,
    userId,
    channelId: '200000000000000001',
  });
  // A reply's prompt record (DEBUG_PROMPTS).
  await new PromptInspectorRepository(redis, { prefix }).record({
    replyId: buildReplyJobId(job(1).messageId, alice.id),
    userId,
    channelId: '200000000000000001',
    guildId: '300000000000000001',
    personalityId: alice.id,
    personalityName: 'Alice',
    model: 'stub-model',
    messages: [{ role: 'user', content: 'hi' }],
    postedMessageIds: [`5000000000000000${userId.slice(-2)}`],
    timings: { queuedAt: 0, startedAt: 1, firstTokenAt: 2, postedAt: 3 },
    error: null,
  });
  // Refused (one pending at most): leaves the notice key too.
  expect(await admission.admit(job(2))).toMatchObject({ outcome: 'refused', notify: true });
  await queue.close();
}

describe('UserDataEraser', () => {
  describe('when personalities are included', () => {
    it('leaves no key under the user’s hash tag, and other users untouched', async () => {
      await populate(USER);
      await populate(OTHER);
      const personalities = new PersonalityRepository(redis, { prefix });
      // The user co-edits the other's personality: the index sits under the user's tag, their id in the record.
      const [othersAlice] = await personalities.listByOwner(OTHER);
      if (othersAlice === undefined) throw new Error('populate created no personality');
      await personalities.share(othersAlice.id, OTHER, USER);
      const before = await scanUserKeys(OTHER);
      expect(await scanUserKeys(USER)).not.toEqual([]);

      const erased = await new UserDataEraser(redis, { prefix }).forgetUser(USER, {
        includePersonalities: true,
      });
      expect((await personalities.fetchById(othersAlice.id))?.editorIds).toEqual([]);
      expect(erased).toEqual({
        personalities: 1,
        conversations: 2,
        apiKeys: 1,
        dmSticky: 1,
        queueKeys: 10,
        joinedMessages: 1,
        edits: 1,
        postedMessages: 1,
        // Their own activation went with their personality.
        activations: 0,
        coEdited: 1,
        promptRecords: 1,
      });
      const index = new MessageIndexRepository(redis, { prefix });
      expect(
        await index.fetchPersonalityForMessage('200000000000000001', `5000000000000000${USER.slice(-2)}`),
      ).toBeNull();
      expect(
        await index.fetchPersonalityForMessage('200000000000000001', `5000000000000000${OTHER.slice(-2)}`),
      ).not.toBeNull();
      expect(await redis.exists(buildJoinedMessageKey(prefix, followUpOf(USER)))).toBe(0);
      expect(await redis.exists(buildJoinedMessageKey(prefix, followUpOf(OTHER)))).toBe(1);
      expect(await scanUserKeys(USER)).toEqual([]);
      expect(await scanUserKeys(OTHER)).toEqual(before);
      expect((await personalities.resolveNames(OTHER, ['alice'])).get('alice')?.ownerId).toBe(OTHER);
    });
  });

  describe('when personalities are kept', () => {
    it('leaves only the personality records, and activations that no longer name the user', async () => {
      await populate(USER);
      await populate(OTHER);
      const activations = new ActivationRepository(redis, { prefix });
      const [keeper] = await new PersonalityRepository(redis, { prefix }).listByOwner(OTHER);
      // The user activates someone else's personality: the activation is the server's and stays.
      await activations.activate({
        guildId: '300000000000000001',
        channelId: '200000000000000077',
        personalityId: keeper!.id,
        activatedBy: USER,
      });
      const erased = await new UserDataEraser(redis, { prefix }).forgetUser(USER);
      expect(erased.personalities).toBe(0);
      expect(erased.activations).toBe(2);
      expect(
        (await activations.listForGuild('300000000000000001'))
          .map(({ channelId, activatedBy }) => ({ channelId, activatedBy }))
          .sort((left, right) => left.channelId.localeCompare(right.channelId)),
      ).toEqual([
        { channelId: `2000000000000000${USER.slice(-2)}`, activatedBy: null },
        { channelId: `2000000000000000${OTHER.slice(-2)}`, activatedBy: OTHER },
        { channelId: '200000000000000077', activatedBy: null },
      ]);
      expect((await scanUserKeys(USER)).map((key) => key.split(':').at(-1))).toEqual([
        'personalities',
        'personality-names',
      ]);
    });
  });
});
