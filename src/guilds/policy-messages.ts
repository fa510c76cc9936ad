import type { PolicyRefusal } from './guild-policy.js';

/**
 * Why a server's rules keep `name` silent: the DM the gateway sends a user who addressed it (at most once per
 * user per window), and the refusal of a Regenerate. `serverName` is null in a DM to the bot.
 */
export function describePolicyRefusal(
  name: string,
  reason: PolicyRefusal,
  serverName: string | null,
): string {
  const server = serverName ?? 'this server';
  switch (reason) {
    case 'blocked':
      return `${name} did not answer: the admins of ${server} have blocked it there.`;
    case 'not-allowed':
      return `${name} did not answer: in ${server} only the personalities its admins chose answer.`;
    case 'channel':
      return `${name} did not answer: in ${server}, personalities do not answer in that channel. Try another one.`;
    case 'role':
      return `${name} did not answer: talking to personalities in ${server} needs a role you do not have.`;
    case 'nsfw':
      return serverName === null
        ? `${name} is marked NSFW by its owner, so in direct messages it answers only its owner.`
        : `${name} is marked NSFW by its owner: in ${server} it answers only in age-restricted channels, and only if the server allows NSFW personalities.`;
  }
}
