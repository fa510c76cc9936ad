/**
 * `npm run deploy-commands` as a real process against the Discord sandbox: guild-scoped when
 * DISCORD_GUILD_ID is set, a bulk overwrite either way.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REST } from '@discordjs/rest';
import { Routes } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { buildCommandDefinitions } from '../../../src/commands/definitions.js';
import { buildTestEnv } from '../../support/env.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function runDeploy(
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/commands/deploy-commands.ts'], {
      cwd: ROOT,
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('deploy-commands', () => {
  let sandbox: DiscordSandbox;
  let rest: REST;

  beforeAll(async () => {
    sandbox = await DiscordSandbox.start();
    rest = new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token);
  });

  afterAll(async () => {
    await sandbox.close();
  });

  const env = (extra: Record<string, string>) =>
    buildTestEnv({
      DISCORD_TOKEN: sandbox.bot.token,
      DISCORD_API_URL: sandbox.restUrl,
      LOG_LEVEL: 'info',
      ...extra,
    });

  describe('when DISCORD_GUILD_ID is set', () => {
    it('registers every command in that guild only', async () => {
      const guildId = sandbox.createGuild({ name: 'dev' }).id;
      const result = await runDeploy(env({ DISCORD_GUILD_ID: guildId }));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}')).toMatchObject({
        msg: 'guild commands deployed',
        guildId,
      });
      const commands = (await rest.get(
        Routes.applicationGuildCommands(sandbox.bot.applicationId, guildId),
      )) as Array<{ name: string }>;
      expect(commands.map((command) => command.name)).toContain('personality');
      expect(await rest.get(Routes.applicationCommands(sandbox.bot.applicationId))).toEqual([]);
    });
  });

  describe('when no guild is set', () => {
    it('registers them globally, finding the application id itself', async () => {
      const result = await runDeploy(env({}));
      expect(result.code).toBe(0);
      const commands = (await rest.get(Routes.applicationCommands(sandbox.bot.applicationId))) as Array<{
        name: string;
      }>;
      // Every command the bot defines, no more.
      expect(commands).toHaveLength(buildCommandDefinitions().length);
    });
  });

  describe('when the configuration is invalid', () => {
    it('says which variable and exits 1', async () => {
      const result = await runDeploy(env({ DISCORD_API_URL: 'not a url' }));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DISCORD_API_URL');
    });
  });
});
