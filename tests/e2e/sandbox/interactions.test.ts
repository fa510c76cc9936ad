import { DiscordAPIError, REST } from '@discordjs/rest';
import {
  ActionRowBuilder,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  ContextMenuCommandBuilder,
  type Interaction,
  MessageFlags,
  ModalBuilder,
  PermissionFlagsBits,
  Routes,
  SlashCommandBuilder,
  type TextChannel,
  TextInputBuilder,
  TextInputStyle,
} from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { loginClient } from './discord-client.js';

describe('DiscordSandbox interactions', () => {
  let sandbox: DiscordSandbox;
  let client: Client;
  let guildId: string;
  let channelId: string;
  let aliceId: string;
  /** What the bot under test does per command; each test installs its behaviour. */
  let onInteraction: (interaction: Interaction) => Promise<void> = async () => {};

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start({ interactionAckMs: 1000 });
    guildId = sandbox.createGuild({ name: 'Guild' }).id;
    channelId = sandbox.createChannel(guildId, { name: 'general' }).id;
    aliceId = sandbox.createUser({ username: 'alice' }).id;
    sandbox.addMember(guildId, aliceId);
    client = await loginClient(sandbox);
    client.on('interactionCreate', (interaction) => {
      void onInteraction(interaction).catch(() => {});
    });
    const commands = [
      new SlashCommandBuilder()
        .setName('persona')
        .setDescription('Manage personas')
        .addSubcommand((sub) =>
          sub
            .setName('show')
            .setDescription('Show one')
            .addStringOption((option) =>
              option.setName('name').setDescription('Name').setRequired(true).setAutocomplete(true),
            ),
        ),
      new SlashCommandBuilder().setName('ping').setDescription('Ping'),
      new ContextMenuCommandBuilder().setName('Ask persona').setType(ApplicationCommandType.Message),
    ].map((command) => command.toJSON());
    const saved = (await client.rest.put(
      Routes.applicationGuildCommands(sandbox.bot.applicationId, guildId),
      {
        body: commands,
      },
    )) as { id: string; name: string }[];
    expect(saved.map((command) => command.name)).toEqual(['persona', 'ping', 'Ask persona']);
  });

  afterAll(async () => {
    await client.destroy();
    await sandbox.close();
  });

  describe('when commands are registered', () => {
    it('keeps ids on a bulk overwrite and lists them', async () => {
      const route = Routes.applicationGuildCommands(sandbox.bot.applicationId, guildId);
      const before = (await client.rest.get(route)) as { id: string; name: string }[];
      const again = (await client.rest.put(route, {
        body: before.map(({ id: _id, ...command }) => command),
      })) as { id: string; name: string }[];
      expect(again.map((command) => command.id)).toEqual(before.map((command) => command.id));
    });

    it('rejects an invalid command name with 50035', async () => {
      const route = Routes.applicationCommands(sandbox.bot.applicationId);
      await expect(
        client.rest.post(route, { body: { name: 'Bad Name', description: 'x' } }),
      ).rejects.toMatchObject({
        code: 50035,
      });
    });
  });

  describe('when a command needs permissions the user lacks', () => {
    it('is not offered to them', async () => {
      const route = Routes.applicationGuildCommands(sandbox.bot.applicationId, guildId);
      await client.rest.post(route, {
        body: new SlashCommandBuilder()
          .setName('admin-only')
          .setDescription('Admins')
          .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
          .toJSON(),
      });
      expect(() => sandbox.runSlashCommand(aliceId, channelId, 'admin-only')).toThrow(
        /lacks the permissions/,
      );
      expect(() => sandbox.runSlashCommand(aliceId, channelId, 'unregistered')).toThrow(/no slash command/);
    });
  });

  describe('when a user runs a slash command', () => {
    it('delivers the reply', async () => {
      onInteraction = async (interaction) => {
        if (interaction.isChatInputCommand()) await interaction.reply({ content: 'pong' });
      };
      const handle = sandbox.runSlashCommand(aliceId, channelId, 'ping');
      const response = await handle.waitForResponse();
      expect(response).toMatchObject({ kind: 'callback', callbackType: 4, content: 'pong' });
      expect(handle.acknowledged).toBe(true);
      expect(sandbox.transcript(channelId).at(-1)?.content).toBe('pong');
    });

    it('passes subcommands and options, and accepts defer, edit and follow-up', async () => {
      onInteraction = async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        const name = interaction.options.getString('name', true);
        await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        await interaction.editReply(`showing ${interaction.options.getSubcommand()} ${name}`);
        await interaction.followUp({ content: 'and one more thing' });
      };
      const handle = sandbox.runSlashCommand(
        aliceId,
        channelId,
        'persona',
        { name: 'Alice' },
        { subcommand: 'show' },
      );
      await handle.waitForResponse((response) => response.kind === 'followup');
      expect(handle.responses.map((response) => [response.kind, response.content])).toEqual([
        ['callback', ''],
        ['edit', 'showing show Alice'],
        ['followup', 'and one more thing'],
      ]);
      expect(handle.responses[1]?.flags).toBe(MessageFlags.Ephemeral);
      expect(sandbox.transcript(channelId).some((entry) => entry.content === 'showing show Alice')).toBe(
        false,
      );
    });

    it('answers 40060 to a second acknowledgement', async () => {
      let second: unknown;
      onInteraction = async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        await interaction.reply('first');
        second = await new REST({ api: sandbox.restUrl, retries: 0 })
          .post(Routes.interactionCallback(interaction.id, interaction.token), {
            body: { type: 4, data: { content: 'second' } },
            auth: false,
          })
          .catch((error: unknown) => error);
      };
      const handle = sandbox.runSlashCommand(aliceId, channelId, 'ping');
      await handle.waitForResponse();
      await expect.poll(() => second).toBeInstanceOf(DiscordAPIError);
      expect((second as DiscordAPIError).code).toBe(40060);
    });

    it('answers 10062 to an acknowledgement after the deadline', async () => {
      let late: unknown;
      onInteraction = async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        await new Promise((resolve) => setTimeout(resolve, 1100));
        late = await interaction.reply('too late').catch((error: unknown) => error);
      };
      const handle = sandbox.runSlashCommand(aliceId, channelId, 'ping');
      // discord.js bundles its own @discordjs/rest, so match the error by shape rather than class.
      await expect.poll(() => late, { timeout: 3000 }).toMatchObject({ code: 10062, status: 404 });
      expect(handle.acknowledged).toBe(false);
    });
  });

  describe('when the bot answers with a modal or asks for the response', () => {
    it('records the modal', async () => {
      onInteraction = async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        const modal = new ModalBuilder()
          .setCustomId('edit-persona')
          .setTitle('Edit persona')
          .addComponents(
            new ActionRowBuilder<TextInputBuilder>().addComponents(
              new TextInputBuilder()
                .setCustomId('prompt')
                .setLabel('Prompt')
                .setStyle(TextInputStyle.Paragraph),
            ),
          );
        await interaction.showModal(modal);
      };
      const response = await sandbox.runSlashCommand(aliceId, channelId, 'ping').waitForResponse();
      expect(response).toMatchObject({
        callbackType: 9,
        modal: { custom_id: 'edit-persona', title: 'Edit persona' },
      });
    });

    it('returns the callback response with with_response', async () => {
      let messageId: string | null | undefined;
      onInteraction = async (interaction) => {
        if (!interaction.isChatInputCommand()) return;
        const callback = await interaction.reply({ content: 'with response', withResponse: true });
        messageId = callback.resource?.message?.id;
      };
      const response = await sandbox.runSlashCommand(aliceId, channelId, 'ping').waitForResponse();
      await expect.poll(() => messageId).toBe(response.messageId);
    });
  });

  describe('when a user types into an autocomplete option', () => {
    it('gets the choices', async () => {
      onInteraction = async (interaction) => {
        if (!interaction.isAutocomplete()) return;
        const typed = interaction.options.getFocused();
        await interaction.respond([{ name: `${typed}ce`, value: `${typed}ce` }]);
      };
      const handle = sandbox.autocomplete(
        aliceId,
        channelId,
        'persona',
        'name',
        { name: 'Ali' },
        { subcommand: 'show' },
      );
      const response = await handle.waitForResponse();
      expect(response.choices).toEqual([{ name: 'Alice', value: 'Alice' }]);
    });
  });

  describe('when a user clicks a button', () => {
    it('lets the bot update the message', async () => {
      const channel = (await client.channels.fetch(channelId)) as TextChannel;
      const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
        new ButtonBuilder().setCustomId('confirm').setLabel('Confirm').setStyle(ButtonStyle.Primary),
      );
      const message = await channel.send({ content: 'Delete persona?', components: [row] });
      onInteraction = async (interaction) => {
        if (interaction.isButton() && interaction.customId === 'confirm') {
          await interaction.update({ content: 'Deleted.', components: [] });
        }
      };
      const handle = sandbox.clickButton(aliceId, message.id, 'confirm');
      const response = await handle.waitForResponse();
      expect(response).toMatchObject({ callbackType: 7, content: 'Deleted.', messageId: message.id });
      expect(sandbox.transcript(channelId).find((entry) => entry.id === message.id)?.components).toEqual([]);
    });
  });

  describe('when a user runs a message context-menu command', () => {
    it('resolves the target message', async () => {
      const target = sandbox.userSays(aliceId, channelId, 'what does Alice think?');
      onInteraction = async (interaction) => {
        if (interaction.isMessageContextMenuCommand()) {
          await interaction.reply({ content: `asked about: ${interaction.targetMessage.content}` });
        }
      };
      const handle = sandbox.runMessageCommand(aliceId, channelId, 'Ask persona', target.id);
      expect((await handle.waitForResponse()).content).toBe('asked about: what does Alice think?');
    });
  });
});
