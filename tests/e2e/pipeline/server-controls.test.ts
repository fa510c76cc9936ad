/**
 * A server's settings deciding who answers there, end to end: real gateway and worker processes, the Discord
 * sandbox driven by the unmodified discord.js (roles on members, age-restricted channels, threads), the AI stub,
 * real Redis. Settings are written through the repository the `/server` command uses. A silent message is sent
 * before one that is answered; once the answer is there, the silent one would have been too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { type GuildSettings, GuildSettingsRepository } from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;

describe('server controls', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const settings = new GuildSettingsRepository(redis, {
    prefix,
    logger: createLogger({ level: 'silent', service: 'test' }),
  });
  let cluster: LocalCluster;
  let owner: { id: string };
  let alice: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    owner = cluster.sandbox.createUser({ username: 'owner', globalName: 'Olive' });
    const ownerId = owner.id;
    alice = await pipeline.createPublicPersonality({
      ownerId,
      name: 'Alice',
      systemPrompt: 'You are Alice.',
    });
    await pipeline.createPublicPersonality({ ownerId, name: 'Bob', systemPrompt: 'You are Bob.' });
    await pipeline.createPublicPersonality({
      ownerId,
      name: 'Velvet',
      systemPrompt: 'You are Velvet.',
      nsfw: true,
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  /** A server with these settings (the rest the defaults). */
  async function newGuild(name: string, change: Partial<GuildSettings> = {}): Promise<string> {
    const guildId = cluster.sandbox.createGuild({ name }).id;
    await settings.update(guildId, (current) => ({ ...current, ...change }));
    return guildId;
  }

  /** A new user, member of each of `guildIds` (with `roles` in the first). */
  function newMember(guildIds: readonly string[], roles: readonly string[] = []): string {
    const user = cluster.sandbox.createUser({ username: `user${Math.random().toString(36).slice(2, 8)}` });
    guildIds.forEach((guildId, index) => {
      cluster.sandbox.addMember(guildId, user.id, index === 0 ? { roles } : {});
    });
    return user.id;
  }

  function personaNames(channelId: string): string[] {
    return cluster.sandbox
      .transcript(channelId)
      .filter((message) => message.webhookId !== null)
      .map((message) => message.authorName);
  }

  interface Said {
    readonly userId: string;
    readonly channelId: string;
    readonly text: string;
  }

  /** `silent` gets no answer, then `answered` gets one from `name`. */
  async function expectSilentThenAnswered(silent: Said, answered: Said, name: string): Promise<void> {
    cluster.sandbox.userSays(silent.userId, silent.channelId, silent.text);
    cluster.sandbox.userSays(answered.userId, answered.channelId, answered.text);
    await cluster.sandbox.waitForMessages(
      answered.channelId,
      () => personaNames(answered.channelId).length > 0,
      WAIT_MS,
    );
    expect(personaNames(answered.channelId)).toEqual([name]);
    if (silent.channelId !== answered.channelId) expect(personaNames(silent.channelId)).toEqual([]);
  }

  it('keeps a blocked public personality silent in that server, answering in another', async () => {
    const blocking = await newGuild('blocking', { blockedNames: ['bob'] });
    const other = await newGuild('other');
    const user = newMember([blocking, other]);
    const here = cluster.sandbox.createChannel(blocking, { name: 'general' }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: here, text: '@Bob hi' },
      { userId: user, channelId: here, text: '@Alice hi' },
      'Alice',
    );
    const there = cluster.sandbox.createChannel(other, { name: 'general' }).id;
    cluster.sandbox.userSays(user, there, '@Bob hi');
    await cluster.sandbox.waitForMessages(there, 2, WAIT_MS);
    expect(personaNames(there)).toEqual(['Bob']);
  });

  it('tells the sender why by DM, once per window', async () => {
    const guild = await newGuild('blocking-dm', { blockedPersonalityIds: [alice.id] });
    const user = newMember([guild]);
    const channel = cluster.sandbox.createChannel(guild, { name: 'general' }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: channel, text: '@Alice hi' },
      { userId: user, channelId: channel, text: '@Bob hi' },
      'Bob',
    );
    const dm = cluster.sandbox.openDm(user).id;
    await cluster.sandbox.waitForMessages(dm, 1, WAIT_MS);
    cluster.sandbox.userSays(user, channel, '@Alice again?');
    cluster.sandbox.userSays(user, channel, '@Bob again');
    await cluster.sandbox.waitForMessages(channel, () => personaNames(channel).length === 2, WAIT_MS);
    expect(personaNames(channel)).toEqual(['Bob', 'Bob']);
    expect(cluster.sandbox.transcript(dm).map((message) => message.content)).toEqual([
      'Alice did not answer: the admins of blocking-dm have blocked it there.',
    ]);
    expect(
      cluster.sandbox
        .transcript(channel)
        .filter((message) => message.authorId === cluster.sandbox.bot.userId),
    ).toEqual([]);
  });

  it('answers only the listed personalities in allowlist mode', async () => {
    const guild = await newGuild('allowlist', {
      personalityMode: 'allowlist',
      allowedPersonalityIds: [alice.id],
    });
    const user = newMember([guild]);
    const channel = cluster.sandbox.createChannel(guild, { name: 'general' }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: channel, text: '@Bob hi' },
      { userId: user, channelId: channel, text: '@Alice hi' },
      'Alice',
    );
  });

  it('answers only in the listed channels, their threads included', async () => {
    const guild = cluster.sandbox.createGuild({ name: 'channels' }).id;
    const listed = cluster.sandbox.createChannel(guild, { name: 'bots' }).id;
    const unlisted = cluster.sandbox.createChannel(guild, { name: 'announcements' }).id;
    await settings.update(guild, (current) => ({ ...current, channelMode: 'only', channelIds: [listed] }));
    const user = newMember([guild]);
    const quietThread = cluster.sandbox.createThread(unlisted, { name: 'quiet' }).id;
    const listedThread = cluster.sandbox.createThread(listed, { name: 'chat' }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: unlisted, text: '@Alice hi' },
      { userId: user, channelId: listed, text: '@Alice hi' },
      'Alice',
    );
    await expectSilentThenAnswered(
      { userId: user, channelId: quietThread, text: '@Alice hi' },
      { userId: user, channelId: listedThread, text: '@Alice hi' },
      'Alice',
    );
  });

  it('answers only members with the required role', async () => {
    const guild = cluster.sandbox.createGuild({ name: 'roles' }).id;
    const role = cluster.sandbox.createRole(guild, { name: 'talkers' }).id;
    await settings.update(guild, (current) => ({ ...current, requiredRoleId: role }));
    const without = newMember([guild]);
    const withRole = newMember([guild], [role]);
    const channel = cluster.sandbox.createChannel(guild, { name: 'general' }).id;
    await expectSilentThenAnswered(
      { userId: without, channelId: channel, text: '@Alice hi' },
      { userId: withRole, channelId: channel, text: '@Alice hi' },
      'Alice',
    );
  });

  it('lets an NSFW personality answer only in an age-restricted channel, or a thread of one', async () => {
    const guild = await newGuild('nsfw', { allowNsfw: true });
    const user = newMember([guild]);
    const ordinary = cluster.sandbox.createChannel(guild, { name: 'general' }).id;
    const restricted = cluster.sandbox.createChannel(guild, { name: 'after-dark', nsfw: true }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: ordinary, text: '@Velvet hi' },
      { userId: user, channelId: restricted, text: '@Velvet hi' },
      'Velvet',
    );
    await expectSilentThenAnswered(
      {
        userId: user,
        channelId: cluster.sandbox.createThread(ordinary, { name: 'plain' }).id,
        text: '@Velvet hi',
      },
      {
        userId: user,
        channelId: cluster.sandbox.createThread(restricted, { name: 'late' }).id,
        text: '@Velvet hi',
      },
      'Velvet',
    );
  });

  it('resolves a server alias only in its server', async () => {
    const aliasing = await newGuild('aliasing', { aliases: { guide: alice.id } });
    const other = await newGuild('no-alias');
    const user = newMember([aliasing, other]);
    const here = cluster.sandbox.createChannel(aliasing, { name: 'general' }).id;
    cluster.sandbox.userSays(user, here, '@Guide hi');
    await cluster.sandbox.waitForMessages(here, 2, WAIT_MS);
    expect(personaNames(here)).toEqual(['Alice']);
    const there = cluster.sandbox.createChannel(other, { name: 'general' }).id;
    await expectSilentThenAnswered(
      { userId: user, channelId: there, text: '@Guide hi' },
      { userId: user, channelId: there, text: '@Bob hi' },
      'Bob',
    );
  });
});
