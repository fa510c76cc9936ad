import { escapeDisplayName } from './persona-username.js';

/**
 * Execute Webhook cannot send a native reply, so when other messages came between a user's message and the
 * answer, the answer opens with a one-line quote naming the asker and linking to their message.
 */

/** What the quote line points at. */
export interface ReplyQuoteInput {
  /** The asker's display name. */
  readonly askerName: string;
  /** null in DMs (the link then uses `@me`). */
  readonly guildId: string | null;
  readonly channelId: string;
  readonly messageId: string;
  /** The start of the asker's message, shown after the name; shortened to {@link REPLY_QUOTE_EXCERPT_LENGTH}. */
  readonly excerpt?: string;
}

/** Characters of the asker's message a quote shows at most (one short line on a phone). */
export const REPLY_QUOTE_EXCERPT_LENGTH = 60;

const SNOWFLAKE = /^\d{1,20}$/u;
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `> **Bob** · [jump](https://discord.com/channels/<guild|@me>/<channel>/<message>)` and a newline; with an
 * excerpt, `> **Bob**: what is… · [jump](…)`. Markdown in the name and excerpt is escaped, and nothing in it
 * can ping or render as a mention (`<@id>`, `@everyone` and `@here` are defused with a zero-width space); the
 * excerpt's links are defused too, so they neither embed nor become clickable. Use it as `splitMessage`'s
 * `prefix`, so only the first chunk carries it.
 * @throws RangeError when an id is not a snowflake.
 */
export function buildReplyQuote(input: ReplyQuoteInput): string {
  for (const id of [input.guildId ?? '0', input.channelId, input.messageId]) {
    if (!SNOWFLAKE.test(id)) throw new RangeError(`not a Discord snowflake: ${JSON.stringify(id)}`);
  }
  const name = escapeDisplayName(input.askerName, 'someone');
  const excerpt = input.excerpt === undefined ? '' : buildExcerpt(input.excerpt);
  const link = `https://discord.com/channels/${input.guildId ?? '@me'}/${input.channelId}/${input.messageId}`;
  return `> **${name}**${excerpt === '' ? '' : `: ${excerpt}`} · [jump](${link})\n`;
}

/**
 * The text of a reply's first chunk without the quote line {@link buildReplyQuote} put before it for this
 * message (any other text, a quote the answer itself opens with included, is returned as it is).
 */
export function stripReplyQuote(
  chunk: string,
  quoted: Omit<ReplyQuoteInput, 'askerName' | 'excerpt'>,
): string {
  if (!chunk.startsWith('> ')) return chunk;
  const lineEnd = chunk.indexOf('\n');
  if (lineEnd < 0) return chunk;
  const link = `https://discord.com/channels/${quoted.guildId ?? '@me'}/${quoted.channelId}/${quoted.messageId}`;
  return chunk.slice(0, lineEnd).endsWith(` · [jump](${link})`) ? chunk.slice(lineEnd + 1) : chunk;
}

/**
 * Whether an answer needs a quote line: when the channel's latest message is newer than the user's message
 * (snowflakes grow with time), a plain answer would look like it replies to that one.
 * `lastMessageIdInChannel` null (unknown) → false.
 * @throws RangeError when an id is not a snowflake.
 */
export function needsReplyQuote(lastMessageIdInChannel: string | null, userMessageId: string): boolean {
  if (lastMessageIdInChannel === null) return false;
  for (const id of [lastMessageIdInChannel, userMessageId]) {
    if (!SNOWFLAKE.test(id)) throw new RangeError(`not a Discord snowflake: ${JSON.stringify(id)}`);
  }
  return BigInt(lastMessageIdInChannel) > BigInt(userMessageId);
}

/** One line of at most {@link REPLY_QUOTE_EXCERPT_LENGTH} graphemes, escaped, with `…` when cut; '' when blank. */
function buildExcerpt(text: string): string {
  const line = text.replace(/\s+/gu, ' ').trim();
  let shown = '';
  let count = 0;
  for (const { segment } of graphemes.segment(line)) {
    if (count === REPLY_QUOTE_EXCERPT_LENGTH) {
      shown = `${shown.trimEnd()}…`;
      break;
    }
    shown += segment;
    count += 1;
  }
  // A zero-width space after the scheme stops Discord from autolinking (and embedding) a quoted URL.
  return escapeDisplayName(shown, '').replace(/:\/\//gu, ':\u200B//');
}
