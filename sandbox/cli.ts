/**
 * Starts a sandbox standalone for manual runs: a guild, a text channel, a forum and a user, then prints the URLs
 * and ids to point a bot at. Stops on SIGINT/SIGTERM.
 *
 * Usage: `npm run sandbox -- [--port 8787] [--no-rate-limits]`
 */
import { parseArgs } from 'node:util';
import { DiscordSandbox } from './index.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'no-rate-limits': { type: 'boolean', default: false },
    token: { type: 'string', default: '' },
  },
});

const sandbox = await DiscordSandbox.start({
  port: Number(values.port),
  botToken: values.token,
  rateLimits: { enabled: !values['no-rate-limits'] },
});
const guild = sandbox.createGuild({ name: 'Sandbox Guild' });
const general = sandbox.createChannel(guild.id, { name: 'general' });
const forum = sandbox.createChannel(guild.id, { name: 'forum', type: 'forum' });
const alice = sandbox.createUser({ username: 'alice', globalName: 'Alice' });
sandbox.addMember(guild.id, alice.id);

process.stdout.write(
  `${JSON.stringify(
    {
      restUrl: sandbox.restUrl,
      gatewayUrl: sandbox.gatewayUrl,
      botToken: sandbox.bot.token,
      applicationId: sandbox.bot.applicationId,
      guildId: guild.id,
      channelId: general.id,
      forumId: forum.id,
      userId: alice.id,
    },
    null,
    2,
  )}\n`,
);

const stop = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
