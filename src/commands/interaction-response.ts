import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  type ButtonInteraction,
  MessageFlags,
  type RepliableInteraction,
} from 'discord.js';
import { DiscordErrorCode } from '../discord/index.js';

/** A message to answer an interaction with. Mentions in it never ping. */
export interface ResponseMessage {
  readonly content?: string;
  readonly embeds?: APIEmbed[];
  readonly components?: APIActionRowComponent<APIButtonComponent>[];
  /** Files to attach (sent as multipart, as Discord takes uploads). */
  readonly files?: readonly ResponseFile[];
  /** Only the user sees it. Ignored when the interaction was already deferred (the deferral decided). */
  readonly ephemeral: boolean;
}

/** A file sent with a response. */
export interface ResponseFile {
  readonly name: string;
  readonly data: Buffer;
}

function buildBody(message: ResponseMessage) {
  return {
    content: message.content ?? '',
    embeds: message.embeds ?? [],
    components: message.components ?? [],
    allowedMentions: { parse: [] },
    ...(message.files === undefined
      ? {}
      : { files: message.files.map((file) => ({ attachment: file.data, name: file.name })) }),
  };
}

/** Answers an interaction: the first response, or an edit of the deferred or earlier one. */
export async function respond(interaction: RepliableInteraction, message: ResponseMessage): Promise<void> {
  if (interaction.deferred || interaction.replied) {
    await interaction.editReply(buildBody(message));
    return;
  }
  await interaction.reply({
    ...buildBody(message),
    ...(message.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  });
}

/** Replaces the message a button sits on (its components included). */
export async function updateButtonMessage(
  interaction: ButtonInteraction,
  message: Omit<ResponseMessage, 'ephemeral'>,
): Promise<void> {
  if (interaction.deferred || interaction.replied) {
    await interaction.editReply(buildBody({ ...message, ephemeral: false }));
    return;
  }
  await interaction.update(buildBody({ ...message, ephemeral: false }));
}

/**
 * Whether Discord refused a response because the interaction is already answered (40060: another gateway
 * replica acknowledged it) or gone (10062: unknown, or older than its 3-second window). Neither is ours to fix.
 */
export function isInteractionGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return (
    code === DiscordErrorCode.InteractionAlreadyAcknowledged || code === DiscordErrorCode.UnknownInteraction
  );
}
