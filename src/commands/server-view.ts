import type { APIEmbed } from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import type { GuildSettings } from '../guilds/index.js';
import type { Personality } from '../state/index.js';
import { describePersonality, ServerReplies } from './server-replies.js';

/** The operator's per-member limits, which a server's own may only tighten. */
export interface OperatorLimits {
  readonly userMaxPending: number;
  readonly userRatePerMinute: number;
}

/** A personality id as shown: name and owner, or a note when it no longer exists. */
export function describePersonalityId(id: string, personalities: ReadonlyMap<string, Personality>): string {
  const personality = personalities.get(id);
  return personality === undefined
    ? ServerReplies.deletedPersonality(id)
    : describePersonality(personality.name, personality.ownerId);
}

/**
 * Lines joined under a heading, as many as fit `max` characters with the heading and a "… and N more"
 * line; `none` when there are no lines.
 */
export function joinWithinLimit(heading: string, lines: readonly string[], max: number): string {
  if (lines.length === 0) return `${heading}: ${ServerReplies.showNone()}`;
  const shown = [`${heading}:`];
  let length = shown[0]!.length;
  for (const [index, entry] of lines.entries()) {
    const line = `• ${entry}`;
    const after = lines.length - index - 1;
    // Room for the line that counts the rest, unless this is the last line.
    const reserve = after > 0 ? 1 + ServerReplies.showMore(after).length : 0;
    if (length + 1 + line.length + reserve > max) {
      shown.push(ServerReplies.showMore(lines.length - index));
      break;
    }
    shown.push(line);
    length += 1 + line.length;
  }
  return shown.join('\n');
}

/** The personalities field's sections, each cut to share the field's length fairly. */
function buildPersonalitiesValue(
  settings: GuildSettings,
  personalities: ReadonlyMap<string, Personality>,
): string {
  const mode =
    settings.personalityMode === 'allowlist'
      ? ServerReplies.showModeAllowlist()
      : ServerReplies.showModeAllowAll();
  const describe = (id: string) => describePersonalityId(id, personalities);
  const sections: Array<[string, string[]]> = [
    [ServerReplies.showAllowed(), settings.allowedPersonalityIds.map(describe)],
    [ServerReplies.showBlocked(), settings.blockedPersonalityIds.map(describe)],
    [
      ServerReplies.showBlockedNames(),
      settings.blockedNames.map((name) => `“${name.replace(/([<@])/gu, '$1\u200B')}”`),
    ],
    [
      ServerReplies.showAliases(),
      Object.entries(settings.aliases).map(
        ([alias, id]) => `@${alias.replace(/@/gu, '@\u200B')} → ${describe(id)}`,
      ),
    ],
  ];
  const share = Math.floor((DiscordLimits.embedFieldValue - mode.length - sections.length) / sections.length);
  return [mode, ...sections.map(([heading, lines]) => joinWithinLimit(heading, lines, share))].join('\n');
}

function buildChannelsValue(settings: GuildSettings): string {
  const channels = settings.channelIds.map((id) => `<#${id}>`);
  if (settings.channelMode === 'everywhere') {
    const mode = ServerReplies.showChannelMode('everywhere');
    if (channels.length === 0) return mode;
    const heading = ServerReplies.showChannelsIgnored();
    return `${mode}\n${joinWithinLimit(heading, channels, DiscordLimits.embedFieldValue - mode.length - 1)}`;
  }
  return joinWithinLimit(
    ServerReplies.showChannelMode(settings.channelMode),
    channels,
    DiscordLimits.embedFieldValue,
  );
}

/** `/server show`: every setting, readable (personalities by name and owner, channels and roles as mentions). */
export function buildServerSettingsEmbed(
  settings: GuildSettings,
  personalities: ReadonlyMap<string, Personality>,
  operator: OperatorLimits,
): APIEmbed {
  return {
    title: ServerReplies.showTitle(),
    fields: [
      { name: ServerReplies.showPersonalities(), value: buildPersonalitiesValue(settings, personalities) },
      { name: ServerReplies.showChannels(), value: buildChannelsValue(settings) },
      {
        name: ServerReplies.showRoles(),
        value: [
          ServerReplies.showTalkRole(settings.requiredRoleId),
          ServerReplies.showActivatorRole(settings.activatorRoleId),
        ].join('\n'),
      },
      {
        name: ServerReplies.showLimits(),
        value: [
          ServerReplies.showLimit('pending', settings.userMaxPending, operator.userMaxPending),
          ServerReplies.showLimit('per-minute', settings.userRatePerMinute, operator.userRatePerMinute),
        ].join('\n'),
      },
      { name: ServerReplies.showNsfw(), value: ServerReplies.showNsfwValue(settings.allowNsfw) },
    ],
  };
}

/** Every personality id the settings name (allowed, blocked, alias targets), once each. */
export function listReferencedPersonalityIds(settings: GuildSettings): string[] {
  return [
    ...new Set([
      ...settings.allowedPersonalityIds,
      ...settings.blockedPersonalityIds,
      ...Object.values(settings.aliases),
    ]),
  ];
}
