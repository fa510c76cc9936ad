/**
 * The channel window end to end: real gateway and worker processes, the Discord sandbox, the AI stub, real Redis.
 * A channel keeps message text only once a personality was addressed there; from then on it keeps what people
 * say, the personality's own replies (written by the worker), and follows edits, deletes and bulk deletes.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { ChannelWindowRepository, type WindowLine } from '../../../src/context/index.js';
import type { RedisClient } from '../../../src/redis/index.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';
import { scanKeys } from '../../support/redis.js';

const WAIT_MS = 15_000;
const marker = (what: string) => `mk-${what}-${randomUUID().slice(0, 8)}`;

/** Every key of the run with what it holds, as text (names and values of every type). */
async function dumpKeys(redis: RedisClient, prefix: string): Promise<string[]> {
  const dump: string[] = [];
  for (const key of await scanKeys(redis, [`${prefix}*`, `{${prefix}}*`])) {
    const type = await redis.type(key);
    const value =
      type === 'string'
        ? ((await redis.getBuffer(key))?.toString('latin1') ?? '')
        : type === 'hash'
          ? JSON.stringify(await redis.hgetall(key))
          : type === 'list'
            ? JSON.stringify(await redis.lrange(key, 0, -1))
            : type === 'set'
              ? JSON.stringify(await redis.smembers(key))
              : type === 'zset'
                ? JSON.stringify(await redis.zrange(key, '0', '-1'))
                : type === 'stream'
                  ? JSON.stringify(await redis.xrange(key, '-', '+'))
                  : '';
    dump.push(`${key} ${value}`);
  }
  return dump;
}

describe('the channel window', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const windows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
  let cluster: LocalCluster;
  let guildId: string;
  let olive: { id: string };
  let sam: { id: string };
  let alice: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const { sandbox } = cluster;
    guildId = sandbox.createGuild({ name: 'window' }).id;
    olive = sandbox.createUser({ username: 'olive', globalName: 'Olive' });
    sam = sandbox.createUser({ username: 'sam', globalName: 'Sam' });
    sandbox.addMember(guildId, olive.id);
    sandbox.addMember(guildId, sam.id);
    alice = await pipeline.createPublicPersonality({
      ownerId: olive.id,
      name: 'Alice',
      systemPrompt: 'You are Alice.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  const lines = (channelId: string) => windows.fetchRecent(channelId, { limit: 100, sinceMs: 0 });
  const contents = async (channelId: string) => (await lines(channelId)).map((line) => line.content);
  const personaReplies = (channelId: string) =>
    cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);

  it('A channel where no personality was addressed or activated has no message text stored', async () => {
    const { sandbox } = cluster;
    const quiet = sandbox.createChannel(guildId, { name: 'quiet' }).id;
    const later = sandbox.createChannel(guildId, { name: 'later' }).id;
    const markers = {
      quiet: marker('quiet'),
      beforeAddress: marker('before-address'),
      address: marker('address'),
      afterAddress: marker('after-address'),
    };
    sandbox.userSays(olive.id, quiet, markers.quiet);
    sandbox.userSays(sam.id, later, markers.beforeAddress);
    sandbox.userSays(olive.id, later, `@Alice ${markers.address}`);
    await sandbox.waitForMessages(later, (messages) => messages.some((m) => m.webhookId !== null), WAIT_MS);
    sandbox.userSays(sam.id, later, markers.afterAddress);
    // The gateway handles events in the order they came: once the last is kept, the first were handled.
    await vi.waitFor(async () => expect((await contents(later)).at(-1)).toBe(markers.afterAddress), {
      timeout: WAIT_MS,
    });

    const dump = await dumpKeys(redis, prefix);
    expect(
      dump.filter((entry) => entry.includes(markers.quiet) || entry.includes(markers.beforeAddress)),
    ).toEqual([]);
    // Of the quiet channel only its newest message ids are kept (for quote lines and chain links), no window.
    expect(
      dump.filter((entry) => entry.includes(`{c:${quiet}}`) && !entry.includes(':state:channel-latest:')),
    ).toEqual([]);
    // The worker writes Alice's reply a moment after posting it.
    await vi.waitFor(
      async () =>
        expect(await contents(later)).toEqual([
          `@Alice ${markers.address}`,
          expect.stringContaining(markers.address),
          markers.afterAddress,
        ]),
      { timeout: WAIT_MS },
    );
  });

  it('keeps a live channel’s conversation: people, the personality’s replies, edits and deletes', async () => {
    const { sandbox } = cluster;
    const channel = sandbox.createChannel(guildId, { name: 'room' }).id;
    const question = sandbox.userSays(olive.id, channel, '@Alice what do you think, <@' + sam.id + '>?');
    await sandbox.waitForMessages(channel, (messages) => messages.some((m) => m.webhookId !== null), WAIT_MS);
    const [reply] = personaReplies(channel);
    // A reply to a person's message addresses nobody (a reply to Alice's would ask her to answer again).
    const samSays = sandbox.userSays(sam.id, channel, 'I agree', {
      replyTo: question.id,
      attachments: [{ filename: 'proof.png', data: 'png' }],
    });
    const typo = sandbox.userSays(olive.id, channel, 'tpyo');
    const gone = sandbox.userSays(sam.id, channel, 'oops, wrong channel');
    const purged = [
      sandbox.userSays(sam.id, channel, 'spam 1').id,
      sandbox.userSays(sam.id, channel, 'spam 2').id,
    ];
    await vi.waitFor(async () => expect(await contents(channel)).toContain('spam 2'), { timeout: WAIT_MS });

    sandbox.editMessage(typo.id, 'typo');
    sandbox.deleteMessage(gone.id);
    sandbox.bulkDeleteMessages(channel, purged);
    await vi.waitFor(async () => expect(await contents(channel)).not.toContain('spam 1'), {
      timeout: WAIT_MS,
    });
    await vi.waitFor(async () => expect(await contents(channel)).toContain('typo'), { timeout: WAIT_MS });

    await vi.waitFor(
      async () =>
        expect((await lines(channel)).map((line) => line.id)).toEqual([
          question.id,
          reply!.id,
          samSays.id,
          typo.id,
        ]),
      { timeout: WAIT_MS },
    );
    const kept = await lines(channel);
    expect(kept[0]).toMatchObject<Partial<WindowLine>>({
      name: 'Olive',
      content: '@Alice what do you think, @Sam?',
      userId: olive.id,
      personalityId: null,
    });
    expect(kept[1]).toMatchObject<Partial<WindowLine>>({
      name: 'Alice',
      personalityId: alice.id,
      userId: olive.id,
      replyToId: question.id,
    });
    expect(reply!.content.endsWith(kept[1]!.content)).toBe(true);
    expect(kept[2]).toMatchObject<Partial<WindowLine>>({
      name: 'Sam',
      content: 'I agree\n[attachment: proof.png]',
      replyToId: question.id,
      userId: sam.id,
    });
  });
});
