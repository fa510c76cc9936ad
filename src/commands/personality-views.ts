import {
  type APIActionRowComponent,
  type APIButtonComponent,
  type APIEmbed,
  ButtonStyle,
  ComponentType,
} from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import type { Personality } from '../state/index.js';
import { CommandReplies } from './command-replies.js';
import { buildCustomId, type ListScope } from './custom-id.js';
import type { PageWindow } from './page-window.js';

/** Personalities per list page: ten lines of at most {@link MAX_LINE} characters fit one embed description. */
export const LIST_PAGE_SIZE = 10;
const MAX_LINE = 380;
/** Aliases named per list line; the rest are counted. */
const LISTED_ALIASES = 3;

/** A message's embeds and components, ready for `reply`, `editReply` or `update`. */
export interface MessageView {
  readonly embeds: APIEmbed[];
  readonly components: APIActionRowComponent<APIButtonComponent>[];
}

/** Cuts text to `max` characters, ending with an ellipsis when it was longer. */
export function truncateText(text: string, max: number): string {
  const characters = Array.from(text);
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}

/** Markdown in a name would format the line it sits in; escape it (names cannot ping: embeds never do). */
function escapeMarkdown(text: string): string {
  return text.replace(/([*_`~|\\>#[\]])/gu, '\\$1');
}

/**
 * The `/personality info` embed. The system prompt appears only when the viewer owns or co-edits the
 * personality (the reply is ephemeral, so only they see it).
 */
export function buildPersonalityInfoEmbed(personality: Personality, viewerId: string): APIEmbed {
  const aliases =
    personality.aliases.length === 0 ? CommandReplies.infoNoAliases() : personality.aliases.join(', ');
  const isEditor = personality.ownerId === viewerId || personality.editorIds.includes(viewerId);
  return {
    title: personality.name,
    ...(personality.avatarUrl === null ? {} : { thumbnail: { url: personality.avatarUrl } }),
    fields: [
      { name: CommandReplies.infoOwner(), value: `<@${personality.ownerId}>`, inline: true },
      {
        name: CommandReplies.infoModel(),
        value: `${personality.provider}/${personality.model}`,
        inline: true,
      },
      {
        name: CommandReplies.infoTemperature(),
        value:
          personality.temperature === null
            ? CommandReplies.infoDefaultTemperature()
            : String(personality.temperature),
        inline: true,
      },
      { name: CommandReplies.infoVisibility(), value: personality.visibility, inline: true },
      {
        name: CommandReplies.infoNsfw(),
        value: CommandReplies.infoNsfwValue(personality.nsfw),
        inline: true,
      },
      {
        name: CommandReplies.infoContext(),
        value: CommandReplies.infoContextValue(personality.contextMode),
        inline: false,
      },
      {
        name: CommandReplies.infoMemory(),
        value: CommandReplies.infoMemoryValue(personality.memoryScope),
        inline: false,
      },
      {
        name: CommandReplies.infoFallbacks(),
        value: truncateText(
          CommandReplies.infoFallbacksValue(personality.fallbackModels),
          DiscordLimits.embedFieldValue,
        ),
        inline: false,
      },
      {
        name: CommandReplies.infoStream(),
        value: CommandReplies.infoStreamValue(personality.streamReplies),
        inline: false,
      },
      ...(personality.editorIds.length === 0
        ? []
        : [
            {
              name: CommandReplies.infoEditors(),
              value: personality.editorIds.map((id) => `<@${id}>`).join(', '),
              inline: false,
            },
          ]),
      {
        name: CommandReplies.infoAliases(),
        value: truncateText(escapeMarkdown(aliases), DiscordLimits.embedFieldValue),
        inline: false,
      },
      ...(isEditor
        ? [
            {
              name:
                personality.card === null
                  ? CommandReplies.infoPrompt()
                  : CommandReplies.infoCardPrompt(personality.systemPrompt.length),
              value: truncateText(personality.systemPrompt, DiscordLimits.embedFieldValue),
              inline: false,
            },
          ]
        : []),
    ],
    footer: { text: personality.id },
    timestamp: new Date(personality.createdAt).toISOString(),
  };
}

/** What one page of `/personality list` shows. */
export interface PersonalityListPage {
  readonly scope: ListScope;
  /** Who ran the command: only they may turn its pages. */
  readonly viewerId: string;
  /** The personalities of this page only. */
  readonly items: readonly Personality[];
  readonly total: number;
  readonly window: PageWindow;
}

function describeListLine(personality: Personality, scope: ListScope): string {
  const aliases = personality.aliases.slice(0, LISTED_ALIASES).map(escapeMarkdown).join(', ');
  const more = personality.aliases.length - LISTED_ALIASES;
  const parts = [
    `**${escapeMarkdown(personality.name)}**`,
    `${personality.provider}/${personality.model}`,
    scope === 'mine' ? personality.visibility : `by <@${personality.ownerId}>`,
    ...(aliases === '' ? [] : [`aka ${aliases}${more > 0 ? ` +${more}` : ''}`]),
  ];
  return truncateText(parts.join(' · '), MAX_LINE);
}

/** One page of `/personality list`: the embed, and previous/next buttons when there is more than one page. */
export function buildPersonalityListView(page: PersonalityListPage): MessageView {
  const { scope, window } = page;
  const empty = scope === 'mine' ? CommandReplies.listMineEmpty() : CommandReplies.listPublicEmpty();
  const embed: APIEmbed = {
    title:
      scope === 'mine'
        ? CommandReplies.listMineTitle(page.total)
        : CommandReplies.listPublicTitle(page.total),
    description: truncateText(
      page.items.length === 0 ? empty : page.items.map((item) => describeListLine(item, scope)).join('\n'),
      DiscordLimits.embedDescription,
    ),
    ...(window.pageCount > 1
      ? { footer: { text: CommandReplies.listFooter(window.page, window.pageCount) } }
      : {}),
  };
  if (window.pageCount <= 1) return { embeds: [embed], components: [] };
  // Previous and next always target different pages here, so their custom ids differ as Discord requires.
  const button = (label: string, target: number, enabled: boolean): APIButtonComponent => ({
    type: ComponentType.Button,
    style: ButtonStyle.Secondary,
    label,
    custom_id: buildCustomId({ action: 'list-page', userId: page.viewerId, scope, page: target }),
    disabled: !enabled,
  });
  return {
    embeds: [embed],
    components: [
      {
        type: ComponentType.ActionRow,
        components: [
          button(CommandReplies.previousPage(), Math.max(0, window.page - 1), window.hasPrevious),
          button(CommandReplies.nextPage(), Math.min(window.pageCount - 1, window.page + 1), window.hasNext),
        ],
      },
    ],
  };
}
