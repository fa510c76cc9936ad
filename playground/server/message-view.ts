import type { RequestLogEntry, TranscriptEntry } from '../../sandbox/index.js';

/** Discord's EPHEMERAL message flag: the message shows only to the user who ran the interaction. */
export const EPHEMERAL_FLAG = 64;
/** Discord's LOADING flag: a deferred interaction response ("Bot is thinking…"). */
export const LOADING_FLAG = 128;

/** Who a person in the playground is. */
export interface PlaygroundPerson {
  readonly id: string;
  readonly name: string;
}

/** A button the bot put on a message (Discord's button component, trimmed). */
export interface ButtonView {
  readonly customId: string;
  readonly label: string;
  /** 1 primary, 2 secondary, 3 success, 4 danger (5 link buttons are left out: they open a URL). */
  readonly style: number;
  readonly disabled: boolean;
}

/** What the page needs to draw one message as Discord would. */
export interface MessageView {
  readonly id: string;
  readonly channelId: string;
  readonly authorId: string;
  readonly authorName: string;
  readonly avatarUrl: string | null;
  /** Up to two letters shown when there is no avatar, or it does not load (offline). */
  readonly initials: string;
  /**
   * Discord's APP tag: webhook messages (personalities in servers), the bot's own messages (personalities in
   * DMs, where there are no webhooks) and its interaction answers.
   */
  readonly isApp: boolean;
  readonly content: string;
  readonly embeds: readonly unknown[];
  readonly attachments: readonly { readonly filename: string; readonly size: number }[];
  /** The message's buttons, in order, wherever they sit in its component tree. */
  readonly buttons: readonly ButtonView[];
  readonly referencedMessageId: string | null;
  /** The user who alone sees it (an ephemeral interaction answer); null when everyone does. */
  readonly visibleTo: string | null;
  /** A deferred answer still loading ("… is thinking"). */
  readonly loading: boolean;
  /** The person whose slash command this message answers (Discord shows "Maya used a command"); else null. */
  readonly interactionUserId: string | null;
  readonly createdAt: number;
  readonly editedAt: number | null;
  readonly editCount: number;
}

/** The name's initials for an avatar placeholder: "Dr Who" → "DW", "alice" → "A". */
export function buildInitials(name: string): string {
  const words = name.match(/[\p{L}\p{N}]+/gu) ?? [];
  const letters = words.slice(0, 2).map((word) => [...word][0]?.toUpperCase() ?? '');
  return letters.join('') || '?';
}

/** Discord's button component type. @see https://discord.com/developers/docs/components/reference#button */
const BUTTON_COMPONENT = 2;

/** The buttons anywhere in a component tree (action rows, sections, containers), in order. */
export function buildButtonViews(components: readonly unknown[]): ButtonView[] {
  return components.flatMap((component): ButtonView[] => {
    if (typeof component !== 'object' || component === null) return [];
    const record = component as Record<string, unknown>;
    const nested = [record['components'], record['accessory']].flatMap((child) =>
      Array.isArray(child) ? child : child === undefined ? [] : [child],
    );
    const own =
      record['type'] === BUTTON_COMPONENT && typeof record['custom_id'] === 'string'
        ? [
            {
              customId: record['custom_id'],
              label: typeof record['label'] === 'string' ? record['label'] : '',
              style: typeof record['style'] === 'number' ? record['style'] : 2,
              disabled: record['disabled'] === true,
            },
          ]
        : [];
    return [...own, ...buildButtonViews(nested)];
  });
}

/** Maps a sandbox transcript entry to what the page draws; `botUserId` is the app's bot user. */
export function buildMessageView(entry: TranscriptEntry, botUserId: string): MessageView {
  const ephemeral = (entry.flags & EPHEMERAL_FLAG) !== 0;
  return {
    id: entry.id,
    channelId: entry.channelId,
    authorId: entry.authorId,
    authorName: entry.authorName,
    avatarUrl: entry.avatarUrl,
    initials: buildInitials(entry.authorName),
    isApp: entry.webhookId !== null || entry.authorId === botUserId,
    content: entry.content,
    embeds: entry.embeds,
    attachments: entry.attachments,
    buttons: buildButtonViews(entry.components),
    referencedMessageId: entry.referencedMessageId,
    visibleTo: ephemeral ? entry.interactionUserId : null,
    loading: (entry.flags & LOADING_FLAG) !== 0,
    interactionUserId: entry.interactionUserId,
    createdAt: entry.createdAt,
    editedAt: entry.editedAt,
    editCount: entry.edits.length,
  };
}

/** Whether `viewerId` sees the message: everyone sees ordinary ones, only its user an ephemeral one. */
export function isVisibleTo(view: MessageView, viewerId: string): boolean {
  return view.visibleTo === null || view.visibleTo === viewerId;
}

/** The sandbox route the bot's typing indicator takes (`POST /channels/{id}/typing`). */
const TYPING_ROUTE = 'POST /channels/:id/typing';

/** The channel a successful typing request was for, or null when the request was something else. */
export function tryParseTypingChannel(entry: RequestLogEntry): string | null {
  if (entry.route !== TYPING_ROUTE || entry.status >= 300) return null;
  return /\/channels\/(\d+)\/typing/.exec(entry.path)?.[1] ?? null;
}
