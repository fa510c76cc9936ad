import { DiscordLimits } from '../discord/discord-limits.js';
import { findFencedBlocks, type FencedBlock as MarkdownFencedBlock } from '../discord/markdown-fences.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';

/** How {@link splitMessage} cuts. */
export interface SplitMessageOptions {
  /**
   * Longest chunk, in UTF-16 units. Discord counts code points, which are never more than UTF-16 units, so a
   * chunk within this limit is always accepted.
   * @see https://github.com/discord/discord-api-docs/issues/1315
   * @defaultValue DiscordLimits.messageContent (2000)
   */
  readonly maxLength: number;
  /**
   * Text placed before the first chunk only (e.g. a reply quote line, ending in a newline); it counts
   * within that chunk's `maxLength`.
   * @defaultValue ''
   */
  readonly prefix: string;
}

export const DefaultSplitMessageOptions = {
  maxLength: DiscordLimits.messageContent,
  prefix: '',
} as const satisfies Required<SplitMessageOptions>;

/**
 * A fenced code block: from its opening line to the end of its closing line (or of the text, when unclosed).
 * Positions are indexes into the text being split.
 */
interface FencedBlock extends MarkdownFencedBlock {
  /** The language to reopen with (`ts`), or '' when the info string is not a plain language tag. */
  readonly language: string;
}

/**
 * Longest fence run treated as a fence. Longer runs are text: each chunk reserves room for a closing
 * marker, and Discord itself only understands three backticks.
 */
const MAX_FENCE_MARKER = 16;
/** Discord highlights a block whose info string is one such word; anything else reopens without a language. */
const LANGUAGE_TAG = /^[A-Za-z0-9_+\-.#]{1,32}$/u;

/** Grapheme segmentation is locale-independent and the segmenter stateless, so one serves the process. */
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Splits a reply into Discord messages of at most `maxLength` characters each, cutting, by preference, at a
 * paragraph break, then a line break, then the end of a sentence, then a space, and only then between two
 * graphemes (never inside a surrogate pair or, unless one grapheme alone exceeds the room, a grapheme
 * cluster). A boundary of a preferred kind is used when it leaves the chunk at least half full.
 *
 * A chunk that ends inside a fenced code block is closed with the block's fence, and the next chunk reopens
 * it with its language, so every chunk renders on its own. The original closing fence of a block closed
 * early is dropped. Whitespace at the cuts is dropped; all other content is kept, in order. Whitespace-only
 * text gives no chunks.
 * @throws RangeError when `maxLength` leaves no room for text after the prefix and fence lines.
 */
export function splitMessage(text: string, options: Partial<SplitMessageOptions> = {}): string[] {
  return Array.from(cutMessages(text, options), (cut) => cut.chunk);
}

/** The first message of a text too long for one, and the text that goes on after it. */
export interface FirstMessageCut {
  /** The first message as {@link splitMessage} makes it (the prefix; a closing fence when cut in a block). */
  readonly first: string;
  /**
   * The text after the cut, as the next message starts it: a block the cut left open is reopened with its
   * language on the first line, so splitting (or cutting) `rest` again continues the code block. Never blank.
   */
  readonly rest: string;
}

/**
 * Cuts the first message off a text that needs more than one, exactly where {@link splitMessage} would; null
 * when the text fits one message (or is blank). A streamed reply uses it to close a full message and go on in
 * the next (whose text is `rest` and what streams after it).
 * @throws RangeError as {@link splitMessage} does.
 */
export function cutFirstMessage(
  text: string,
  options: Partial<SplitMessageOptions> = {},
): FirstMessageCut | null {
  for (const cut of cutMessages(text, options)) {
    if (cut.rest === null) return null;
    return { first: cut.chunk, rest: cut.rest };
  }
  return null;
}

/** One message of a split, and the text after it (null for the last message). */
interface MessageCut {
  readonly chunk: string;
  readonly rest: string | null;
}

/** The splitter itself: each message in turn, with what follows it. */
function* cutMessages(text: string, options: Partial<SplitMessageOptions>): Generator<MessageCut> {
  // `?? default` per field: an option passed as `undefined` means "not given", not "no value".
  const maxLength = options.maxLength ?? DefaultSplitMessageOptions.maxLength;
  const prefix = options.prefix ?? DefaultSplitMessageOptions.prefix;
  if (text.trim() === '') return;
  const blocks = findSplitterBlocks(text);
  const closeReserve = blocks.length === 0 ? 0 : 1 + Math.max(...blocks.map((block) => block.marker.length));
  const reopenRoom = Math.max(0, ...blocks.map((block) => reopenLine(block).length));
  if (Math.min(maxLength - prefix.length, maxLength - reopenRoom) - closeReserve < 2) {
    throw new RangeError(`maxLength ${maxLength} leaves no room for text after the prefix and fence lines`);
  }

  const last = blocks.at(-1);
  const endsOpen = last !== undefined && last.closeStart === null ? last : null;
  const blockAt = (position: number) => findBlockAt(blocks, position);
  // The rest of the text from `from` on, as the next message would start it.
  const restFrom = (from: number): string | null => {
    if (from >= text.length || text.slice(from).trim() === '') return null;
    const open = blockAt(from);
    return (open === null ? '' : reopenLine(open)) + text.slice(from);
  };
  let first = true;
  let pending: string | null = null;
  let position = skipWhitespace(text, 0);
  while (position < text.length) {
    const open = blockAt(position);
    const head = (first ? prefix : '') + (open === null ? '' : reopenLine(open));
    const room = maxLength - head.length - closeReserve;
    const rest = text.slice(position).trimEnd();
    if (rest.length <= (endsOpen === null ? room + closeReserve : room)) {
      if (pending !== null) yield { chunk: pending, rest: restFrom(position) };
      pending = head + rest + (endsOpen === null ? '' : `\n${endsOpen.marker}`);
      break;
    }

    let cut = findCut(text, position, room, position);
    const opened = blockAt(cut);
    const openerEnd = opened === null ? -1 : lineEndAt(text, opened.openStart);
    if (opened !== null && cut <= openerEnd) {
      // The cut would leave an empty block: cut before its fence, or else past its first line.
      const before = opened.openStart > position && text.slice(position, opened.openStart).trim() !== '';
      cut = before ? opened.openStart : findCut(text, position, room, openerEnd);
    }
    const body = text.slice(position, cut).trimEnd();
    const openAtCut = blockAt(cut);
    if (body.trim() !== '') {
      if (pending !== null) yield { chunk: pending, rest: restFrom(position) };
      pending = head + body + (openAtCut === null ? '' : `\n${openAtCut.marker}`);
      first = false;
    }
    position = cut;
    if (openAtCut === null) {
      position = skipWhitespace(text, position);
      continue;
    }
    // Still inside the block: keep the next line's indentation, drop only the line break we cut at.
    if (text.startsWith('\r\n', position)) position += 2;
    else if (text[position] === '\n') position += 1;
    if (openAtCut.closeStart !== null && text.slice(position, openAtCut.closeStart).trim() === '') {
      // Only the block's own closing fence is left: the chunk just closed it already.
      position = skipWhitespace(text, openAtCut.closeEnd);
    }
  }
  if (pending !== null) yield { chunk: pending, rest: null };
}

/** The block a cut at `position` leaves open (past its opening marker, not past its closing line start), or null. */
function findBlockAt(blocks: readonly FencedBlock[], position: number): FencedBlock | null {
  let low = 0;
  let high = blocks.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (blocks[middle]!.closeEnd < position) low = middle + 1;
    else high = middle;
  }
  const block = blocks[low];
  if (block === undefined || position <= block.openStart) return null;
  return block.closeStart !== null && position > block.closeStart ? null : block;
}

function lineEndAt(text: string, position: number): number {
  const newline = text.indexOf('\n', position);
  return newline === -1 ? text.length : newline;
}

function reopenLine(block: FencedBlock): string {
  return `${block.marker}${block.language}\n`;
}

function skipWhitespace(text: string, from: number): number {
  let position = from;
  while (position < text.length && /\s/u.test(text[position]!)) position += 1;
  return position;
}

/** Sentence ends: `.`, `!`, `?`, `…` before whitespace, or CJK full-width enders anywhere. */
const SENTENCE_END = /[.!?…](?=\s)|[。！？]/gu;
const WORD_GAP = /\s+/gu;

/**
 * The index to cut at, in (`floor`, `from + room`]: the preferred boundary kind that leaves the chunk at
 * least half full, else the first kind present at all, else a grapheme boundary.
 */
function findCut(text: string, from: number, room: number, floor: number): number {
  const limit = from + room;
  const window = text.slice(from, limit);
  const lastMatch = (pattern: RegExp, atEnd: boolean): number => {
    let found = -1;
    for (const match of window.matchAll(pattern)) {
      found = from + match.index + (atEnd ? match[0].length : 0);
    }
    return found;
  };
  // A break starting exactly at the limit still leaves the chunk within it: the break itself is dropped.
  const boundaries = [
    text.lastIndexOf('\n\n', limit),
    text.lastIndexOf('\n', limit),
    lastMatch(SENTENCE_END, true),
    lastMatch(WORD_GAP, false),
  ].filter((boundary) => boundary > floor);
  const halfway = from + Math.floor(room / 2);
  return boundaries.find((boundary) => boundary >= halfway) ?? boundaries[0] ?? hardCut(text, from, room);
}

/** The last grapheme boundary within `room`; a code point boundary when the first grapheme alone is longer. */
function hardCut(text: string, from: number, room: number): number {
  // Look a little past the room so the grapheme straddling it is seen whole and rejected.
  const sample = text.slice(from, from + room + 64);
  let cut = 0;
  for (const { index, segment } of graphemes.segment(sample)) {
    if (index + segment.length > room) break;
    cut = index + segment.length;
  }
  if (cut === 0) {
    cut = room;
    const beforeCut = text.charCodeAt(from + cut - 1);
    if (beforeCut >= 0xd800 && beforeCut <= 0xdbff) cut -= 1;
  }
  return from + cut;
}

/** The blocks this splitter keeps balanced, with the language each one reopens with. */
function findSplitterBlocks(text: string): FencedBlock[] {
  return findFencedBlocks(text, { maxMarkerLength: MAX_FENCE_MARKER }).map((block) => {
    const tag = block.info.split(/\s/u)[0] ?? '';
    return { ...block, language: LANGUAGE_TAG.test(tag) ? tag : '' };
  });
}

/**
 * Throws unless `content` is one message's worth (1 to 2000 code points, not blank). Content is split before it
 * is posted; an empty or oversized chunk is a caller's bug, never truncated.
 */
export function assertContentFits(content: string): void {
  let length = 0;
  // Discord counts code points, not UTF-16 units.
  for (const _ of content) length += 1;
  if (content.trim() === '' || length > DiscordLimits.messageContent) {
    throw new ChorusError(
      ChorusErrorCode.InvalidInput,
      `Message content must be 1–${DiscordLimits.messageContent} characters (got ${length}); split it first`,
    );
  }
}
