/**
 * The operator's daily token quota end to end: real gateway and worker processes, the Discord sandbox driven by
 * the unmodified discord.js, the AI stub (which reports usage), real Redis. A user past `USER_DAILY_TOKENS` is
 * skipped with one notice saying when the quota resets; a user past it too, but with their own key for the
 * personality's provider, is still answered, and their tokens are counted as their own.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { ApiKeyRepository, type Personality } from '../../../src/state/index.js';
import { UsageRepository } from '../../../src/usage/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
/** LocalCluster's ENCRYPTION_KEY: keys sealed here open in its workers. */
const CLUSTER_ENCRYPTION_KEY = Buffer.from('a'.repeat(64), 'hex');

describe('token quotas', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const usage = new UsageRepository(redis, { prefix });
  let cluster: LocalCluster;
  let guildId: string;
  let alice: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_DAILY_TOKENS: '1', USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    guildId = cluster.sandbox.createGuild({ name: 'quotas' }).id;
    const owner = cluster.sandbox.createUser({ username: 'owner' });
    alice = await pipeline.createPublicPersonality({
      ownerId: owner.id,
      name: 'Alice',
      systemPrompt: 'You are Alice.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  function newMember(name: string): string {
    const user = cluster.sandbox.createUser({ username: name });
    cluster.sandbox.addMember(guildId, user.id);
    return user.id;
  }

  const personaMessages = (channelId: string) =>
    cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);
  const botMessages = (channelId: string) =>
    cluster.sandbox
      .transcript(channelId)
      .filter((message) => message.authorId === cluster.sandbox.bot.userId);

  async function waitUntil(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + WAIT_MS;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('stops a user past the quota with one notice, while a user with their own key goes on', async () => {
    const channel = cluster.sandbox.createChannel(guildId, { name: 'general' }).id;
    const capped = newMember('capped');

    // Under the quota: answered, and its tokens counted as the operator's.
    cluster.sandbox.userSays(capped, channel, '@Alice hello');
    await cluster.sandbox.waitForMessages(channel, () => personaMessages(channel).length === 1, WAIT_MS);
    await waitUntil(
      async () => (await usage.fetchQuotaUsage(capped, guildId, Date.now())).userTokens > 0,
      'the first reply to be counted',
    );

    // Past it: two messages skipped, one notice saying when it resets.
    cluster.sandbox.userSays(capped, channel, '@Alice are you there?');
    cluster.sandbox.userSays(capped, channel, '@Alice hello again');
    await cluster.sandbox.waitForMessages(channel, () => botMessages(channel).length === 1, WAIT_MS);
    const midnight = Math.floor((Math.floor(Date.now() / 86_400_000) + 1) * 86_400);
    expect(botMessages(channel)[0]!.content).toContain(`It resets <t:${midnight}:R>`);

    // Past the quota too (their operator-paid tokens today), but with their own key for Alice's provider.
    const keyed = newMember('keyed');
    await usage.count({
      userId: keyed,
      guildId,
      personalityId: alice.id,
      usage: {
        provider: 'default',
        model: 'stub-small',
        ownKey: false,
        promptTokens: 50,
        completionTokens: 5,
      },
      at: Date.now(),
    });
    const ownKey = 'sk-keyed-own-key';
    await new ApiKeyRepository(redis, { prefix, encryptionKey: CLUSTER_ENCRYPTION_KEY }).set(
      keyed,
      'default',
      ownKey,
    );
    cluster.sandbox.userSays(keyed, channel, '@Alice my turn');
    await cluster.sandbox.waitForMessages(channel, () => personaMessages(channel).length === 2, WAIT_MS);
    const keyFingerprint = createHash('sha256').update(ownKey).digest('hex').slice(0, 12);
    expect(cluster.aiStub.requests.at(-1)?.keyFingerprint).toBe(keyFingerprint);
    await waitUntil(
      async () => (await usage.fetchUserUsage(keyed, Date.now())).day.own > 0,
      "the own-key reply to be counted as the user's",
    );
    expect((await usage.fetchQuotaUsage(keyed, guildId, Date.now())).userTokens).toBe(55);

    // Every message has been routed by now: still one notice, and the capped user's two skipped were never answered.
    expect(botMessages(channel)).toHaveLength(1);
    expect(personaMessages(channel)).toHaveLength(2);
  }, 60_000);
});
