/**
 * MessageRouter with coalescing on, against real Redis and BullMQ: which follow-ups join the reply to the same
 * user's previous message instead of getting jobs of their own, that a joined message is answered once however
 * many gateways route it, and that deleting or editing a joined follow-up reaches its group.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../src/gateway/inbound-message.js';
import { MessageRouter } from '../../../src/gateway/message-router.js';
import { GuildSettingsRepository, PolicyNoticeRepository } from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildReplyJobId, ReplyAdmission, ReplyCoalescer } from '../../../src/queue/index.js';
import {
  ActivationRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  type Personality,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { ROOMY_LIMITS } from '../queue/build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const OWNER = '100000000000000001';
const AUTHOR = '100000000000000002';
const GUILD = '300000000000000001';
const CHANNEL = '200000000000000001';
const WINDOW_MS = 1500;

let prefix: string;
let personalities: PersonalityRepository;
let admission: ReplyAdmission;
let coalescer: ReplyCoalescer;
let alice: Personality;
let bob: Personality;
let nextMessage = 0;
/** Discord's clock for the messages of a test: each one a little after the previous. */
let clock = 0;

beforeEach(async () => {
  prefix = createTestPrefix();
  personalities = new PersonalityRepository(redis, { prefix });
  alice = await createPersonality('Alice');
  bob = await createPersonality('Bob');
  admission = new ReplyAdmission(redis, {
    prefix,
    logger,
    limits: ROOMY_LIMITS,
    coalesceWindowMs: WINDOW_MS,
  });
  coalescer = new ReplyCoalescer(redis, { prefix, windowMs: WINDOW_MS });
  clock = Date.now();
});

afterEach(async () => {
  await admission.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createPersonality(name: string): Promise<Personality> {
  return personalities.create(buildTestDraft(OWNER, name));
}

function buildRouter(): MessageRouter {
  return new MessageRouter(
    {
      personalities,
      activations: new ActivationRepository(redis, { prefix }),
      messageIndex: new MessageIndexRepository(redis, { prefix }),
      dmSticky: new DmStickyRepository(redis, { prefix }),
      messageEvents: new MessageEventRepository(redis, { prefix }),
      admission,
      coalescer,
      guildSettings: new GuildSettingsRepository(redis, { prefix, logger }),
      policyNotices: new PolicyNoticeRepository(redis, { prefix }),
      logger,
    },
    { maxPersonalitiesPerMessage: 3, now: Date.now, newCorrelationId: () => 'corr-1' },
  );
}

/** A message `afterMs` after the previous one of the test. */
function buildMessage(
  content: string,
  afterMs = 200,
  overrides: Partial<InboundMessage> = {},
): InboundMessage {
  nextMessage += 1;
  clock += afterMs;
  return {
    id: (400_000_000_000_000_000n + BigInt(nextMessage)).toString(),
    channelId: CHANNEL,
    parentChannelId: null,
    guildId: GUILD,
    authorId: AUTHOR,
    authorName: 'Author',
    content,
    replyToMessageId: null,
    createdAt: clock,
    memberRoleIds: [],
    channelNsfw: false,
    ...overrides,
  };
}

/** Each routed personality with what its routing did, `joined:<jobId>` for a join. */
function outcomesOf(outcome: Awaited<ReturnType<MessageRouter['route']>>): Record<string, string> {
  return Object.fromEntries(
    outcome.addressed.map(({ personalityId, admission: result }) => [
      personalityId === alice.id ? 'alice' : personalityId === bob.id ? 'bob' : personalityId,
      result.outcome === 'joined' ? `joined:${result.jobId}` : result.outcome,
    ]),
  );
}

/** The parts the reply of `message` for `personality` answers with its own text: what its worker's claim reads. */
async function partsOf(message: InboundMessage, personality: Personality): Promise<string[]> {
  const job = (await admission.queue.getJob(buildReplyJobId(message.id, personality.id)))?.data;
  if (job === undefined) throw new Error('no job for the message');
  return [job.content, ...(await coalescer.claim(job)).map((part) => part.content)];
}

describe('MessageRouter with coalescing', () => {
  describe('when a follow-up addresses the same personality', () => {
    it('joins the reply to the first message, which is delayed by the window', async () => {
      const router = buildRouter();
      const first = buildMessage('@Alice here is my question');
      expect(outcomesOf(await router.route(first))).toEqual({ alice: 'enqueued' });
      const jobId = buildReplyJobId(first.id, alice.id);
      expect(await (await admission.queue.getJob(jobId))?.getState()).toBe('delayed');
      const second = buildMessage('@Alice and some more');
      expect(outcomesOf(await router.route(second))).toEqual({ alice: `joined:${jobId}` });
      expect(await admission.queue.getJob(buildReplyJobId(second.id, alice.id))).toBeUndefined();
      expect(await partsOf(first, alice)).toEqual(['here is my question', 'and some more']);
    });
  });

  describe('when a follow-up names no one', () => {
    it('follows the personality the previous message named, within the window', async () => {
      const router = buildRouter();
      const first = buildMessage('@Alice so, part one');
      await router.route(first);
      const jobId = buildReplyJobId(first.id, alice.id);
      expect(outcomesOf(await router.route(buildMessage('part two')))).toEqual({ alice: `joined:${jobId}` });
      expect(outcomesOf(await router.route(buildMessage('part three')))).toEqual({
        alice: `joined:${jobId}`,
      });
      // The window counts from the group's latest message.
      expect((await router.route(buildMessage('much later', WINDOW_MS + 1))).addressed).toEqual([]);
      expect(await partsOf(first, alice)).toEqual(['so, part one', 'part two', 'part three']);
    });

    it('follows the named personality, not the channel’s activated one', async () => {
      await new ActivationRepository(redis, { prefix }).activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: bob.id,
        activatedBy: OWNER,
      });
      const router = buildRouter();
      const first = buildMessage('@Alice a word for you');
      expect(outcomesOf(await router.route(first))).toEqual({ alice: 'enqueued' });
      expect(outcomesOf(await router.route(buildMessage('and another')))).toEqual({
        alice: `joined:${buildReplyJobId(first.id, alice.id)}`,
      });
      // Past the window it is an ordinary message of the activated channel again.
      expect(outcomesOf(await router.route(buildMessage('hello room', WINDOW_MS + 1)))).toEqual({
        bob: 'enqueued',
      });
    });

    it('joins the activated personality’s reply in an activated channel', async () => {
      await new ActivationRepository(redis, { prefix }).activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: bob.id,
        activatedBy: OWNER,
      });
      const router = buildRouter();
      const first = buildMessage('hi all');
      expect(outcomesOf(await router.route(first))).toEqual({ bob: 'enqueued' });
      expect(outcomesOf(await router.route(buildMessage('anyone?')))).toEqual({
        bob: `joined:${buildReplyJobId(first.id, bob.id)}`,
      });
    });

    it('joins the sticky personality’s reply in a DM', async () => {
      const dm = { guildId: null, channelId: '200000000000000009' } as const;
      const router = buildRouter();
      const first = buildMessage('@Alice hey', 200, dm);
      await router.route(first);
      expect(outcomesOf(await router.route(buildMessage('you there?', 200, dm)))).toEqual({
        alice: `joined:${buildReplyJobId(first.id, alice.id)}`,
      });
    });
  });

  describe('when a follow-up names another personality', () => {
    it('starts that one’s reply, and joins the first’s group only when it names the first too', async () => {
      const router = buildRouter();
      const first = buildMessage('@Alice question one');
      await router.route(first);
      const toBob = buildMessage('@Bob what about you');
      expect(outcomesOf(await router.route(toBob))).toEqual({ bob: 'enqueued' });
      const toBoth = buildMessage('@Bob @Alice and both of you');
      expect(outcomesOf(await router.route(toBoth))).toEqual({
        bob: `joined:${buildReplyJobId(toBob.id, bob.id)}`,
        alice: `joined:${buildReplyJobId(first.id, alice.id)}`,
      });
      expect(await partsOf(first, alice)).toEqual(['question one', 'and both of you']);
      expect(await partsOf(toBob, bob)).toEqual(['what about you', 'and both of you']);
    });
  });

  describe('when the reply already started', () => {
    it('gives the follow-up a reply of its own', async () => {
      const router = buildRouter();
      const first = buildMessage('@Alice one');
      await router.route(first);
      await partsOf(first, alice);
      expect(outcomesOf(await router.route(buildMessage('@Alice two')))).toEqual({ alice: 'enqueued' });
    });
  });

  describe('when back-to-back messages are routed side by side', () => {
    it('routes each after its predecessor, so all of them join the first', async () => {
      const router = buildRouter();
      const messages = [buildMessage('@Alice one'), buildMessage('two'), buildMessage('three')];
      const outcomes = await Promise.all(messages.map((message) => router.route(message)));
      expect(outcomes.map(outcomesOf)).toEqual([
        { alice: 'enqueued' },
        { alice: `joined:${buildReplyJobId(messages[0]!.id, alice.id)}` },
        { alice: `joined:${buildReplyJobId(messages[0]!.id, alice.id)}` },
      ]);
    });
  });

  describe('when two gateway replicas route the same follow-up', () => {
    it('joins it once', async () => {
      const [one, two] = [buildRouter(), buildRouter()];
      const first = buildMessage('@Alice one');
      await one.route(first);
      await two.route(first);
      const second = buildMessage('@Alice two');
      await Promise.all([one.route(second), two.route(second)]);
      expect(await partsOf(first, alice)).toEqual(['one', 'two']);
      // Once the reply started, a replica late with the event finds it answered: no job of its own either.
      expect(outcomesOf(await buildRouter().route(second))).toEqual({ alice: 'duplicate' });
      expect(await admission.queue.getJob(buildReplyJobId(second.id, alice.id))).toBeUndefined();
    });
  });

  describe('when a joined follow-up is deleted or edited before the reply starts', () => {
    it('takes it out of the group, or takes its new text', async () => {
      const router = buildRouter();
      const first = buildMessage('@Alice one');
      await router.route(first);
      const deleted = buildMessage('oops');
      const edited = buildMessage('draft');
      await router.route(deleted);
      await router.route(edited);
      await router.cancel(deleted.channelId, deleted.id);
      expect(await router.recordEdit({ ...edited, content: 'final' })).toBe(true);
      expect(await partsOf(first, alice)).toEqual(['one', 'final']);
    });
  });
});
