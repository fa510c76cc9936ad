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
