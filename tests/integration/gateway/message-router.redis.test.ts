/**
 * MessageRouter against real Redis and BullMQ: who a message addresses, the jobs admitted for it, and the
 * round trips it costs (the gateway's hot path): one write for every lookup, then admission's script, then
 * BullMQ's add.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelWindowRepository, type WindowLine } from '../../../src/context/index.js';
import { buildUserWindowsKey } from '../../../src/context/keys.js';
import { DueUserIndex } from '../../../src/gateway/due-user-index.js';
import type { InboundMessage } from '../../../src/gateway/inbound-message.js';
import { MessageRouter } from '../../../src/gateway/message-router.js';
import {
  type GuildSettings,
  GuildSettingsRepository,
  PolicyNoticeRepository,
} from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import { type AdmissionLimits, ReplyAdmission } from '../../../src/queue/index.js';
import { RedisBatch } from '../../../src/redis/index.js';
import {
  ActivationRepository,
  ApiKeyRepository,
  ChannelActivityRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  type Personality,
  type PersonalityDraft,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { type TokenQuotas, UsageRepository } from '../../../src/usage/index.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';
import { ROOMY_LIMITS } from '../queue/build-test-job.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();
const OWNER = '100000000000000001';
const AUTHOR = '100000000000000002';
const GUILD = '300000000000000001';
const CHANNEL = '200000000000000001';

let prefix: string;
let personalities: PersonalityRepository;
let activations: ActivationRepository;
let messageIndex: MessageIndexRepository;
let dmSticky: DmStickyRepository;
let admission: ReplyAdmission;
let alice: Personality;
let bob: Personality;
let nextMessage = 0;

beforeEach(async () => {
  prefix = createTestPrefix();
  personalities = new PersonalityRepository(redis, { prefix });
  activations = new ActivationRepository(redis, { prefix });
  messageIndex = new MessageIndexRepository(redis, { prefix });
  dmSticky = new DmStickyRepository(redis, { prefix });
  alice = await createPersonality('Alice');
  bob = await createPersonality('Bob');
  admission = routerAdmission(ROOMY_LIMITS);
  // BullMQ readies its client on first use: what follows measures routing only.
  await admission.queue.count();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await admission.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createPersonality(name: string, draft: Partial<PersonalityDraft> = {}): Promise<Personality> {
  return personalities.create(buildTestDraft(OWNER, name, draft));
}

function routerAdmission(limits: AdmissionLimits): ReplyAdmission {
  return new ReplyAdmission(redis, { prefix, logger, limits });
}

function buildRouter(quotas?: TokenQuotas): MessageRouter {
  return new MessageRouter(
    {
      personalities,
      activations,
      messageIndex,
      dmSticky,
      messageEvents: new MessageEventRepository(redis, { prefix }),
      admission,
      guildSettings: new GuildSettingsRepository(redis, { prefix, logger }),
      policyNotices: new PolicyNoticeRepository(redis, { prefix }),
      ...(quotas === undefined
        ? {}
        : {
            quotas: {
              limits: quotas,
              usage: new UsageRepository(redis, { prefix }),
              apiKeys: new ApiKeyRepository(redis, { prefix, encryptionKey: Buffer.alloc(32) }),
            },
          }),
      logger: createLogger({ level: 'silent', service: 'test' }),
    },
    { maxPersonalitiesPerMessage: 3, now: Date.now, newCorrelationId: () => 'corr-1' },
  );
}

function buildMessage(content: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  nextMessage += 1;
  return {
    id: (400_000_000_000_000_000n + BigInt(nextMessage)).toString(),
    channelId: CHANNEL,
    parentChannelId: null,
    guildId: GUILD,
    authorId: AUTHOR,
    authorName: 'Author',
    content,
    replyToMessageId: null,
    createdAt: Date.now(),
    memberRoleIds: [],
    channelNsfw: false,
    ...overrides,
  };
}

async function jobsOf(message: InboundMessage) {
  const jobs = await admission.queue.getJobs(['prioritized']);
  return jobs
    .filter((job) => job.data.messageId === message.id)
    .map((job) => ({
      personalityId: job.data.personalityId,
      trigger: job.data.trigger,
      content: job.data.content,
    }));
}

describe('MessageRouter', () => {
  describe('when a message mentions a personality', () => {
    it('admits its job in three writes: the lookups with the caller’s own, the admission, the add', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      const message = buildMessage('@Alice how are you?');
      const writes = spyOnSocketWrites(redis);
      const outcome = await RedisBatch.together((batch) => {
        void activity.recordLatest(CHANNEL, message.id, batch);
        return buildRouter().route(message, batch);
      });
      expect(writes()).toBe(3);
      expect(outcome.addressed).toMatchObject([
        { personalityId: alice.id, trigger: 'mention', admission: { outcome: 'enqueued', priority: 1 } },
      ]);
      expect(await jobsOf(message)).toEqual([
        { personalityId: alice.id, trigger: 'mention', content: 'how are you?' },
      ]);
      expect(await activity.fetchLatest(CHANNEL)).toBe(message.id);
    });

    it('writes the author’s window-index entry their line made due in the admission: still three writes', async () => {
      const windows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
      const message = buildMessage('@Alice hi');
      const line = (id: string, userId: string | null): WindowLine => ({
        id,
        at: message.createdAt,
        name: 'Author',
        content: 'hi',
        replyToId: null,
        personalityId: null,
        userId,
      });
      await windows.markLiveAndAppend(CHANNEL, line('400000000000000999', null));
      const writeApart = vi.fn(async () => undefined);
      const writes = spyOnSocketWrites(redis);
      // As the gateway: the append and the lookups in one batch, the entry handed to the author's admission.
      const outcome = await RedisBatch.together((batch) => {
        const appended = windows.appendIfLive(CHANNEL, line(message.id, AUTHOR), batch);
        const due = new DueUserIndex(
          AUTHOR,
          appended.then(({ userIndex }) => userIndex),
          writeApart,
        );
        return buildRouter()
          .route(message, batch, due)
          .then(async (routed) => {
            await due.writeIfLeft();
            return routed;
          });
      });
      expect(writes()).toBe(3);
      expect(writeApart).not.toHaveBeenCalled();
      expect(outcome.addressed).toMatchObject([{ admission: { outcome: 'enqueued' } }]);
      expect(await redis.zrange(buildUserWindowsKey(prefix, AUTHOR), '0', '-1')).toEqual([CHANNEL]);
    });

    it('reads the lookups in a batch of its own without a caller’s', async () => {
      const message = buildMessage('@Bob hi');
      const writes = spyOnSocketWrites(redis);
      const outcome = await buildRouter().route(message);
      expect(writes()).toBe(3);
      expect(outcome.addressed).toMatchObject([
        { personalityId: bob.id, admission: { outcome: 'enqueued' } },
      ]);
    });
  });

  describe('when token quotas are set', () => {
    const quotas = { userDailyTokens: 100, guildDailyTokens: null };
    const spend = (tokens: number) =>
      new UsageRepository(redis, { prefix }).count({
        userId: AUTHOR,
        guildId: GUILD,
        personalityId: alice.id,
        usage: {
          provider: 'default',
          model: 'stub-model',
          ownKey: false,
          promptTokens: tokens,
          completionTokens: 0,
        },
        at: Date.now(),
      });

    it('reads them with the lookups, in the same three writes', async () => {
      await spend(99);
      const message = buildMessage('@Alice hi');
      const writes = spyOnSocketWrites(redis);
      const outcome = await buildRouter(quotas).route(message);
      expect(writes()).toBe(3);
      expect(outcome.addressed).toMatchObject([{ admission: { outcome: 'enqueued' } }]);
    });

    it('skips a message past the quota with one notice per window, but admits one their own key pays for', async () => {
      await spend(100);
      const keyed = await createPersonality('Keyed', { provider: 'mine' });
      await new ApiKeyRepository(redis, { prefix, encryptionKey: Buffer.alloc(32) }).set(
        AUTHOR,
        'mine',
        'sk-own',
      );
      const router = buildRouter(quotas);
      const first = await router.route(buildMessage('@Alice @Keyed hi'));
      expect(first.addressed).toMatchObject([
        { personalityId: alice.id, admission: { outcome: 'over-quota', scope: 'user' } },
        { personalityId: keyed.id, admission: { outcome: 'enqueued' } },
      ]);
      expect(first.notices).toEqual([expect.stringMatching(/today's share .* It resets <t:\d+:R>/)]);
      const second = await router.route(buildMessage('@Alice still there?'));
      expect(second.addressed).toMatchObject([{ admission: { outcome: 'over-quota' } }]);
      expect(second.notices).toEqual([]);
    });
  });

  describe('when the message is a proxy bot’s copy of a person’s message', () => {
    it('puts the original on the job, which answers the copy for the person', async () => {
      const copy = buildMessage('@Alice hi', {
        authorName: 'Aster',
        proxiedFromMessageId: '400000000000008888',
      });
      await buildRouter().route(copy);
      const [job] = await admission.queue.getJobs(['prioritized']);
      expect(job?.data).toMatchObject({
        messageId: copy.id,
        authorId: AUTHOR,
        authorName: 'Aster',
        proxiedFromMessageId: '400000000000008888',
      });
    });
  });

  describe('when a message is edited', () => {
    it('stores the edit of a message that produced a job, even while it is still being routed', async () => {
      const router = buildRouter();
      const message = buildMessage('@Alice first draft');
      const routing = router.route(message);
      expect(await router.recordEdit({ ...message, content: '@Alice final wording' })).toBe(true);
      await routing;
      const events = new MessageEventRepository(redis, { prefix });
      expect(await events.fetchEdit(AUTHOR, message.id)).toBe('final wording');
    });

    it('stores nothing for a message that addressed nobody', async () => {
      const router = buildRouter();
      const message = buildMessage('just chatting');
      await router.route(message);
      expect(await router.recordEdit({ ...message, content: 'private second thoughts' })).toBe(false);
      const events = new MessageEventRepository(redis, { prefix });
      expect(await events.fetchEdit(AUTHOR, message.id)).toBeNull();
    });
  });

  describe('when a message addresses nobody', () => {
    it('costs one write and never reads the queue depth', async () => {
      const depthReads = vi.spyOn(admission, 'readQueueDepth');
      const writes = spyOnSocketWrites(redis);
      expect(await buildRouter().route(buildMessage('no mention at all'))).toEqual({
        addressed: [],
        notices: [],
        policyNotice: null,
      });
      expect(writes()).toBe(1);
      expect(depthReads).not.toHaveBeenCalled();
    });

    it('costs one write too when it looked like a mention, the depth read in it', async () => {
      const depthReads = vi.spyOn(admission, 'readQueueDepth');
      const writes = spyOnSocketWrites(redis);
      expect(await buildRouter().route(buildMessage('mail @nobody'))).toEqual({
        addressed: [],
        notices: [],
        policyNotice: null,
      });
      expect(writes()).toBe(1);
      expect(depthReads).toHaveBeenCalledTimes(1);
    });
  });

  describe('when only the channel’s activation addresses a message', () => {
    it('reads the queue depth with the activated personality', async () => {
      await activations.activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: alice.id,
        activatedBy: OWNER,
      });
      const depthReads = vi.spyOn(admission, 'readQueueDepth');
      const message = buildMessage('anyone there?');
      const writes = spyOnSocketWrites(redis);
      const outcome = await buildRouter().route(message);
      expect(writes()).toBe(4);
      expect(depthReads).toHaveBeenCalledTimes(1);
      expect(outcome.addressed).toMatchObject([{ personalityId: alice.id, trigger: 'activation' }]);
      expect(await jobsOf(message)).toEqual([
        { personalityId: alice.id, trigger: 'activation', content: 'anyone there?' },
      ]);
    });
  });

  describe('when a message replies to a personality’s message', () => {
    it('addresses that personality', async () => {
      await messageIndex.indexPosted({
        personalityId: bob.id,
        userId: AUTHOR,
        channelId: CHANNEL,
        messageIds: ['400000000000009999'],
      });
      const message = buildMessage('and then?', { replyToMessageId: '400000000000009999' });
      const outcome = await buildRouter().route(message);
      expect(outcome.addressed).toMatchObject([{ personalityId: bob.id, trigger: 'reply' }]);
    });
  });

  describe('when a message replies to a person’s message', () => {
    it('names the replied-to message on the job, for the reply chain', async () => {
      const message = buildMessage('@Alice is that so?', { replyToMessageId: '400000000000009997' });
      await buildRouter().route(message);
      const jobs = await admission.queue.getJobs(['prioritized']);
      const job = jobs.find((candidate) => candidate.data.messageId === message.id);
      expect(job?.data).toMatchObject({ personalityId: alice.id, replyToMessageId: '400000000000009997' });
    });
  });

  describe('in a DM', () => {
    it('answers with the sticky personality until another is mentioned', async () => {
      const router = buildRouter();
      const dm = (content: string) =>
        buildMessage(content, { guildId: null, channelId: '200000000000000077' });
      expect((await router.route(dm('hello?'))).addressed).toEqual([]);
      expect((await router.route(dm('@Bob hi'))).addressed).toMatchObject([{ personalityId: bob.id }]);
      expect((await router.route(dm('still there?'))).addressed).toMatchObject([
        { personalityId: bob.id, trigger: 'dm' },
      ]);
    });
  });

  describe('when one message addresses several personalities near the queue’s cap', () => {
    it('counts the jobs it already added toward the depth', async () => {
      await admission.close();
      admission = routerAdmission({ ...ROOMY_LIMITS, queueMaxDepth: 1 });
      const outcome = await buildRouter().route(buildMessage('@Alice @Bob which of you?'));
      expect(outcome.addressed).toMatchObject([
        { personalityId: alice.id, admission: { outcome: 'enqueued' } },
        { personalityId: bob.id, admission: { outcome: 'refused', reason: 'queue-full', notify: true } },
      ]);
      expect(outcome.notices).toHaveLength(1);
    });
  });

  describe('with the server’s settings', () => {
    const OTHER_GUILD = '300000000000000002';
    const settle = (change: Partial<GuildSettings>, guildId = GUILD) =>
      new GuildSettingsRepository(redis, { prefix, logger }).update(guildId, (current) => ({
        ...current,
        ...change,
      }));

    it('reads them in the lookups’ round trip and answers a personality they allow', async () => {
      await settle({ blockedNames: ['bob'] });
      const writes = spyOnSocketWrites(redis);
      const outcome = await buildRouter().route(buildMessage('@Alice hi'));
      expect(writes()).toBe(3);
      expect(outcome.addressed).toMatchObject([
        { personalityId: alice.id, admission: { outcome: 'enqueued' } },
      ]);
    });

    it('keeps a blocked personality silent and claims one notice per window', async () => {
      await settle({ blockedPersonalityIds: [bob.id] });
      const router = buildRouter();
      const writes = spyOnSocketWrites(redis);
      const first = await router.route(buildMessage('@Bob hi'));
      expect(writes()).toBe(2);
      expect(first).toEqual({
        addressed: [],
        notices: [],
        policyNotice: { personalityName: 'Bob', reason: 'blocked' },
      });
      expect((await router.route(buildMessage('@Bob hello?'))).policyNotice).toBeNull();
      const elsewhere = await router.route(buildMessage('@Bob hi', { guildId: OTHER_GUILD }));
      expect(elsewhere.addressed).toMatchObject([{ personalityId: bob.id }]);
    });

    it('answers the allowed one of two mentioned and tells about the other', async () => {
      await settle({ personalityMode: 'allowlist', allowedPersonalityIds: [alice.id] });
      const outcome = await buildRouter().route(buildMessage('@Alice @Bob hi'));
      expect(outcome.addressed).toMatchObject([{ personalityId: alice.id }]);
      expect(outcome.policyNotice).toEqual({ personalityName: 'Bob', reason: 'not-allowed' });
    });

    it('keeps a refused personality replied to silent too', async () => {
      await settle({ requiredRoleId: '500000000000000001' });
      await messageIndex.indexPosted({
        personalityId: bob.id,
        userId: AUTHOR,
        channelId: CHANNEL,
        messageIds: ['400000000000009998'],
      });
      const router = buildRouter();
      const reply = { replyToMessageId: '400000000000009998' };
      const refused = await router.route(buildMessage('and then?', reply));
      expect(refused.addressed).toEqual([]);
      expect(refused.policyNotice).toEqual({ personalityName: 'Bob', reason: 'role' });
      const withRole = await router.route(
        buildMessage('and then?', { ...reply, memberRoleIds: ['500000000000000001'] }),
      );
      expect(withRole.addressed).toMatchObject([{ personalityId: bob.id, trigger: 'reply' }]);
    });

    it('keeps a blocked activated personality silent without a notice', async () => {
      await settle({ channelMode: 'except', channelIds: [CHANNEL] });
      await activations.activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: alice.id,
        activatedBy: OWNER,
      });
      const thread = { channelId: '200000000000000005', parentChannelId: CHANNEL };
      expect(await buildRouter().route(buildMessage('anyone there?', thread))).toEqual({
        addressed: [],
        notices: [],
        policyNotice: null,
      });
    });

    it('resolves a server alias in its server only, after the speaker’s own names', async () => {
      await settle({ aliases: { guide: bob.id } });
      const router = buildRouter();
      const writes = spyOnSocketWrites(redis);
      const aliased = buildMessage('@Guide hi');
      const outcome = await router.route(aliased);
      // The alias's personality is loaded by id: one round trip more than a global name.
      expect(writes()).toBe(4);
      expect(outcome.addressed).toMatchObject([{ personalityId: bob.id, trigger: 'mention' }]);
      expect(await jobsOf(aliased)).toEqual([{ personalityId: bob.id, trigger: 'mention', content: 'hi' }]);
      expect((await router.route(buildMessage('@Guide hi', { guildId: OTHER_GUILD }))).addressed).toEqual([]);
      const own = await createPersonality('Guide', { ownerId: AUTHOR });
      expect((await router.route(buildMessage('@Guide hi'))).addressed).toMatchObject([
        { personalityId: own.id },
      ]);
    });

    it('wins over a public personality of the alias’s name, and strips it from an edit', async () => {
      await createPersonality('Guide', { ownerId: '100000000000000003' });
      await settle({ aliases: { guide: alice.id } });
      const router = buildRouter();
      const message = buildMessage('@Guide first draft');
      expect((await router.route(message)).addressed).toMatchObject([{ personalityId: alice.id }]);
      expect(await router.recordEdit({ ...message, content: '@Guide final wording' })).toBe(true);
      const events = new MessageEventRepository(redis, { prefix });
      expect(await events.fetchEdit(AUTHOR, message.id)).toBe('final wording');
    });

    it('admits under the server’s stricter limits read with the lookups, naming them in the notice', async () => {
      await settle({ userMaxPending: 1 });
      const router = buildRouter();
      const writes = spyOnSocketWrites(redis);
      expect((await router.route(buildMessage('@Alice hi'))).addressed).toMatchObject([
        { admission: { outcome: 'enqueued' } },
      ]);
      expect(writes()).toBe(3);
      const refused = await router.route(buildMessage('@Bob hi'));
      expect(refused.addressed).toMatchObject([
        { admission: { outcome: 'refused', reason: 'server-pending', limit: 1 } },
      ]);
      expect(refused.notices).toEqual([expect.stringContaining('at most 1 reply on the way')]);
    });

    it('lets an NSFW personality answer only in an age-restricted channel of a server allowing it', async () => {
      await createPersonality('Velvet', { nsfw: true });
      const router = buildRouter();
      expect((await router.route(buildMessage('@Velvet hi', { channelNsfw: true }))).policyNotice).toEqual({
        personalityName: 'Velvet',
        reason: 'nsfw',
      });
      await settle({ allowNsfw: true });
      expect((await router.route(buildMessage('@Velvet hi'))).addressed).toEqual([]);
      expect((await router.route(buildMessage('@Velvet hi', { channelNsfw: true }))).addressed).toHaveLength(
        1,
      );
    });

    it('lets an NSFW personality answer only its owner in a DM, sticky or not', async () => {
      const velvet = await createPersonality('Velvet', { nsfw: true, ownerId: AUTHOR });
      const router = buildRouter();
      const dm = (content: string, authorId = AUTHOR) =>
        buildMessage(content, { guildId: null, channelId: '200000000000000077', authorId });
      expect((await router.route(dm('@Velvet hi'))).addressed).toMatchObject([{ personalityId: velvet.id }]);
      expect((await router.route(dm('still there?'))).addressed).toMatchObject([{ trigger: 'dm' }]);
      const stranger = await router.route(dm('@Velvet hi', '100000000000000009'));
      expect(stranger.addressed).toEqual([]);
      expect(stranger.policyNotice).toEqual({ personalityName: 'Velvet', reason: 'nsfw' });
    });
  });
});
