import type { ChatInputCommandInteraction } from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import { MAX_NOTE_CHARS, MAX_NOTES } from '../memory/index.js';
import type { Personality } from '../state/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { OptionName, SubcommandName } from './definitions.js';
import { respond } from './interaction-response.js';
import { resolvePersonality } from './personality-lookup.js';

/**
 * `/memory add|show|forget`: the notes a user asks a personality to keep, and a look at (or the end of) what
 * personalities remember of them: rolling summaries and notes. Every answer is ephemeral: memories are private.
 */
export async function runMemoryCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const subcommand = interaction.options.getSubcommand();
  const userId = interaction.user.id;
  const option = interaction.options.getString(OptionName.Personality);
  const personality =
    option === null ? null : await resolvePersonality(ctx.deps.personalities, userId, option);
  if (subcommand === SubcommandName.Add) return addNote(ctx, interaction, personality!);
  if (subcommand === SubcommandName.Show) return showMemory(ctx, interaction, personality);
  return forgetMemory(ctx, interaction, personality);
}

async function addNote(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  personality: Personality,
): Promise<void> {
  const text = interaction.options.getString(OptionName.Text, true).trim();
  const refuse = (content: string) => respond(interaction, { content, ephemeral: true });
  if (text.length === 0) return refuse(CommandReplies.noteEmpty());
  if (text.length > MAX_NOTE_CHARS) return refuse(CommandReplies.noteTooLong(MAX_NOTE_CHARS, text.length));
  const count = await ctx.deps.memory.addNote(interaction.user.id, personality.id, text);
  if (count === null) return refuse(CommandReplies.notesFull(personality.name, MAX_NOTES));
  ctx.log.info(
    { userId: interaction.user.id, personalityId: personality.id, notes: count },
    'memory note added',
  );
  return refuse(CommandReplies.noteAdded(personality.name, count, MAX_NOTES));
}

async function showMemory(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  only: Personality | null,
): Promise<void> {
  const userId = interaction.user.id;
  const { memory, personalities } = ctx.deps;
  const [memories, notes] = await Promise.all([memory.listMemories(userId), memory.fetchAllNotes(userId)]);
  const ids = [...new Set([...memories.map((entry) => entry.personalityId), ...notes.keys()])].filter(
    (id) => only === null || id === only.id,
  );
  const sections: string[] = [];
  for (const id of ids) {
    const personality = only ?? (await personalities.fetchById(id));
    if (personality === null) continue;
    const lines: string[] = [];
    for (const entry of memories.filter((item) => item.personalityId === id)) {
      const summary = await memory.fetchSummary(userId, entry.suffix);
      if (summary === null) continue;
      const heading =
        entry.channelId === null
          ? CommandReplies.memorySummaryEverywhere()
          : entry.channelId === interaction.channelId
            ? CommandReplies.memorySummaryHere()
            : CommandReplies.memorySummaryIn(entry.channelId);
      lines.push(heading, summary);
    }
    const kept = notes.get(id) ?? [];
    if (kept.length > 0) lines.push(CommandReplies.memoryNotes(), ...kept.map((note) => `- ${note}`));
    if (lines.length > 0)
      sections.push([CommandReplies.memoryHeading(personality.name), ...lines].join('\n'));
  }
  const content =
    sections.length === 0 ? CommandReplies.memoryEmpty(only?.name ?? null) : shorten(sections.join('\n\n'));
  await respond(interaction, { content, ephemeral: true });
}

async function forgetMemory(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  only: Personality | null,
): Promise<void> {
  const userId = interaction.user.id;
  const { memory } = ctx.deps;
  const memories = await memory.forget(userId, only === null ? {} : { personalityId: only.id });
  const notes = await memory.forgetNotes(userId, only?.id);
  ctx.log.info({ userId, personalityId: only?.id ?? null, memories, notes }, 'memory forgotten');
  await respond(interaction, {
    content: CommandReplies.memoryForgotten(memories, notes, only?.name ?? null),
    ephemeral: true,
  });
}

/** `text` within one message, cut with a marker when it does not fit. */
function shorten(text: string): string {
  const limit = DiscordLimits.messageContent;
  if (text.length <= limit) return text;
  const marker = `\n${CommandReplies.memoryShortened()}`;
  return text.slice(0, limit - marker.length) + marker;
}
