import type { PolicyNotice } from './message-router.js';

/**
 * The DM telling a user why a personality they addressed stayed silent (sent at most once per user per
 * window). `serverName` is null when the message was a DM to the bot.
 */
export function buildPolicyNotice(notice: PolicyNotice, serverName: string | null): string {
  const name = notice.personalityName;
  const server = serverName ?? 'this server';
  switch (notice.reason) {
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
