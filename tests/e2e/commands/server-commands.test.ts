/**
 * `/server` and the activator role of `/activate` through the Discord sandbox with the real discord.js and the
 * sandbox's permission calculation: who may change a server's settings, what each subcommand stores, and what
 * `/server show` shows.
 */
import { REST } from '@discordjs/rest';
import { PermissionFlagsBits, Routes } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCommandDefinitions } from '../../../src/commands/index.js';
import { DefaultGuildSettings, GuildSettingsRepository } from '../../../src/guilds/index.js';
import { ActivationRepository, type Personality } from '../../../src/state/index.js';
import { CommandHarness, isEphemeral, shownText } from './command-harness.js';

describe('/server', () => {
  let harness: CommandHarness;
  let settings: GuildSettingsRepository;
  let admin: string;
  let member: string;
  let stranger: string;
  let channel: string;
  let alice: Personality;
  let mods: Personality;

  const server = (userId: string, path: { subcommandGroup?: string; subcommand: string }, options = {}) =>
    harness.run(userId, channel, 'server', options, path);

  beforeAll(async () => {
    harness = await CommandHarness.start();
    const { redis, prefix, logger } = harness;
    settings = new GuildSettingsRepository(redis, { prefix, logger });
    admin = harness.addUser('admin', PermissionFlagsBits.ManageGuild);
    member = harness.addUser('member');
    stranger = harness.sandbox.createUser({ username: 'stranger', globalName: 'Stranger' }).id;
    channel = harness.channel('settings');
    alice = await harness.createPersonality({ ownerId: member, name: 'Alice', visibility: 'public' });
    mods = await harness.createPersonality({ ownerId: stranger, name: 'mods', visibility: 'public' });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  describe('when the member lacks Manage Server', () => {
    it('is not offered the command', () => {
      expect(() =>
        harness.sandbox.runSlashCommand(member, channel, 'server', {}, { subcommand: 'show' }),
      ).toThrow(/lacks the permissions/u);
    });
  });

  describe('when an admin sets each kind of setting', () => {
    it('stores them, answers privately, and /server show shows them all', async () => {
      const role = harness.sandbox.createRole(harness.guildId, { name: 'talkers' }).id;
      const listed = harness.channel('listed');
      const steps: Array<[{ subcommandGroup?: string; subcommand: string }, object, string]> = [
        [
          { subcommandGroup: 'personalities', subcommand: 'mode' },
          { mode: 'allowlist' },
          'Only allowed personalities answer in this server now, and none is allowed yet',
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'allow' },
          { personality: 'Alice' },
          `**Alice** (by <@${member}>) is on the allowlist.`,
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'block' },
          { personality: mods.id },
          `**mods** (by <@${stranger}>) no longer answers in this server.`,
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'block-name' },
          { name: '  MODS ' },
          'No public personality called “mods” answers in this server now.',
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'alias' },
          { alias: '@Guide', personality: 'alice' },
          `In this server, @Guide now means **Alice** (by <@${member}>).`,
        ],
        [
          { subcommandGroup: 'channels', subcommand: 'mode' },
          { mode: 'only' },
          'Personalities answer only in the listed channels',
        ],
        [
          { subcommandGroup: 'channels', subcommand: 'add' },
          { channel: listed },
          `<#${listed}> is on the list.`,
        ],
        [
          { subcommandGroup: 'roles', subcommand: 'talk' },
          { role },
          `Only members with <@&${role}> may talk to personalities in this server now.`,
        ],
        [
          { subcommandGroup: 'roles', subcommand: 'activate' },
          { role },
          `Members with <@&${role}> may /activate`,
        ],
        [
          { subcommandGroup: 'limits', subcommand: 'pending' },
          { value: 2 },
          'Pending replies in this server: at most 2 per member.',
        ],
        [
          { subcommandGroup: 'limits', subcommand: 'per-minute' },
          { value: 6 },
          'Messages per minute in this server: at most 6 per member.',
        ],
        [
          { subcommandGroup: 'nsfw', subcommand: 'allow' },
          {},
          'Personalities marked NSFW may answer in this server now',
        ],
      ];
      for (const [path, options, expected] of steps) {
        const response = await server(admin, path, options);
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toContain(expected);
      }

      expect(await settings.fetch(harness.guildId)).toEqual({
        version: steps.length,
        personalityMode: 'allowlist',
        allowedPersonalityIds: [alice.id],
        blockedPersonalityIds: [mods.id],
        blockedNames: ['mods'],
        aliases: { guide: alice.id },
        channelMode: 'only',
        channelIds: [listed],
        requiredRoleId: role,
        activatorRoleId: role,
        userMaxPending: 2,
        userRatePerMinute: 6,
        allowNsfw: true,
      });

      const shown = await server(admin, { subcommand: 'show' });
      expect(isEphemeral(shown)).toBe(true);
      const text = shownText(shown);
      for (const expected of [
        'Mode: only allowed personalities answer',
        `Allowed:\\n• **Alice** (by <@${member}>)`,
        `Blocked:\\n• **mods** (by <@${stranger}>)`,
        '• “mods”',
        `• @guide → **Alice** (by <@${member}>)`,
        `Only in these channels and their threads:\\n• <#${listed}>`,
        `Who may talk: members with <@&${role}>`,
        `Who may /activate: members with Manage Channels or <@&${role}>`,
        'Pending replies: 2 (the bot’s: 5)',
        'Messages per minute: 6 (the bot’s: 6)',
        'Allowed, in age-restricted channels only',
      ])
        expect(text).toContain(expected);
    });
  });

  describe('when an admin gives something the rules refuse', () => {
    it('names the rule and stores nothing', async () => {
      const before = await settings.fetch(harness.guildId);
      const thread = harness.sandbox.createThread(channel, { name: 'a thread' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const refusals: Array<[{ subcommandGroup?: string; subcommand: string }, object, string]> = [
        [
          { subcommandGroup: 'limits', subcommand: 'per-minute' },
          { value: 7 },
          'Messages per minute can be at most 6, the bot’s own limit: a server can never loosen the operator’s limits.',
        ],
        [
          { subcommandGroup: 'limits', subcommand: 'pending' },
          { value: 0 },
          'Pending replies must be a whole number of at least 1.',
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'block' },
          { personality: 'Nobody' },
          'Personality: no personality called “Nobody” that you can use.',
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'unblock' },
          { personality: 'Alice' },
          'Personality: “Alice” is not blocked in this server.',
        ],
        [
          { subcommandGroup: 'personalities', subcommand: 'unalias' },
          { alias: 'Helper' },
          'Alias: this server has no alias “Helper”.',
        ],
        [
          { subcommandGroup: 'channels', subcommand: 'add' },
          { channel: thread.id },
          `Channel: threads follow their parent channel (<#${channel}>); list the parent instead.`,
        ],
        [
          { subcommandGroup: 'roles', subcommand: 'talk' },
          { role: harness.guildId },
          'Role: @everyone is every member',
        ],
      ];
      for (const [path, options, expected] of refusals) {
        const response = await server(admin, path, options);
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toContain(expected);
      }
      expect(await settings.fetch(harness.guildId)).toEqual(before);
    });
  });

  describe('when an admin undoes settings', () => {
    it('removes them, by autocompleted id or by name', async () => {
      const choices = await harness.sandbox
        .autocomplete(
          admin,
          channel,
          'server',
          'personality',
          { personality: 'mo' },
          { subcommandGroup: 'personalities', subcommand: 'unblock' },
        )
        .waitForResponse();
      expect(choices.choices).toEqual([{ name: 'mods — by Stranger', value: mods.id }]);
      const unblocked = await server(
        admin,
        { subcommandGroup: 'personalities', subcommand: 'unblock' },
        { personality: mods.id },
      );
      expect(unblocked.content).toBe(`**mods** (by <@${stranger}>) is no longer blocked in this server.`);
      const disallowed = await server(
        admin,
        { subcommandGroup: 'personalities', subcommand: 'disallow' },
        { personality: 'ALICE' },
      );
      expect(disallowed.content).toBe(`**Alice** (by <@${member}>) is off the allowlist.`);
      await server(admin, { subcommandGroup: 'personalities', subcommand: 'unblock-name' }, { name: 'Mods' });
      await server(admin, { subcommandGroup: 'personalities', subcommand: 'unalias' }, { alias: 'guide' });
      const [listed] = (await settings.fetch(harness.guildId)).channelIds;
      const removed = await server(
        admin,
        { subcommandGroup: 'channels', subcommand: 'remove' },
        { channel: listed! },
      );
      expect(removed.content).toBe(`<#${listed}> is off the list.`);
      await server(admin, { subcommandGroup: 'channels', subcommand: 'mode' }, { mode: 'except' });
      await server(admin, { subcommandGroup: 'limits', subcommand: 'clear' });
      await server(admin, { subcommandGroup: 'roles', subcommand: 'talk-clear' });
      await server(admin, { subcommandGroup: 'roles', subcommand: 'activate-clear' });
      await server(admin, { subcommandGroup: 'nsfw', subcommand: 'deny' });
      const now = await settings.fetch(harness.guildId);
      expect(now).toMatchObject({
        allowedPersonalityIds: [],
        blockedPersonalityIds: [],
        blockedNames: [],
        aliases: {},
        channelMode: 'except',
        channelIds: [],
        requiredRoleId: null,
        activatorRoleId: null,
        userMaxPending: null,
        userRatePerMinute: null,
        allowNsfw: false,
      });
    });

    it('offers the caller’s own and public personalities with their owners when blocking', async () => {
      const response = await harness.sandbox
        .autocomplete(
          admin,
          channel,
          'server',
          'personality',
          { personality: 'al' },
          { subcommandGroup: 'personalities', subcommand: 'block' },
        )
        .waitForResponse();
      expect(response.choices).toEqual([{ name: 'Alice — by member', value: alice.id }]);
    });
  });

  describe('when a server alias is one of the admin’s own names', () => {
    it('sets it, and says the admin’s own personality still answers to it for them', async () => {
      await harness.createPersonality({
        ownerId: admin,
        name: 'Helper',
        visibility: 'private',
      });
      const response = await server(
        admin,
        { subcommandGroup: 'personalities', subcommand: 'alias' },
        { alias: 'helper', personality: alice.id },
      );
      expect(response.content).toBe(
        `In this server, @helper now means **Alice** (by <@${member}>). You own a personality called “helper”: your own names come first, so for you @helper still means yours.`,
      );
      expect((await settings.fetch(harness.guildId)).aliases).toEqual({ helper: alice.id });
      await server(admin, { subcommandGroup: 'personalities', subcommand: 'unalias' }, { alias: 'Helper' });
    });
  });

  describe('/activate with the server’s activator role', () => {
    it('lets members with the role activate, and still refuses those without it', async () => {
      const activators = harness.sandbox.createRole(harness.guildId, { name: 'activators' }).id;
      const withRole = harness.sandbox.createUser({ username: 'helper' }).id;
      harness.sandbox.addMember(harness.guildId, withRole, { roles: [activators] });
      const target = harness.channel('activated-by-role');
      const activations = new ActivationRepository(harness.redis, { prefix: harness.prefix });

      const before = await harness.run(withRole, target, 'activate', { personality: 'Alice' });
      expect(before.content).toBe(
        'Permission: you need Manage Channels in this channel to change which personality answers every message here.',
      );
      await server(admin, { subcommandGroup: 'roles', subcommand: 'activate' }, { role: activators });
      const allowed = await harness.run(withRole, target, 'activate', { personality: 'Alice' });
      expect(isEphemeral(allowed)).toBe(false);
      expect(allowed.content).toBe(`**Alice** now answers every message in <#${target}> and its threads.`);
      expect(await activations.fetchForChannel(target)).toBe(alice.id);

      const refused = await harness.run(member, target, 'deactivate');
      expect(refused.content).toBe(
        `Permission: you need Manage Channels in this channel, or the <@&${activators}> role, to change which personality answers every message here.`,
      );
      const deactivated = await harness.run(withRole, target, 'deactivate');
      expect(deactivated.content).toBe('**Alice** no longer answers every message here.');
    });
  });

  describe('when a server lets everyone run /server (an admin overrode the command’s permissions)', () => {
    it('still refuses members without Manage Server, and stores nothing', async () => {
      const guild = harness.sandbox.createGuild({ name: 'overridden' });
      const here = harness.sandbox.createChannel(guild.id, { name: 'general' }).id;
      harness.sandbox.addMember(guild.id, member);
      // Discord applies the server's override in the client; the sandbox models it as the guild's own copy.
      const { default_member_permissions: _hidden, ...open } = buildCommandDefinitions().find(
        (command) => command.name === 'server',
      )!;
      const rest = new REST({ api: harness.sandbox.restUrl }).setToken(harness.sandbox.bot.token);
      await rest.put(Routes.applicationGuildCommands(harness.sandbox.bot.applicationId, guild.id), {
        body: [open],
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const [path, options] of [
        [{ subcommandGroup: 'personalities', subcommand: 'block' }, { personality: 'Alice' }],
        [{ subcommandGroup: 'nsfw', subcommand: 'allow' }, {}],
        [{ subcommand: 'show' }, {}],
      ] as const) {
        const response = await harness.run(member, here, 'server', options, path);
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe(
          'Permission: you need Manage Server to change or see this server’s settings.',
        );
      }
      expect(await settings.fetch(guild.id)).toEqual(DefaultGuildSettings);
    });
  });
});
