import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { normalizePersonalityName, type Personality, type PersonalityPatch } from '../state/index.js';
import { exportPersonalityCard, importPersonalityCard } from './card-commands.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { buildConfirmButtons } from './confirm-buttons.js';
import type { ButtonTarget, ListScope } from './custom-id.js';
import { OptionName, SubcommandName } from './definitions.js';
import { respond, updateButtonMessage } from './interaction-response.js';
import { buildPageWindow } from './page-window.js';
import {
  collectNameKeys,
  resolveEditablePersonality,
  resolveOwnedPersonality,
  resolvePersonality,
} from './personality-lookup.js';
import {
  buildInvalidInputError,
  type FieldError,
  type ValidationResult,
  validateAlias,
  validateAvatarUrl,
  validateContextMode,
  validateFallbackModels,
  validateMemoryScope,
  validatePersonalityInput,
  validatePersonalityName,
  validateProviderModel,
  validateStreamReplies,
  validateSystemPrompt,
  validateTemperature,
  validateVisibility,
} from './personality-rules.js';
import {
  buildPersonalityInfoEmbed,
  buildPersonalityListView,
  LIST_PAGE_SIZE,
  type MessageView,
} from './personality-views.js';

/** The avatar option's way of saying "no avatar" (an option cannot be set to empty). */
const NO_AVATAR = 'none';

function readAvatar(value: string | null): string | null {
  return value !== null && value.trim().toLowerCase() === NO_AVATAR ? '' : value;
}

/** `/personality …`: routes to the subcommand. */
export async function runPersonalityCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const group = interaction.options.getSubcommandGroup(false);
  const subcommand = interaction.options.getSubcommand(true);
  if (group === SubcommandName.AliasGroup) {
    await runAliasCommand(ctx, interaction, subcommand === SubcommandName.Add ? 'add' : 'remove');
    return;
  }
  switch (subcommand) {
    case SubcommandName.Create:
      return createPersonality(ctx, interaction);
    case SubcommandName.Edit:
      return editPersonality(ctx, interaction);
    case SubcommandName.Remove:
      return askToRemove(ctx, interaction);
    case SubcommandName.Info:
      return showInfo(ctx, interaction);
    case SubcommandName.List:
      return showList(ctx, interaction);
    case SubcommandName.Import:
      return importPersonalityCard(ctx, interaction);
    case SubcommandName.Export:
      return exportPersonalityCard(ctx, interaction);
    case SubcommandName.Share:
    case SubcommandName.Unshare:
      return changeEditors(ctx, interaction, subcommand === SubcommandName.Share ? 'share' : 'unshare');
  }
}

function rulesContext(ctx: CommandContext, existingNames: ReadonlySet<string>) {
  const { ai } = ctx.deps.config;
  return { providers: ai.providers, defaultProvider: ai.defaultProvider, existingNames };
}

async function createPersonality(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const { personalities } = ctx.deps;
  const ownerId = interaction.user.id;
  const options = interaction.options;
  const existingNames = collectNameKeys(await personalities.listByOwner(ownerId));
  const result = validatePersonalityInput(
    {
      name: options.getString(OptionName.Name, true),
      systemPrompt: options.getString(OptionName.Prompt, true),
      avatarUrl: readAvatar(options.getString(OptionName.Avatar)),
      provider: options.getString(OptionName.Provider),
      model: options.getString(OptionName.Model),
      temperature: options.getNumber(OptionName.Temperature),
      visibility: options.getString(OptionName.Visibility),
    },
    rulesContext(ctx, existingNames),
  );
  if (!result.ok) throw buildInvalidInputError(result.errors);
  // The repository checks the name again atomically: a double submission creates one personality.
  const created = await personalities.create({
    ...result.value,
    ownerId,
    nsfw: options.getBoolean(OptionName.Nsfw) ?? false,
  });
  ctx.log.info({ userId: ownerId, personalityId: created.id }, 'personality created');
  await respond(interaction, {
    content: CommandReplies.created(created.name, created.provider, created.model, created.visibility),
    ephemeral: true,
  });
}

async function editPersonality(ctx: CommandContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const { personalities } = ctx.deps;
  const editorId = interaction.user.id;
  const options = interaction.options;
  // The version read here is the one the edit is based on: a change made meanwhile refuses it.
  const target = await resolveEditablePersonality(
    personalities,
    editorId,
    options.getString(OptionName.Name, true),
  );
  const newName = options.getString(OptionName.NewName);
  const prompt = options.getString(OptionName.Prompt);
  const avatar = readAvatar(options.getString(OptionName.Avatar));
  const provider = options.getString(OptionName.Provider);
  const model = options.getString(OptionName.Model);
  const temperature = options.getNumber(OptionName.Temperature);
  const visibility = options.getString(OptionName.Visibility);
  const nsfw = options.getBoolean(OptionName.Nsfw);
  const contextMode = options.getString(OptionName.Context);
  const memoryScope = options.getString(OptionName.Memory);
  const fallbacks = options.getString(OptionName.Fallbacks);
  const streamReplies = options.getString(OptionName.Stream);

  const patch: PersonalityPatch = {};
  const changed: string[] = [];
  const errors: FieldError[] = [];
  const check = <T>(label: string, result: ValidationResult<T>, apply: (value: T) => void) => {
    if (!result.ok) {
      errors.push(...result.errors);
      return;
    }
    apply(result.value);
    changed.push(label);
  };
  if (newName !== null) {
    const owned = await personalities.listByOwner(target.ownerId);
    // Its own current name is free to keep (a change of case); its aliases and other names are not.
    const existing = collectNameKeys(owned, new Set([normalizePersonalityName(target.name)]));
    check(OptionName.NewName, validatePersonalityName(newName, existing), (value) => {
      patch.name = value;
    });
  }
  if (prompt !== null)
    check(OptionName.Prompt, validateSystemPrompt(prompt), (value) => {
      patch.systemPrompt = value;
    });
  if (avatar !== null)
    check(OptionName.Avatar, validateAvatarUrl(avatar), (value) => {
      patch.avatarUrl = value;
    });
  if (temperature !== null)
    check(OptionName.Temperature, validateTemperature(temperature), (value) => {
      patch.temperature = value;
    });
  if (provider !== null || model !== null) {
    // A new provider without a model takes that provider's default model; a new model keeps the provider.
    const providerChanged = provider !== null && provider.trim() !== target.provider;
    const result = validateProviderModel(
      provider ?? target.provider,
      model ?? (providerChanged ? null : target.model),
      {
        providers: ctx.deps.config.ai.providers,
        defaultProvider: ctx.deps.config.ai.defaultProvider,
      },
    );
    if (result.ok) {
      patch.provider = result.value.provider;
      patch.model = result.value.model;
      if (provider !== null) changed.push(OptionName.Provider);
      if (model !== null || providerChanged) changed.push(OptionName.Model);
    } else {
      errors.push(...result.errors);
    }
  }
  if (visibility !== null)
    check(OptionName.Visibility, validateVisibility(visibility), (value) => {
      patch.visibility = value;
    });
  if (nsfw !== null) {
    patch.nsfw = nsfw;
    changed.push(OptionName.Nsfw);
  }
  if (contextMode !== null)
    check(OptionName.Context, validateContextMode(contextMode), (value) => {
      patch.contextMode = value;
    });
  if (memoryScope !== null)
    check(OptionName.Memory, validateMemoryScope(memoryScope), (value) => {
      patch.memoryScope = value;
    });
  if (fallbacks !== null) {
    // Checked against the model the personality will have after this edit.
    const primary = { provider: patch.provider ?? target.provider, model: patch.model ?? target.model };
    check(
      OptionName.Fallbacks,
      validateFallbackModels(fallbacks, primary, { providers: ctx.deps.config.ai.providers }),
      (value) => {
        patch.fallbackModels = value;
      },
    );
  }
  if (streamReplies !== null)
    check(OptionName.Stream, validateStreamReplies(streamReplies), (value) => {
      patch.streamReplies = value;
    });
  if (errors.length > 0) throw buildInvalidInputError(errors);
  if (changed.length === 0) {
    await respond(interaction, { content: CommandReplies.nothingToEdit(), ephemeral: true });
    return;
  }
  const updated = await personalities.update(target.id, editorId, patch, { basedOn: target });
  ctx.log.info({ userId: editorId, personalityId: updated.id, fields: changed }, 'personality edited');
  await respond(interaction, { content: CommandReplies.edited(updated.name, changed), ephemeral: true });
}

async function askToRemove(ctx: CommandContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const userId = interaction.user.id;
  const target = await resolveNamedOwnPersonality(ctx, interaction);
  await respond(interaction, {
    content: CommandReplies.confirmRemove(target.name),
    components: [
      buildConfirmButtons(
        {
          target: { action: 'remove-confirm', userId, personalityId: target.id },
          label: CommandReplies.confirmDelete(),
        },
        {
          target: { action: 'remove-cancel', userId, personalityId: target.id },
          label: CommandReplies.cancel(),
        },
      ),
    ],
    ephemeral: true,
  });
}

/** The remove confirmation's buttons. The caller checked the clicker is the user who ran the command. */
export async function answerRemoveButton(
  ctx: CommandContext,
  interaction: ButtonInteraction,
  target: Extract<ButtonTarget, { action: 'remove-confirm' | 'remove-cancel' }>,
): Promise<void> {
  if (target.action === 'remove-cancel') {
    const kept = await ctx.deps.personalities.fetchById(target.personalityId);
    await updateButtonMessage(interaction, {
      content: CommandReplies.removeCancelled(kept?.name ?? target.personalityId),
    });
    return;
  }
  // remove() checks the ownership again and drops aliases, activations and catalog entries with the record.
  const removed = await ctx.deps.personalities.remove(target.personalityId, target.userId);
  ctx.log.info({ userId: target.userId, personalityId: removed.id }, 'personality removed');
  await updateButtonMessage(interaction, { content: CommandReplies.removed(removed.name) });
}

async function showInfo(ctx: CommandContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const viewerId = interaction.user.id;
  const personality = await resolvePersonality(
    ctx.deps.personalities,
    viewerId,
    interaction.options.getString(OptionName.Name, true),
  );
  await respond(interaction, { embeds: [buildPersonalityInfoEmbed(personality, viewerId)], ephemeral: true });
}

async function showList(ctx: CommandContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const scope: ListScope = interaction.options.getString(OptionName.Scope) === 'public' ? 'public' : 'mine';
  const view = await buildListPage(ctx, interaction.user.id, scope, 0);
  // One's own list may hold private personalities: only they see it. The public list can be shared.
  await respond(interaction, { ...view, ephemeral: scope === 'mine' });
}

/** A paging button of `/personality list`. The caller checked the clicker is the user who ran the command. */
export async function answerListPageButton(
  ctx: CommandContext,
  interaction: ButtonInteraction,
  target: Extract<ButtonTarget, { action: 'list-page' }>,
): Promise<void> {
  await updateButtonMessage(interaction, await buildListPage(ctx, target.userId, target.scope, target.page));
}

async function buildListPage(
  ctx: CommandContext,
  viewerId: string,
  scope: ListScope,
  page: number,
): Promise<MessageView> {
  const { personalities } = ctx.deps;
  if (scope === 'mine') {
    const all = await personalities.listByOwner(viewerId);
    const window = buildPageWindow(all.length, LIST_PAGE_SIZE, page);
    const items = all.slice(window.offset, window.offset + window.limit);
    return buildPersonalityListView({ scope, viewerId, items, total: all.length, window });
  }
  let listing = await personalities.listPublic({ offset: page * LIST_PAGE_SIZE, limit: LIST_PAGE_SIZE });
  const window = buildPageWindow(listing.total, LIST_PAGE_SIZE, page);
  // The list shrank since the button was sent: show its last page instead of an empty one.
  if (window.page !== page)
    listing = await personalities.listPublic({ offset: window.offset, limit: LIST_PAGE_SIZE });
  return buildPersonalityListView({ scope, viewerId, items: listing.items, total: listing.total, window });
}

async function changeEditors(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  action: 'share' | 'unshare',
): Promise<void> {
  const { personalities } = ctx.deps;
  const ownerId = interaction.user.id;
  const target = await resolveNamedOwnPersonality(ctx, interaction);
  const user = interaction.options.getUser(OptionName.User, true);
  if (action === 'share' && user.bot) {
    throw new UserFacingError(ChorusErrorCode.InvalidInput, CommandReplies.shareWithBot(), {
      userId: ownerId,
    });
  }
  const updated =
    action === 'share'
      ? await personalities.share(target.id, ownerId, user.id)
      : await personalities.unshare(target.id, ownerId, user.id);
  ctx.log.info(
    { userId: ownerId, personalityId: target.id, editorId: user.id },
    action === 'share' ? 'personality shared' : 'personality unshared',
  );
  await respond(interaction, {
    content:
      action === 'share'
        ? CommandReplies.shared(updated.name, user.id)
        : CommandReplies.unshared(updated.name, user.id),
    ephemeral: true,
  });
}

async function runAliasCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  action: 'add' | 'remove',
): Promise<void> {
  const { personalities } = ctx.deps;
  const ownerId = interaction.user.id;
  const target = await resolveNamedOwnPersonality(ctx, interaction);
  const alias = interaction.options.getString(OptionName.Alias, true);
  if (action === 'remove') {
    const updated = await personalities.removeAlias(target.id, ownerId, alias);
    ctx.log.info({ userId: ownerId, personalityId: target.id }, 'personality alias removed');
    await respond(interaction, {
      content: CommandReplies.aliasRemoved(updated.name, alias),
      ephemeral: true,
    });
    return;
  }
  const existing = collectNameKeys(await personalities.listByOwner(ownerId));
  const result = validateAlias(alias, existing, normalizePersonalityName(target.name));
  if (!result.ok) throw buildInvalidInputError(result.errors);
  const updated = await personalities.addAlias(target.id, ownerId, result.value);
  ctx.log.info({ userId: ownerId, personalityId: target.id }, 'personality alias added');
  await respond(interaction, {
    content: CommandReplies.aliasAdded(updated.name, result.value),
    ephemeral: true,
  });
}

/** The caller's own personality named by the command's `name` option (a clear error when they own none such). */
function resolveNamedOwnPersonality(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<Personality> {
  return resolveOwnedPersonality(
    ctx.deps.personalities,
    interaction.user.id,
    interaction.options.getString(OptionName.Name, true),
  );
}
