/**
 * Sharding end to end: two gateway processes split the Discord session (SHARD_COUNT=2, one shard each) and
 * two workers share the queue. The sandbox routes each guild's events to shard `(guild_id >> 22) % 2` and DMs
 * to shard 0, as Discord does. Every message must get exactly one reply, routed by the gateway that owns its
 * guild's shard. Real processes, the sandbox, the AI stub, real Redis.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChorusProcess, LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { shardForGuild } from '../../../src/discord/index.js';
import { createLogger } from '../../../src/log/index.js';
import { createReplyQueue } from '../../../src/queue/index.js';
import { PersonalityRepository } from '../../../src/state/index.js';
import { readJobEvents } from '../../support/job-events.js';
import { createTestPrefix, deleteKeysWithPrefix, TEST_REDIS_URL } from '../../support/redis.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const SHARD_COUNT = 2;
const GUILDS_PER_SHARD = 3;
const WAIT_MS = 20_000;

/** One user message sent during the test, and the shard whose gateway must route it. */
interface SentMessage {
  readonly messageId: string;
  readonly channelId: string;
  readonly shard: number;
  readonly isDm: boolean;
}

describe('sharded gateways', () => {
  const prefix = createTestPrefix();
  const redis = new Redis(TEST_REDIS_URL);
  const queue = createReplyQueue(redis, { prefix, logger });
  let cluster: LocalCluster;
  const gateways: ChorusProcess[] = [];
  const sent: SentMessage[] = [];

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      redisUrl: TEST_REDIS_URL,
      prefix,
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const gatewayEnv = (shardId: number) => ({
      SHARD_COUNT: String(SHARD_COUNT),
      SHARD_IDS: String(shardId),
      LOG_LEVEL: 'debug',
    });
    const started = await Promise.all([
      cluster.spawn('gateway', gatewayEnv(0)),
      cluster.spawn('gateway', gatewayEnv(1)),
      cluster.spawn('worker'),
      cluster.spawn('worker'),
    ]);
    gateways.push(started[0], started[1]);

    const { sandbox } = cluster;
    const user = sandbox.createUser({ username: 'traveller', globalName: 'Tova' });
    await new PersonalityRepository(redis, { prefix }).create({
      ownerId: user.id,
      name: 'Alice',
      visibility: 'public',
      systemPrompt: 'You are Alice.',
      provider: 'default',
      model: 'stub-small',
      temperature: null,
      avatarUrl: null,
    });

    // A guild's shard follows from the millisecond its id was made: create guilds until both shards hold
    // enough (bounded, in case the clock stood still).
    const guildIds: string[] = [];
    const perShard = [0, 0];
    for (let attempt = 0; attempt < 200 && perShard.some((count) => count < GUILDS_PER_SHARD); attempt += 1) {
      const guildId = sandbox.createGuild({ name: `guild-${attempt}` }).id;
      guildIds.push(guildId);
      perShard[shardForGuild(guildId, SHARD_COUNT)]! += 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(perShard.every((count) => count >= GUILDS_PER_SHARD)).toBe(true);

    for (const [index, guildId] of guildIds.entries()) {
      sandbox.addMember(guildId, user.id);
      const channel = sandbox.createChannel(guildId, { name: `talk-${index}` });
      const message = sandbox.userSays(user.id, channel.id, `@Alice hello from guild ${index}`);
      sent.push({
        messageId: message.id,
        channelId: channel.id,
        shard: shardForGuild(guildId, SHARD_COUNT),
        isDm: false,
      });
    }
    const dm = sandbox.openDm(user.id);
    const dmMessage = sandbox.userSays(user.id, dm.id, '@Alice hello in private');
    sent.push({ messageId: dmMessage.id, channelId: dm.id, shard: 0, isDm: true });

    // One wait at a time: each adds listeners to the sandbox, and the replies arrive concurrently anyway.
    for (const message of sent) await sandbox.waitForMessages(message.channelId, 2, WAIT_MS);
    // Every job completed (and was removed: the queue's events say so), so no late duplicate can still be coming.
    await waitFor(async () => (await readJobEvents(redis, queue, 'completed')).length === sent.length);
  }, 60_000);

  afterAll(async () => {
    await cluster?.[Symbol.asyncDispose]();
    await queue.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  function routedMessageIds(gateway: ChorusProcess): string[] {
    return gateway.logs
      .filter((line) => line['msg'] === 'message routed')
      .map((line) => String(line['messageId']));
  }

  describe('when every guild and a DM mention a personality', () => {
    it('answers every message exactly once, as the personality', () => {
      for (const message of sent) {
        const replies = cluster.sandbox
          .transcript(message.channelId)
          .filter((entry) => entry.id !== message.messageId);
        expect(replies, `replies in ${message.channelId}`).toHaveLength(1);
        if (message.isDm) expect(replies[0]?.content.startsWith('**Alice:**')).toBe(true);
        else expect(replies[0]).toMatchObject({ authorName: 'Alice', webhookId: expect.any(String) });
      }
    });

    it('leaves nothing queued, running or failed', async () => {
      const counts = await queue.getJobCounts(
        'waiting',
        'prioritized',
        'active',
        'delayed',
        'failed',
        'completed',
      );
      // A completed job is removed at once.
      expect(counts).toEqual({ waiting: 0, prioritized: 0, active: 0, delayed: 0, failed: 0, completed: 0 });
      // One job per message, each added once and completed once.
      const ids = [...(await readJobEvents(redis, queue, 'added'))].sort();
      expect(ids).toHaveLength(sent.length);
      expect(new Set(ids).size).toBe(sent.length);
      expect([...(await readJobEvents(redis, queue, 'completed'))].sort()).toEqual(ids);
    });

    it('routes every message once, across both gateways', () => {
      const routed = gateways.flatMap(routedMessageIds).sort();
      expect(routed).toEqual(sent.map((message) => message.messageId).sort());
    });

    it.each([0, 1])('lets the shard-%i gateway route only its own shard’s messages', (shard) => {
      const own = sent.filter((message) => message.shard === shard).map((message) => message.messageId);
      expect(routedMessageIds(gateways[shard]!).sort()).toEqual(own.sort());
      expect(own.length).toBeGreaterThanOrEqual(GUILDS_PER_SHARD);
    });

    it.each([0, 1])('connects the shard-%i gateway to that shard alone', (shard) => {
      const ready = gateways[shard]!.logs.filter((line) => line['msg'] === 'shard ready');
      expect(ready.map((line) => line['shardId'])).toEqual([shard]);
    });
  });
});

/** Polls `check` until it holds; throws after {@link WAIT_MS}. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${WAIT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
