/**
 * Registers Chorus's commands (`npm run deploy-commands`): a bulk overwrite, so commands removed from the
 * definitions disappear too. Guild-scoped when `DISCORD_GUILD_ID` is set (instant, for development),
 * global otherwise.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REST } from '@discordjs/rest';
import { type APIApplication, type RESTPutAPIApplicationCommandsResult, Routes } from 'discord.js';
import { loadConfigOrExit } from '../config/index.js';
import { createLogger, exitWithFatalError } from '../log/index.js';
import { buildCommandDefinitions } from './definitions.js';

/** Where {@link deployCommands} registers. */
export interface DeployTarget {
  /** The application's id; fetched with the bot token when unknown. */
  readonly applicationId: string | undefined;
  /** A guild for guild-scoped commands; null/undefined registers them globally. */
  readonly guildId: string | undefined;
}

/** Replaces the application's commands with {@link buildCommandDefinitions}; returns what Discord now holds. */
export async function deployCommands(
  rest: REST,
  target: DeployTarget,
): Promise<RESTPutAPIApplicationCommandsResult> {
  const applicationId =
    target.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;
  const route =
    target.guildId === undefined
      ? Routes.applicationCommands(applicationId)
      : Routes.applicationGuildCommands(applicationId, target.guildId);
  return (await rest.put(route, { body: buildCommandDefinitions() })) as RESTPutAPIApplicationCommandsResult;
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level, service: 'deploy-commands' });
  const rest = new REST({ api: config.discord.apiUrl }).setToken(config.discord.token);
  const deployed = await deployCommands(rest, {
    applicationId: config.discord.applicationId,
    guildId: config.discord.guildId,
  });
  logger.info(
    { guildId: config.discord.guildId ?? null, commands: deployed.map((command) => command.name) },
    config.discord.guildId === undefined ? 'global commands deployed' : 'guild commands deployed',
  );
}

// Run only as the entry point, so tests can import deployCommands without registering anything.
const entry = process.argv[1];
if (entry !== undefined && pathToFileURL(resolve(entry)).href === import.meta.url) {
  main().catch((error: unknown) => exitWithFatalError('deploy-commands', 'deploying commands failed', error));
}
