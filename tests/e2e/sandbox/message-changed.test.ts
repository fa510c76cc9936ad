import { type Client, MessageFlags, Routes, SlashCommandBuilder } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox, type SandboxEventMap } from '../../../sandbox/index.js';
import { loginClient } from './discord-client.js';

type Change = SandboxEventMap['messageChanged'][0];

describe('DiscordSandbox messageChanged', () => {
  let sandbox: DiscordSandbox;
  let client: Client;
  let channelId: string;
  let aliceId: string;
  const changes: Change[] = [];

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    const guildId = sandbox.createGuild({ name: 'Guild' }).id;
    channelId = sandbox.createChannel(guildId, { name: 'general' }).id;
    aliceId = sandbox.createUser({ username: 'alice' }).id;
    sandbox.addMember(guildId, aliceId);
    client = await loginClient(sandbox);
    await client.rest.put(Routes.applicationGuildCommands(sandbox.bot.applicationId, guildId), {
      body: [new SlashCommandBuilder().setName('secret').setDescription('Answers only you').toJSON()],
    });
    client.on('interactionCreate', (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      void (async () => {
        await interaction.deferReply({ flags: MessageFlags.Ephemeral });
        await interaction.editReply('just for you');
      })();
    });
    sandbox.events.on('messageChanged', (change) => changes.push(change));
  });

  afterAll(async () => {
    await client?.destroy();
    await sandbox?.close();
  });

  it('announces a message created, edited and deleted, with its transcript entry', () => {
    changes.length = 0;
    const said = sandbox.userSays(aliceId, channelId, 'first');
    sandbox.editMessage(said.id, 'second');
    sandbox.deleteMessage(said.id);
    expect(changes.map((change) => [change.kind, change.message.id, change.message.content])).toEqual([
      ['created', said.id, 'first'],
      ['updated', said.id, 'second'],
      ['deleted', said.id, 'second'],
    ]);
  });

  it('announces ephemeral interaction answers too, naming the user they are for', async () => {
    changes.length = 0;
    await sandbox
      .runSlashCommand(aliceId, channelId, 'secret')
      .waitForResponse((response) => response.kind === 'edit');
    expect(
      changes.map((change) => [change.kind, change.message.flags & 64, change.message.interactionUserId]),
    ).toEqual([
      ['created', 64, aliceId],
      ['updated', 64, aliceId],
    ]);
    expect(changes.at(-1)?.message.content).toBe('just for you');
    // The transcript (what everyone sees) still leaves it out.
    expect(sandbox.transcript(channelId).some((entry) => entry.content === 'just for you')).toBe(false);
  });
});
