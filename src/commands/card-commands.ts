import type { ChatInputCommandInteraction } from 'discord.js';
import {
  buildCardExport,
  buildCardFileName,
  CardLimits,
  checkCardFile,
  mapCardToPersonality,
  parseCardFile,
  type StoredCard,
} from '../cards/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { OptionName } from './definitions.js';
import { respond } from './interaction-response.js';
import { collectNameKeys, resolveOwnedPersonality } from './personality-lookup.js';
import {
  buildInvalidInputError,
  type FieldError,
  validateAvatarUrl,
  validatePersonalityName,
  validateProviderModel,
  validateVisibility,
} from './personality-rules.js';

/** Why a download was refused, as the import reply says it. */
const DOWNLOAD_REASONS = {
  'host-not-allowed': 'it is not on Discord’s CDN',
  redirected: 'it was redirected elsewhere',
  'too-large': `it is over ${CardLimits.fileBytes / 1024 / 1024} MB`,
  'wrong-type': 'it is not a file Chorus reads',
  timeout: 'it took too long',
  failed: 'Discord did not give it',
  cancelled: 'it was cancelled',
} as const;

/**
 * `/personality import`: a Character Card V2/V3 (.json or .png) becomes a personality the caller owns. The card
 * is checked whole (file, spec, fields, limits) before anything is written, and the personality is created in one
 * write, so a refused card creates nothing. The attachment's URL is not kept (Discord's expire); the avatar is
 * the URL the user gives.
 */
export async function importPersonalityCard(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const { personalities, config, files } = ctx.deps;
  const ownerId = interaction.user.id;
  const attachment = interaction.options.getAttachment(OptionName.File, true);
  // The name and Discord's size refuse a .charx or an oversized file before any download.
  checkCardFile(attachment.name, attachment.size);
  const errors: FieldError[] = [];
  const avatar = validateAvatarUrl(interaction.options.getString(OptionName.Avatar));
  const visibility = validateVisibility(interaction.options.getString(OptionName.Visibility));
  const model = validateProviderModel(null, null, {
    providers: config.ai.providers,
    defaultProvider: config.ai.defaultProvider,
  });
  for (const result of [avatar, visibility, model]) if (!result.ok) errors.push(...result.errors);
  if (errors.length > 0 || !avatar.ok || !visibility.ok || !model.ok) throw buildInvalidInputError(errors);
  // A download and a parse follow: deferred so a slow CDN cannot miss Discord's 3 s.
  await interaction.deferReply({ flags: 'Ephemeral' });
  const download = await files.fetchFile(attachment.url, CardLimits.fileBytes);
  if (!download.ok) {
    throw new UserFacingError(
      ChorusErrorCode.InvalidInput,
      CommandReplies.cardDownloadFailed(DOWNLOAD_REASONS[download.refusal]),
      { userId: ownerId },
    );
  }
  const card = mapCardToPersonality(parseCardFile({ filename: attachment.name, bytes: download.bytes }));
  const name = validatePersonalityName(card.name, collectNameKeys(await personalities.listByOwner(ownerId)));
  if (!name.ok) throw buildInvalidInputError(name.errors);
  const created = await personalities.create({
    ownerId,
    name: name.value,
    systemPrompt: card.systemPrompt,
    greeting: card.greeting,
    card: card.card,
    avatarUrl: avatar.value,
    visibility: visibility.value,
    provider: model.value.provider,
    model: model.value.model,
    temperature: null,
  });
  ctx.log.info({ userId: ownerId, personalityId: created.id }, 'personality imported from a card');
  await respond(interaction, {
    content: CommandReplies.imported(
      created.name,
      created.provider,
      created.model,
      created.visibility,
      created.greeting !== null,
      card.unusedFields,
    ),
    ephemeral: true,
  });
}

/** `/personality export`: one of the caller's own personalities as a V2 JSON card, in an ephemeral attachment. */
export async function exportPersonalityCard(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const personality = await resolveOwnedPersonality(
    ctx.deps.personalities,
    interaction.user.id,
    interaction.options.getString(OptionName.Name, true),
  );
  const card = buildCardExport({
    name: personality.name,
    systemPrompt: personality.systemPrompt,
    greeting: personality.greeting,
    // Written by an import from a parsed card (the state layer keeps it opaque).
    card: personality.card as StoredCard | null,
  });
  await respond(interaction, {
    content: CommandReplies.exported(personality.name),
    files: [
      {
        name: buildCardFileName(personality.name),
        data: Buffer.from(`${JSON.stringify(card, null, 2)}\n`),
      },
    ],
    ephemeral: true,
  });
}
