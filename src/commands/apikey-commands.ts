import type { ChatInputCommandInteraction } from 'discord.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { enqueueTask } from '../tasks/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { OptionName, SubcommandName } from './definitions.js';
import { respond } from './interaction-response.js';
import { buildInvalidInputError, validateProviderModel } from './personality-rules.js';

/** Longest key accepted; providers' keys are far shorter, this only bounds what is stored. */
export const API_KEY_MAX_LENGTH = 500;
const API_KEY_FORMAT = /^\S+$/u;

/**
 * `/apikey set|remove|test [provider]`. The key itself is only ever passed to the repository, which encrypts
 * it: it is never logged, never echoed (replies show its fingerprint) and every reply is ephemeral.
 */
export async function runApiKeyCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const subcommand = interaction.options.getSubcommand(true);
  const provider = readProvider(ctx, interaction);
  const userId = interaction.user.id;
  const { apiKeys } = ctx.deps;

  if (subcommand === SubcommandName.Set) {
    const key = interaction.options.getString(OptionName.Key, true).trim();
    if (key.length > API_KEY_MAX_LENGTH || !API_KEY_FORMAT.test(key)) {
      throw new UserFacingError(ChorusErrorCode.InvalidInput, CommandReplies.keyInvalid(API_KEY_MAX_LENGTH), {
        userId,
      });
    }
    const { fingerprint } = await apiKeys.set(userId, provider, key);
    ctx.log.info({ userId, provider, keyFingerprint: fingerprint }, 'api key stored');
    await respond(interaction, { content: CommandReplies.keySaved(provider, fingerprint), ephemeral: true });
    return;
  }

  const stored = (await apiKeys.list(userId)).find((summary) => summary.provider === provider);
  if (stored === undefined) {
    await respond(interaction, { content: CommandReplies.noKey(provider), ephemeral: true });
    return;
  }
  if (subcommand === SubcommandName.Remove) {
    await apiKeys.remove(userId, provider);
    ctx.log.info({ userId, provider, keyFingerprint: stored.fingerprint }, 'api key removed');
    await respond(interaction, {
      content: CommandReplies.keyRemoved(provider, stored.fingerprint),
      ephemeral: true,
    });
    return;
  }
  // test: acknowledged now, answered by a worker (the gateway never calls the AI), which edits this reply.
  await respond(interaction, {
    content: CommandReplies.keyTestQueued(provider, stored.fingerprint),
    ephemeral: true,
  });
  await enqueueTask(ctx.deps.tasks, {
    kind: 'apikey-test',
    version: 1,
    correlationId: ctx.correlationId,
    userId,
    provider,
    interaction: { id: interaction.id, applicationId: interaction.applicationId, token: interaction.token },
  });
  ctx.log.info({ userId, provider, keyFingerprint: stored.fingerprint }, 'api key test queued');
}

/** The provider option, checked by the personality rules (a configured provider); the default when omitted. */
function readProvider(ctx: CommandContext, interaction: ChatInputCommandInteraction): string {
  const { ai } = ctx.deps.config;
  const result = validateProviderModel(interaction.options.getString(OptionName.Provider), null, {
    providers: ai.providers,
    defaultProvider: ai.defaultProvider,
  });
  if (!result.ok) throw buildInvalidInputError(result.errors);
  return result.value.provider;
}
