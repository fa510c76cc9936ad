/**
 * PersonalityChain and MessageRouter.routeChainLink against real Redis and BullMQ: a personality's message
 * naming others starts links for the human requester, bounded by depth, self-answers and the channel's budget.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../src/gateway/inbound-message.js';
import { MessageRouter } from '../../../src/gateway/message-router.js';
import { PersonalityChain } from '../../../src/gateway/personality-chain.js';
import { GuildSettingsRepository, PolicyNoticeRepository } from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import { ChainLinkRepository, ReplyAdmission, type ReplyJob } from '../../../src/queue/index.js';
import {
  ActivationRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  type Personality,
  type PersonalityDraft,
  PersonalityRepository,
  type PostedMessage,
} from '../../../src/state/index.js';
import { buildReplyQuote } from '../../../src/webhooks/reply-quote.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { ROOMY_LIMITS } from '../queue/build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const OWNER = '100000000000000001';
const HUMAN = '100000000000000002';
const GUILD = '300000000000000001';
const CHANNEL = '200000000000000001';
const HUMAN_MESSAGE = '400000000000000001';

let prefix: string;
let personalities: PersonalityRepository;
let messageIndex: MessageIndexRepository;
let admission: ReplyAdmission;
let router: MessageRouter;
let alice: Personality;
let bob: Personality;
let nextMessage = 100;

beforeEach(async () => {
  prefix = createTestPrefix();
  personalities = new PersonalityRepository(redis, { prefix });
  messageIndex = new MessageIndexRepository(redis, { prefix });
  admission = new ReplyAdmission(redis, { prefix, logger, limits: ROOMY_LIMITS });
  router = new MessageRouter(
    {
      personalities,
      activations: new ActivationRepository(redis, { prefix }),
      messageIndex,
      dmSticky: new DmStickyRepository(redis, { prefix }),
      messageEvents: new MessageEventRepository(redis, { prefix }),
      admission,
      guildSettings: new GuildSettingsRepository(redis, { prefix, logger }),
      policyNotices: new PolicyNoticeRepository(redis, { prefix }),
      logger,
    },
    { maxPersonalitiesPerMessage: 3, now: Date.now, newCorrelationId: () => 'corr-1' },
  );
  alice = await createPersonality('Alice');
  bob = await createPersonality('Bob');
});

afterEach(async () => {
  await admission.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createPersonality(name: string, draft: Partial<PersonalityDraft> = {}): Promise<Personality> {
  return personalities.create(buildTestDraft(OWNER, name, draft));
}

function buildChain(options: { maxDepth?: number; perWindow?: number; retries?: number[] } = {}) {
  return new PersonalityChain(
    {
      router,
      messageIndex,
      chainLinks: new ChainLinkRepository(redis, { prefix, perWindow: options.perWindow ?? 10 }),
      logger,
    },
    { maxDepth: options.maxDepth ?? 3, indexRetryDelaysMs: options.retries ?? [20, 50] },
  );
}

/** A message one of our personalities posted (the gateway builds it with the webhook as author). */
function buildPersonaMessage(speaker: Personality, content: string): InboundMessage {
  nextMessage += 1;
  return {
    id: (400_000_000_000_000_000n + BigInt(nextMessage)).toString(),
    channelId: CHANNEL,
    parentChannelId: null,
    guildId: GUILD,
    authorId: '900000000000000001',
    authorName: speaker.name,
    content,
    replyToMessageId: null,
    createdAt: Date.now(),
    memberRoleIds: [],
    channelNsfw: false,
  };
}

/** Indexes `message` as posted by `speaker` for HUMAN, answering `source` (at `chain`, if a link). */
function indexPosted(
  speaker: Personality,
  message: InboundMessage,
  extra: Partial<PostedMessage> = {},
): Promise<void> {
  return messageIndex.indexPosted({
    personalityId: speaker.id,
    userId: HUMAN,
    channelId: CHANNEL,
    sourceMessageId: HUMAN_MESSAGE,
    messageIds: [message.id],
    ...extra,
  });
}

async function jobsFor(message: InboundMessage): Promise<ReplyJob[]> {
  const jobs = await admission.queue.getJobs(['prioritized', 'waiting', 'delayed']);
  return jobs.filter((job) => job.data.messageId === message.id).map((job) => job.data as ReplyJob);
}

const noRoles = async () => [];

describe('PersonalityChain', () => {
  describe('when a personality’s answer to a person names another', () => {
    it('starts the first link for that person, in the speaker’s name', async () => {
      const message = buildPersonaMessage(alice, '@Bob what do you think?');
      await indexPosted(alice, message);
      const outcome = await buildChain().route(message, noRoles);
      expect(outcome?.addressed).toMatchObject([{ personalityId: bob.id, trigger: 'mention' }]);
      expect(outcome?.notices).toEqual([]);
      expect(await jobsFor(message)).toMatchObject([
        {
          personalityId: bob.id,
          authorId: HUMAN,
          authorName: 'Alice',
          content: 'what do you think?',
          chain: { depth: 1, speakerPersonalityId: alice.id, rootMessageId: HUMAN_MESSAGE },
        },
      ]);
    });

    it('ignores the names in the quote line it opens with', async () => {
      const quote = buildReplyQuote({
        askerName: 'Olive',
        excerpt: '@Bob should not answer',
        guildId: GUILD,
        channelId: CHANNEL,
        messageId: HUMAN_MESSAGE,
      });
      const message = buildPersonaMessage(alice, `${quote}Sure thing.`);
      await indexPosted(alice, message);
      expect(await buildChain().route(message, noRoles)).toBeNull();
    });

    it('finds the message indexed a moment after it arrived', async () => {
      const message = buildPersonaMessage(alice, '@Bob hi');
      setTimeout(() => void indexPosted(alice, message), 30);
      const outcome = await buildChain({ retries: [20, 50, 100] }).route(message, noRoles);
      expect(outcome?.addressed).toHaveLength(1);
    });

    it('starts nothing for a message never indexed', async () => {
      expect(await buildChain().route(buildPersonaMessage(alice, '@Bob hi'), noRoles)).toBeNull();
    });
  });

  describe('what never starts a link', () => {
    it('a personality naming itself', async () => {
      const message = buildPersonaMessage(alice, 'As @Alice, I ask @Bob and @Alice again');
      await indexPosted(alice, message);
      const outcome = await buildChain().route(message, noRoles);
      expect(outcome?.addressed.map(({ personalityId }) => personalityId)).toEqual([bob.id]);
    });

    it('the channel’s activation', async () => {
      await new ActivationRepository(redis, { prefix }).activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: bob.id,
        activatedBy: OWNER,
      });
      const message = buildPersonaMessage(alice, 'no names, @nobody');
      await indexPosted(alice, message);
      expect((await buildChain().route(message, noRoles))?.addressed).toEqual([]);
    });

    it('a message without a mention (no Redis read at all)', async () => {
      const message = buildPersonaMessage(alice, 'Just an answer.');
      expect(await buildChain().route(message, noRoles)).toBeNull();
    });

    it('a link past the depth limit', async () => {
      const message = buildPersonaMessage(alice, '@Bob and again');
      await indexPosted(alice, message, { chain: { depth: 3, rootMessageId: HUMAN_MESSAGE } });
      expect(await buildChain({ maxDepth: 3 }).route(message, noRoles)).toBeNull();
      expect(await jobsFor(message)).toEqual([]);
    });
  });

  describe('when a link answers a link', () => {
    it('goes one deeper, keeping the root', async () => {
      const message = buildPersonaMessage(bob, '@Alice your turn');
      await indexPosted(bob, message, {
        sourceMessageId: '400000000000000050',
        chain: { depth: 2, rootMessageId: HUMAN_MESSAGE },
      });
      await buildChain().route(message, noRoles);
      expect(await jobsFor(message)).toMatchObject([
        { chain: { depth: 3, speakerPersonalityId: bob.id, rootMessageId: HUMAN_MESSAGE } },
      ]);
    });
  });

  describe('when a reply split into several messages names a personality in each', () => {
    it('starts one link', async () => {
      const chain = buildChain();
      const first = buildPersonaMessage(alice, '@Bob part one');
      const second = buildPersonaMessage(alice, 'part two, @Bob');
      await indexPosted(alice, first);
      await indexPosted(alice, second);
      expect((await chain.route(first, noRoles))?.addressed).toHaveLength(1);
      expect((await chain.route(second, noRoles))?.addressed).toEqual([]);
      expect(await jobsFor(second)).toEqual([]);
    });
  });

  describe('when the channel’s budget is spent', () => {
    it('starts no more links', async () => {
      const chain = buildChain({ perWindow: 1 });
      const results = [];
      for (let index = 0; index < 3; index += 1) {
        const message = buildPersonaMessage(alice, '@Bob again');
        await indexPosted(alice, message, {
          sourceMessageId: String(400_000_000_000_000_500n + BigInt(index)),
        });
        results.push((await chain.route(message, noRoles))?.addressed.length);
      }
      expect(results).toEqual([1, 0, 0]);
    });
  });

  describe('resolving names and rules for the human requester', () => {
    it('reaches the requester’s private personality, and no one else’s', async () => {
      const secret = await createPersonality('Secret', { ownerId: HUMAN, visibility: 'private' });
      const message = buildPersonaMessage(alice, '@Secret you there?');
      await indexPosted(alice, message);
      expect((await buildChain().route(message, noRoles))?.addressed).toMatchObject([
        { personalityId: secret.id },
      ]);
      const strangers = buildPersonaMessage(alice, '@Secret you there?');
      await indexPosted(alice, strangers, { userId: '100000000000000009' });
      expect((await buildChain().route(strangers, noRoles))?.addressed).toEqual([]);
    });

    it('keeps a personality the server blocks silent, telling no one', async () => {
      await new GuildSettingsRepository(redis, { prefix, logger }).update(GUILD, (current) => ({
        ...current,
        blockedPersonalityIds: [bob.id],
      }));
      const message = buildPersonaMessage(alice, '@Bob hi');
      await indexPosted(alice, message);
      expect(await buildChain().route(message, noRoles)).toEqual({
        addressed: [],
        notices: [],
        policyNotice: null,
      });
    });

    it('applies the required role with the requester’s roles', async () => {
      const ROLE = '500000000000000001';
      await new GuildSettingsRepository(redis, { prefix, logger }).update(GUILD, (current) => ({
        ...current,
        requiredRoleId: ROLE,
      }));
      const chain = buildChain();
      const without = buildPersonaMessage(alice, '@Bob hi');
      await indexPosted(alice, without);
      expect((await chain.route(without, noRoles))?.addressed).toEqual([]);
      const withRole = buildPersonaMessage(alice, '@Bob hi');
      await indexPosted(alice, withRole, { sourceMessageId: '400000000000000060' });
      const asked: string[] = [];
      const outcome = await chain.route(withRole, async (userId) => {
        asked.push(userId);
        return [ROLE];
      });
      expect(asked).toEqual([HUMAN]);
      expect(outcome?.addressed).toMatchObject([{ personalityId: bob.id }]);
    });

    it('tells nothing when the requester’s limits refuse the link', async () => {
      await admission.close();
      admission = new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: { ...ROOMY_LIMITS, queueMaxDepth: 0 },
      });
      router = new MessageRouter(
        {
          personalities,
          activations: new ActivationRepository(redis, { prefix }),
          messageIndex,
          dmSticky: new DmStickyRepository(redis, { prefix }),
          messageEvents: new MessageEventRepository(redis, { prefix }),
          admission,
          guildSettings: new GuildSettingsRepository(redis, { prefix, logger }),
          policyNotices: new PolicyNoticeRepository(redis, { prefix }),
          logger,
        },
        { maxPersonalitiesPerMessage: 3, now: Date.now, newCorrelationId: () => 'corr-1' },
      );
      const message = buildPersonaMessage(alice, '@Bob hi');
      await indexPosted(alice, message);
      const outcome = await buildChain().route(message, noRoles);
      expect(outcome?.addressed).toMatchObject([{ admission: { outcome: 'refused', reason: 'queue-full' } }]);
      expect(outcome?.notices).toEqual([]);
    });
  });

  describe('when two personalities keep naming each other', () => {
    it('stops at the depth limit', async () => {
      const chain = buildChain({ maxDepth: 3 });
      let speaker = alice;
      let source = HUMAN_MESSAGE;
      let depth = 0;
      let links = 0;
      for (let turn = 0; turn < 10; turn += 1) {
        const other = speaker === alice ? bob : alice;
        const message = buildPersonaMessage(speaker, `@${other.name} over to you`);
        await indexPosted(speaker, message, {
          sourceMessageId: source,
          ...(depth === 0 ? {} : { chain: { depth, rootMessageId: HUMAN_MESSAGE } }),
        });
        const outcome = await chain.route(message, noRoles);
        if (outcome === null || outcome.addressed.length === 0) break;
        const [job] = await jobsFor(message);
        links += 1;
        depth = job!.chain!.depth;
        source = message.id;
        speaker = other;
      }
      expect(links).toBe(3);
    });
  });
});
