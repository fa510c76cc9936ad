/**
 * `/forget-me` after a session that touches every feature, through the real gateway and worker processes:
 * one user creates and edits a personality, mentions it, replies to it, activates it and another user's
 * public personality, talks to it in DMs, sets and tests an API key, resets, regenerates and deletes a reply,
 * and edits a message that produced a job and one that did not, writing a unique marker everywhere.
 * Afterwards no key under the prefix (names and values of every type, BullMQ's own keys included) holds the
 * user's id or any marker, and none of the user's lines is left in any channel window; another user's data
 * (their lines in the same window included) survives, and so does the activation of their personality.
 */
import { randomUUID } from 'node:crypto';
import { PermissionFlagsBits } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InteractionResponse } from '../../../sandbox/index.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { ChannelWindowRepository, type WindowLine } from '../../../src/context/index.js';
import type { RedisClient } from '../../../src/redis/index.js';
import { buildKey } from '../../../src/redis/index.js';
import { ActivationRepository, MessageIndexRepository } from '../../../src/state/index.js';
import { buildUserUsageKey } from '../../../src/usage/index.js';
import { PipelineHarness } from '../../support/pipeline.js';
import { scanKeys } from '../../support/redis.js';

const WAIT_MS = 15_000;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A marker unique to this run, so finding it in Redis can only mean this session stored it. */
const marker = (what: string) => `mk-${what}-${randomUUID().slice(0, 8)}`;

/** Every key of the run (ours under `<prefix>`, BullMQ's under `{<prefix>}`), with every value it holds. */
async function dumpKeys(redis: RedisClient, prefix: string): Promise<Map<string, string>> {
  const dump = new Map<string, string>();
  for (const key of await scanKeys(redis, [`${prefix}*`, `{${prefix}}*`]))
    dump.set(key, await readValue(redis, key));
  return dump;
}

/** The value of `key` as text, whatever its type. */
async function readValue(redis: RedisClient, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case 'string':
      return (await redis.getBuffer(key))?.toString('latin1') ?? '';
    case 'hash':
      return JSON.stringify(await redis.hgetall(key));
    case 'list':
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case 'set':
      return JSON.stringify(await redis.smembers(key));
    case 'zset':
      return JSON.stringify(await redis.zrange(key, '0', '-1', 'WITHSCORES'));
    case 'stream':
      return JSON.stringify(await redis.xrange(key, '-', '+'));
    case 'none':
      return '';
    default:
      throw new Error(`unexpected type ${type} of ${key}`);
  }
}

/** The keys whose name or value contains any of `needles`, with the needles found. */
function findAll(dump: ReadonlyMap<string, string>, needles: readonly string[]): string[] {
  const found: string[] = [];
  for (const [key, value] of dump) {
    for (const needle of needles) {
      if (key.includes(needle) || value.includes(needle)) found.push(`${key} ∋ ${needle}`);
    }
  }
  return found;
}

describe('/forget-me after a session touching every feature', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  let cluster: LocalCluster;
  let guildId: string;
  let userId: string;
  let otherId: string;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const { sandbox } = cluster;
    await pipeline.deployCommands();
    guildId = sandbox.createGuild({ name: 'privacy' }).id;
    userId = sandbox.createUser({ username: 'leaver', globalName: 'Lea' }).id;
    otherId = sandbox.createUser({ username: 'stayer', globalName: 'Sta' }).id;
    sandbox.addMember(guildId, userId, { permissions: PermissionFlagsBits.ManageChannels });
    sandbox.addMember(guildId, otherId);
  }, 60_000);

  afterAll(() => pipeline.close());

  it('leaves no key or value holding the user’s id or markers, and keeps the other user’s data', async () => {
    const { sandbox } = cluster;
    const channelId = sandbox.createChannel(guildId, { name: 'talk' }).id;
    const activatedId = sandbox.createChannel(guildId, { name: 'activated' }).id;
    const keeperChannelId = sandbox.createChannel(guildId, { name: 'keeper' }).id;
    const markers = {
      name: `Mk${randomUUID()
        .replaceAll(/[^a-f]/gu, '')
        .slice(0, 8)}`,
      prompt: marker('prompt'),
      editedPrompt: marker('edited-prompt'),
      mention: marker('mention'),
      reply: marker('reply'),
      activation: marker('activation'),
      dm: marker('dm'),
      apiKey: `sk-${marker('apikey')}`,
      editedJob: marker('edited-job'),
      noJob: marker('no-job'),
      editedNoJob: marker('edited-no-job'),
    };
    const command = (
      channel: string,
      name: string,
      options: Record<string, string | boolean>,
      path: { subcommand?: string } = {},
      done?: (response: InteractionResponse) => boolean,
    ) => sandbox.runSlashCommand(userId, channel, name, options, path).waitForResponse(done, WAIT_MS);
    const personaReplies = (channel: string) =>
      sandbox.transcript(channel).filter((message) => message.webhookId !== null);
    const waitForReplies = (channel: string, count: number) =>
      sandbox.waitForMessages(
        channel,
        (messages) => messages.filter((message) => message.webhookId !== null).length >= count,
        WAIT_MS,
      );

    // Another user, with a personality of their own, whose data must survive.
    const otherMarker = marker('other');
    const keeper = await pipeline.createPublicPersonality({
      ownerId: otherId,
      name: 'Keeper',
      systemPrompt: 'You stay.',
    });
    sandbox.userSays(otherId, channelId, `@Keeper ${otherMarker}`);
    await waitForReplies(channelId, 1);

    const created = await command(
      channelId,
      'personality',
      { name: markers.name, prompt: markers.prompt },
      { subcommand: 'create' },
    );
    expect(created.content).toMatch(/^Created/u);
    await command(
      channelId,
      'personality',
      { name: markers.name, prompt: markers.editedPrompt },
      { subcommand: 'edit' },
    );
    await command(channelId, 'apikey', { key: markers.apiKey }, { subcommand: 'set' });
    await command(channelId, 'apikey', {}, { subcommand: 'test' }, (response) => response.kind === 'edit');

    // A mention, then a reply to the personality's answer.
    const mention = sandbox.userSays(userId, channelId, `@${markers.name} ${markers.mention}`);
    await waitForReplies(channelId, 2);
    const answer = sandbox
      .transcript(channelId)
      .find((message) => message.authorName === markers.name && message.webhookId !== null);
    expect(answer).toBeDefined();
    sandbox.userSays(userId, channelId, markers.reply, { replyTo: answer!.id });
    await waitForReplies(channelId, 3);
    // An edit of a message that produced a job is kept; one of a message addressing nobody never is.
    sandbox.editMessage(mention.id, `@${markers.name} ${markers.editedJob}`);
    const plain = sandbox.userSays(userId, channelId, markers.noJob);
    sandbox.editMessage(plain.id, markers.editedNoJob);

    // Activation (of their own personality, and of the other user's public one) and DMs.
    await command(activatedId, 'activate', { personality: markers.name });
    const keeperActivated = await command(keeperChannelId, 'activate', { personality: 'Keeper' });
    expect(keeperActivated.content).toMatch(/now answers every message/u);
    sandbox.userSays(userId, activatedId, markers.activation);
    await waitForReplies(activatedId, 1);
    const dm = sandbox.openDm(userId).id;
    sandbox.userSays(userId, dm, `@${markers.name} ${markers.dm}`);
    await sandbox.waitForMessages(dm, (messages) => messages.some((m) => m.authorId !== userId), WAIT_MS);

    // Regenerate, then delete the regenerated answer; then reset.
    const regenerated = sandbox.runMessageCommand(userId, channelId, 'Regenerate', answer!.id);
    await regenerated.waitForResponse(undefined, WAIT_MS);
    await waitForReplies(channelId, 4);
    const newest = personaReplies(channelId).at(-1)!;
    // The worker indexes a reply just after posting it; "Delete reply" needs the index entry.
    const index = new MessageIndexRepository(redis, { prefix });
    while ((await index.fetchPersonalityForMessage(channelId, newest.id)) === null) await settle(50);
    await sandbox
      .runMessageCommand(userId, channelId, 'Delete reply', newest.id)
      .waitForResponse((response) => response.kind === 'edit', WAIT_MS);
    await command(channelId, 'reset', {});
    await settle(1000);

    const before = await dumpKeys(redis, prefix);
    // A message that addressed nobody is kept only as a line of its (live) channel's window, with its edit.
    const windowPrefix = buildKey(prefix, 'context');
    const outsideWindows = new Map([...before].filter(([key]) => !key.startsWith(windowPrefix)));
    expect(findAll(outsideWindows, [markers.noJob, markers.editedNoJob])).toEqual([]);
    const windows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
    const windowLines = async (): Promise<WindowLine[]> =>
      (
        await Promise.all(
          [channelId, activatedId].map((channel) => windows.fetchRecent(channel, { limit: 100, sinceMs: 0 })),
        )
      ).flat();
    const theirs = (lines: readonly WindowLine[]) => lines.filter((line) => line.userId === userId);
    const linesBefore = await windowLines();
    expect(theirs(linesBefore).map((line) => line.content)).toContain(markers.editedNoJob);
    expect(theirs(linesBefore).some((line) => line.personalityId !== null)).toBe(true);
    expect(findAll(before, [markers.editedJob]).length).toBeGreaterThan(0);
    expect(findAll(before, [userId]).length).toBeGreaterThan(0);

    const summary = await command(channelId, 'forget-me', {}, {}, (response) => response.kind === 'edit');
    const confirm = (summary.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!
      .components[0]!.custom_id;
    await sandbox
      .clickButton(userId, summary.messageId!, confirm)
      .waitForResponse((response) => response.kind === 'edit', WAIT_MS);

    const after = await dumpKeys(redis, prefix);
    // The user's token counters stay, so forgetting does not reset a quota (docs/usage.md): numbers only, each
    // expiring, and nothing else names them.
    const counters = buildUserUsageKey(prefix, userId, '');
    const usageKeys = [...after.keys()].filter((key) => key.startsWith(counters));
    expect(usageKeys.length).toBeGreaterThan(0);
    for (const key of usageKeys) {
      for (const value of Object.values(JSON.parse(after.get(key)!) as Record<string, string>))
        expect(value).toMatch(/^\d+$/);
      expect(await redis.ttl(key)).toBeGreaterThan(0);
      after.delete(key);
    }
    expect(findAll(after, [userId, ...Object.values(markers)])).toEqual([]);
    // No line of theirs (their messages, the replies to them) in any window; the other user's stay.
    const linesAfter = await windowLines();
    expect(theirs(linesAfter)).toEqual([]);
    expect(linesAfter.some((line) => line.userId === otherId && line.content.includes(otherMarker))).toBe(
      true,
    );
    expect(findAll(after, [otherMarker]).length).toBeGreaterThan(0);
    expect(findAll(after, [otherId]).length).toBeGreaterThan(0);
    // The other user's personality still answers in the channel the user activated it in, activated by nobody.
    expect(await new ActivationRepository(redis, { prefix }).fetchForChannel(keeperChannelId)).toBe(
      keeper.id,
    );
    const info = await sandbox
      .runSlashCommand(otherId, keeperChannelId, 'activations', {})
      .waitForResponse(undefined, WAIT_MS);
    expect(info.content).toMatch(/^\*\*Keeper\*\* answers every message here \(activated <t:\d+:R>\)\.$/u);
  }, 120_000);
});
