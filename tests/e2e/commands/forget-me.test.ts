/**
 * `/forget-me` through the Discord sandbox: everything stored about the user goes at once, their
 * personalities after a confirm button; afterwards no key of the user is left in Redis.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { MemoryRepository } from '../../../src/memory/index.js';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import {
  ApiKeyRepository,
  ConversationRepository,
  DmStickyRepository,
  type PersonalityRepository,
} from '../../../src/state/index.js';
import { buttonIds, CommandHarness, isEphemeral } from './command-harness.js';

/** Every key in Redis carrying the user's hash tag, whatever its prefix. */
async function userKeys(harness: CommandHarness, userId: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await harness.redis.scan(cursor, 'MATCH', `*{u:${userId}}*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

describe('/forget-me', () => {
  let harness: CommandHarness;
  let personalities: PersonalityRepository;
  let channel: string;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    personalities = harness.personalities;
    channel = harness.channel('privacy');
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  /** Gives a user one of everything Chorus stores. */
  async function populate(userId: string): Promise<void> {
    const { redis, prefix, config } = harness;
    const personality = await harness.createPersonality({
      ownerId: userId,
      name: `P${userId.slice(-4)}`,
      aliases: ['Alias'],
      visibility: 'public',
    });
    await new ConversationRepository(redis, { prefix, ...config.conversation }).appendTurns(
      userId,
      channel,
      personality.id,
      [{ role: 'user', content: 'hi', messageId: '1', at: 1 }],
    );
    // A note and a summary's pending turns (the memory, docs/memory.md).
    const memory = new MemoryRepository(redis, { prefix, ttlSeconds: 3600 });
    await memory.addNote(userId, personality.id, 'I am vegetarian');
    await new ConversationRepository(redis, {
      prefix,
      maxTurns: 2,
      maxChars: 1000,
      ttlSeconds: 3600,
    }).appendTurns(
      userId,
      channel,
      personality.id,
      [0, 1, 2].map((index) => ({
        role: 'user' as const,
        content: 'x',
        messageId: `${index + 1}`,
        at: index,
      })),
      undefined,
      memory.buildHandOver(userId, `c:${channel}:${personality.id}`),
    );
    await new ApiKeyRepository(redis, { prefix, encryptionKey: config.encryptionKey }).set(
      userId,
      'default',
      'sk-forget-me-key',
    );
    await new DmStickyRepository(redis, { prefix }).set(userId, personality.id);
    // A line of theirs in a channel's window (what the gateway keeps once a personality was addressed there).
    await new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 }).markLiveAndAppend(channel, {
      id: '1400000000000000002',
      at: Date.now(),
      name: 'someone',
      content: `@${personality.name} hello`,
      replyToId: null,
      personalityId: null,
      userId,
    });
    // What the reply worker records while delivering a reply to this user.
    await new DeliveryLedger(redis, { prefix }).decideReply(
      userId,
      'reply-1400000000000000000-x',
      { chunks: ['hello'], reply: 'hello', isNotice: false, asBot: false },
      'attempt-1',
      Date.now(),
    );
    await harness.admission.admit({
      kind: 'reply',
      version: 1,
      correlationId: 'forget',
      messageId: '1400000000000000001',
      channelId: channel,
      parentChannelId: null,
      guildId: harness.guildId,
      authorId: userId,
      authorName: 'someone',
      content: 'hello',
      trigger: 'mention',
      personalityId: personality.id,
      messageCreatedAt: Date.now(),
      enqueuedAt: Date.now(),
    });
    expect((await userKeys(harness, userId)).length).toBeGreaterThan(4);
  }

  describe('when the user confirms deleting their personalities too', () => {
    it('deletes everything, says what, and leaves no key of the user behind', async () => {
      const user = harness.addUser('leaver');
      const stranger = harness.addUser('stranger');
      await populate(user);

      const handle = harness.sandbox.runSlashCommand(user, channel, 'forget-me');
      const summary = await handle.waitForResponse((response) => response.kind === 'edit');
      expect(isEphemeral(summary)).toBe(true);
      expect(summary.content).toMatch(
        /^Deleted everything stored about you: 1 conversation, 1 API key, your DM personality choice, \d+ queue and rate-limit records, 1 channel message\.\n\nYou also own 1 personality\. Delete it too\?/u,
      );
      const [confirm] = buttonIds(summary.components);
      expect(await personalities.countByOwner(user)).toBe(1);

      const notYours = await harness.sandbox
        .clickButton(stranger, summary.messageId!, confirm!)
        .waitForResponse();
      expect(notYours.content).toContain('belong to someone else’s command');
      expect(await personalities.countByOwner(user)).toBe(1);

      const done = await harness.sandbox
        .clickButton(user, summary.messageId!, confirm!)
        .waitForResponse((response) => response.kind === 'edit');
      expect(done.content).toBe(
        'Deleted 1 personality with its aliases and activations. Nothing about you is stored any more.',
      );
      expect(done.components).toEqual([]);
      expect(await userKeys(harness, user)).toEqual([]);
      expect(await personalities.resolveNames(stranger, ['alias'])).toEqual(new Map());
    });
  });

  describe('when the user keeps their personalities', () => {
    it('keeps them and deletes the rest', async () => {
      const user = harness.addUser('keeper');
      await populate(user);
      const summary = await harness.sandbox
        .runSlashCommand(user, channel, 'forget-me')
        .waitForResponse((response) => response.kind === 'edit');
      const [, keep] = buttonIds(summary.components);
      const kept = await harness.sandbox.clickButton(user, summary.messageId!, keep!).waitForResponse();
      expect(kept.content).toBe('Kept your personalities. Everything else about you is deleted.');
      expect(await personalities.countByOwner(user)).toBe(1);
      const left = await userKeys(harness, user);
      expect(left.every((key) => key.includes(':personalit'))).toBe(true);
    });
  });

  describe('when the user has nothing stored', () => {
    it('says what was deleted, with no buttons', async () => {
      const user = harness.addUser('newcomer');
      const summary = await harness.sandbox
        .runSlashCommand(user, channel, 'forget-me')
        .waitForResponse((response) => response.kind === 'edit');
      expect(summary.content).toBe(
        'Deleted everything stored about you: 0 conversations, 0 API keys, 0 queue and rate-limit records.',
      );
      expect(summary.components).toEqual([]);
    });
  });
});
