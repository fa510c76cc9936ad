/** Every sentence `/server` (and the activator role of `/activate`) says to users, in one place. */

/** A name as shown in a reply: bold, never a mention, markdown escaped. */
function bold(name: string): string {
  return `**${name.replace(/([<@*_`~|\\])/gu, (character) => (character === '@' || character === '<' ? `${character}\u200B` : `\\${character}`))}**`;
}

/** How a value the user typed is echoed back: quoted, one line, at most 40 characters, never a mention. */
function quoted(value: string): string {
  const line = value.replace(/\s+/gu, ' ').trim();
  const short = line.length > 40 ? `${line.slice(0, 39).trimEnd()}…` : line;
  return `“${short.replace(/([<@])/gu, '$1\u200B')}”`;
}

/** A personality with its owner, as replies and `/server show` name it. */
export function describePersonality(name: string, ownerId: string): string {
  return `${bold(name)} (by <@${ownerId}>)`;
}

/** Which per-member limit a message is about. */
export type ServerLimitKind = 'pending' | 'per-minute';

const LIMIT_LABEL: Record<ServerLimitKind, string> = {
  pending: 'Pending replies',
  'per-minute': 'Messages per minute',
};

export const ServerReplies = {
  needsManageServer: () => 'Permission: you need Manage Server to change or see this server’s settings.',
  needsActivatorRole: (roleId: string) =>
    `Permission: you need Manage Channels in this channel, or the <@&${roleId}> role, to change which personality answers every message here.`,
  conflict: () => 'Someone else is changing this server’s settings right now. Please try again.',

  // Personalities.
  personalityMode: (mode: 'allow-all' | 'allowlist', allowed: number) =>
    mode === 'allow-all'
      ? 'Every personality may answer in this server again, except blocked ones.'
      : allowed === 0
        ? 'Only allowed personalities answer in this server now, and none is allowed yet: add some with /server personalities allow.'
        : `Only the ${allowed === 1 ? 'allowed personality answers' : `${allowed} allowed personalities answer`} in this server now.`,
  allowed: (who: string, allowlistMode: boolean) =>
    `${who} is on the allowlist.${allowlistMode ? '' : ' The allowlist applies once you run /server personalities mode allowlist.'}`,
  disallowed: (who: string) => `${who} is off the allowlist.`,
  notAllowed: (query: string) => `Personality: ${quoted(query)} is not on this server’s allowlist.`,
  blocked: (who: string) => `${who} no longer answers in this server.`,
  unblocked: (who: string) => `${who} is no longer blocked in this server.`,
  notBlocked: (query: string) => `Personality: ${quoted(query)} is not blocked in this server.`,
  nameBlocked: (name: string) => `No public personality called ${quoted(name)} answers in this server now.`,
  nameUnblocked: (name: string) => `The name ${quoted(name)} is no longer blocked in this server.`,
  nameNotBlocked: (name: string) => `Name: ${quoted(name)} is not blocked in this server.`,
  nameInvalid: (max: number) => `Name must be 1–${max} characters.`,
  aliasSet: (alias: string, who: string, replaced: string | null) =>
    `In this server, @${alias.replace(/@/gu, '@\u200B')} now means ${who}${replaced === null ? '' : ` (it meant ${replaced})`}.`,
  aliasShadowedForCaller: (alias: string) =>
    ` You own a personality called ${quoted(alias)}: your own names come first, so for you @${alias.replace(/@/gu, '@\u200B')} still means yours.`,
  aliasRemoved: (alias: string) => `The server alias ${quoted(alias)} is removed.`,
  aliasUnknown: (alias: string) => `Alias: this server has no alias ${quoted(alias)}.`,
  tooMany: (what: string, max: number) =>
    `This server already has ${max} ${what}, the most it can have. Remove one first.`,
  deletedPersonality: (id: string) => `a deleted personality (\`${id}\`)`,

  // Channels.
  channelMode: (mode: 'everywhere' | 'only' | 'except', listed: number) =>
    ({
      everywhere: 'Personalities answer in every channel of this server again.',
      only:
        listed === 0
          ? 'Personalities answer only in the listed channels now, and none is listed yet: add some with /server channels add.'
          : 'Personalities answer only in the listed channels (and their threads) now.',
      except: 'Personalities answer everywhere except the listed channels (and their threads) now.',
    })[mode],
  channelAdded: (channelId: string, mode: 'everywhere' | 'only' | 'except') =>
    `<#${channelId}> is on the list.${mode === 'everywhere' ? ' The list applies once you run /server channels mode only or except.' : ''}`,
  channelRemoved: (channelId: string) => `<#${channelId}> is off the list.`,
  channelNotListed: (channelId: string) => `Channel: <#${channelId}> is not on the list.`,
  threadRefused: (parentId: string | null) =>
    `Channel: threads follow their parent channel${parentId === null ? '' : ` (<#${parentId}>)`}; list the parent instead.`,

  // Roles.
  everyoneRole: () => 'Role: @everyone is every member; use the -clear subcommand to let anyone do it.',
  talkRole: (roleId: string) =>
    `Only members with <@&${roleId}> may talk to personalities in this server now.`,
  talkCleared: () => 'Anyone may talk to personalities in this server again.',
  activatorRole: (roleId: string) =>
    `Members with <@&${roleId}> may /activate and /deactivate in this server now, besides those with Manage Channels.`,
  activatorCleared: () => 'Only members with Manage Channels may /activate and /deactivate again.',

  // Limits.
  limitInvalid: (kind: ServerLimitKind) => `${LIMIT_LABEL[kind]} must be a whole number of at least 1.`,
  limitLooser: (kind: ServerLimitKind, operator: number) =>
    `${LIMIT_LABEL[kind]} can be at most ${operator}, the bot’s own limit: a server can never loosen the operator’s limits.`,
  limitSet: (kind: ServerLimitKind, value: number) =>
    `${LIMIT_LABEL[kind]} in this server: at most ${value} per member.`,
  limitsCleared: () => 'This server uses the bot’s own limits again.',

  // NSFW.
  nsfwAllowed: () =>
    'Personalities marked NSFW may answer in this server now, in age-restricted channels only.',
  nsfwDenied: () => 'Personalities marked NSFW never answer in this server now.',

  // /server show.
  showTitle: () => 'This server’s settings',
  showPersonalities: () => 'Personalities',
  showModeAllowAll: () => 'Mode: every personality may answer, except blocked ones',
  showModeAllowlist: () => 'Mode: only allowed personalities answer',
  showAllowed: () => 'Allowed',
  showBlocked: () => 'Blocked',
  showBlockedNames: () => 'Blocked names (every public personality of the name)',
  showAliases: () => 'Server aliases',
  showNone: () => 'none',
  showMore: (count: number) => `… and ${count} more`,
  showChannels: () => 'Channels',
  showChannelMode: (mode: 'everywhere' | 'only' | 'except') =>
    ({
      everywhere: 'Everywhere',
      only: 'Only in these channels and their threads',
      except: 'Everywhere except these channels and their threads',
    })[mode],
  showChannelsIgnored: () => 'Listed (unused while the mode is everywhere)',
  showRoles: () => 'Roles',
  showTalkRole: (roleId: string | null) =>
    roleId === null ? 'Who may talk: anyone' : `Who may talk: members with <@&${roleId}>`,
  showActivatorRole: (roleId: string | null) =>
    roleId === null
      ? 'Who may /activate: members with Manage Channels'
      : `Who may /activate: members with Manage Channels or <@&${roleId}>`,
  showLimits: () => 'Limits per member',
  showLimit: (kind: ServerLimitKind, server: number | null, operator: number) =>
    server === null
      ? `${LIMIT_LABEL[kind]}: ${operator} (the bot’s)`
      : `${LIMIT_LABEL[kind]}: ${server} (the bot’s: ${operator})`,
  showNsfw: () => 'NSFW personalities',
  showNsfwValue: (allowed: boolean) =>
    allowed ? 'Allowed, in age-restricted channels only' : 'Never answer here',

  // Autocomplete choices (at most 100 characters; cut by the caller).
  choiceByOwner: (name: string, owner: string) => `${name} — by ${owner}`,
  choiceOwn: (name: string) => `${name} (yours)`,
  choiceUnknownOwner: (ownerId: string) => `user ${ownerId}`,
} as const;
