import { DiscordLimits } from '../discord/discord-limits.js';
import { findFencedBlocks } from '../discord/markdown-fences.js';
import { normalizePersonalityName } from '../state/personality.js';

/**
 * Personality mentions (`@Alice`, `@Dr Who`, `@李白`) in two pure steps around ONE Redis lookup:
 * {@link extractMentionCandidates} lists every name each `@` could denote, {@link collectCandidateKeys} turns
 * them into the keys to look up (at most {@link MAX_NAME_LOOKUPS}), and {@link resolveMentions} keeps the
 * longest name found for each `@`.
 *
 * What counts as a mention start:
 * - not inside code: inline spans (`` `x` ``, ``` ``x`` ```, Discord's ```` ```x``` ```` anywhere in a line) or
 *   fenced blocks (``` or `~~~` at the start of a line; an unclosed fence runs to the end of the text);
 * - not glued to a word, a URL or Discord's own syntax: the `@` may not follow a letter, digit or mark
 *   (`bob@alice.com`), `<` (`<@123>`), `@`, `/` (`https://mastodon.social/@alice`) or `\` (an escaped `\@`);
 * - not `@everyone` / `@here`, in any case: Discord owns those words, and no personality may be named so.
 *
 * A name runs from just after the `@` over up to {@link MentionParseOptions.maxWords} words on one line, and
 * not past a word ending in closing punctuation other than `.` or `'` (`@Alice, what` is not a name; `@Dr. Who`
 * is) nor into another `@`. Every prefix that could be a whole name is a candidate: each word end, each point
 * before punctuation inside a word (`@Alice:hi`), each character of a script written without spaces
 * (`@李白你好`), and each of those with closing punctuation, markdown and a possessive peeled off one layer
 * at a time (`**@Alice's**` → `Alice's**`, `Alice's*`, `Alice's`, `Alice`). So `@Alice's` means the
 * personality named `Alice's` if the author can address one, otherwise `Alice`.
 */

/** Bounds of the candidate search. */
export interface MentionParseOptions {
  /**
   * Words (separated by spaces or tabs, never a line break) one name may span.
   * @defaultValue 6
   */
  readonly maxWords: number;
  /**
   * UTF-16 units of one name: personality names are webhook usernames.
   * @defaultValue DiscordLimits.webhookUsername (80)
   */
  readonly maxChars: number;
  /**
   * `@` signs examined per message; later ones are left as typed. Bounds the keys of the one Redis lookup.
   * @defaultValue 50
   */
  readonly maxMentions: number;
}

export const DefaultMentionParseOptions = {
  maxWords: 6,
  maxChars: DiscordLimits.webhookUsername,
  maxMentions: 50,
} as const satisfies Required<MentionParseOptions>;

/** One name an `@` could denote. */
export interface MentionCandidate {
  /** Index of the `@` in the text. */
  readonly start: number;
  /** Index just past the name (exclusive); the name is `text.slice(start + 1, end)`. */
  readonly end: number;
  /** The name as written, without the `@`. */
  readonly name: string;
  /** {@link normalizePersonalityName} of `name`: the lookup key. */
  readonly key: string;
}

/** What {@link resolveMentions} found. */
export interface MentionResolution<T> {
  /** The personalities addressed, in order of first appearance, each once (compared by identity). */
  readonly mentioned: T[];
  /** The text for the AI: leading `@Name`s removed, later ones turned into the plain name. */
  readonly strippedText: string;
}

interface TextRange {
  readonly start: number;
  readonly end: number;
}

/** Lowercase keys Discord owns (`@everyone`, `@here`); never a personality. */
const RESERVED_KEYS: ReadonlySet<string> = new Set(['everyone', 'here']);

/** `@everyone`/`@here` followed by anything but more of a word. */
const RESERVED_MENTION = /^(?:everyone|here)(?![\p{L}\p{N}\p{M}])/iu;

/** The character before an `@` that makes it part of something else (a word, `<@id>`, a URL, an escape). */
const GLUED_BEFORE = /[\p{L}\p{N}\p{M}<@/\\]$/u;

/** Characters that end a name inside a word: `@Alice:hi`, `**@Alice**bold`. Apostrophes and `.` stay (`O'Brien`, `Dr.`). */
const INNER_BREAKS: ReadonlySet<string> = new Set([
  ...',;:!?()[]{}"<>@*|~/\\',
  ...'，。、；：！？（）「」『』【】',
]);

/** Closing punctuation and markdown peeled off a name's end, one character at a time. */
const TRAILING_PUNCTUATION: ReadonlySet<string> = new Set([
  ...'.,!?;:)]}"\'»”’›*_~|…',
  ...'。、！？，：；」』）】〉》',
]);

/** Closing punctuation a name may still continue after (`@Dr. Who`, `@Jules' Bot`); any other ends the name. */
const CONTINUES_AFTER: ReadonlySet<string> = new Set([...".'’"]);

const POSSESSIVE = /['’][sS]$/u;

/** Scripts written without spaces between words: any character may end a name. */
const NO_SPACE_SCRIPT =
  /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]$/u;

const COMBINING_MARK = /^\p{M}$/u;
const WHITESPACE = /^\s$/u;
const LINE_BREAK = /[\n\r\u2028\u2029\u0085]/u;

/**
 * Lists, for every `@` that can start a personality mention, the names it could denote: ordered by `start`,
 * then longest first (decreasing `end`). Linear in the text length: each `@` looks at most `maxChars` ahead.
 */
export function extractMentionCandidates(
  text: string,
  options: Partial<MentionParseOptions> = {},
): MentionCandidate[] {
  const { maxWords, maxChars, maxMentions } = { ...DefaultMentionParseOptions, ...options };
  const code = findCodeRanges(text);
  const candidates: MentionCandidate[] = [];
  let codeIndex = 0;
  let starts = 0;
  for (let at = text.indexOf('@'); at !== -1 && starts < maxMentions; at = text.indexOf('@', at + 1)) {
    while (codeIndex < code.length && code[codeIndex]!.end <= at) codeIndex += 1;
    const nextCode = code[codeIndex];
    if (nextCode !== undefined && nextCode.start <= at) {
      at = nextCode.end - 1;
      continue;
    }
    if (!isMentionStart(text, at)) continue;
    // A name never runs into code: `@Alice`code`` names Alice.
    const stop = nextCode?.start ?? text.length;
    const found = candidatesAt(text, at, stop, maxWords, maxChars);
    if (found.length > 0) {
      starts += 1;
      candidates.push(...found);
    }
  }
  return candidates;
}

/**
 * Distinct names one message may look up in total. A per-`@` cap cannot bound them without breaking long
 * names in scripts written without spaces (each character of `@李白你好` ends a candidate), so the total is
 * capped: a pathological message (thousands of `@` in CJK text) costs one bounded script on `{catalog}`.
 */
export const MAX_NAME_LOOKUPS = 200;

/** What {@link collectCandidateKeys} keeps for the lookup, and how many distinct keys the cap dropped. */
export interface CandidateKeys {
  readonly keys: string[];
  readonly ignored: number;
}

/**
 * The distinct lookup keys of `candidates`, for one batched Redis lookup: the first `maxKeys` in candidate
 * order (earlier `@` first, each longest name first); the rest are ignored, so those names do not resolve.
 */
export function collectCandidateKeys(
  candidates: readonly MentionCandidate[],
  maxKeys: number = MAX_NAME_LOOKUPS,
): CandidateKeys {
  const distinct = [...new Set(candidates.map((candidate) => candidate.key))];
  return { keys: distinct.slice(0, maxKeys), ignored: Math.max(0, distinct.length - maxKeys) };
}

/**
 * Picks, for each `@`, the longest candidate whose key is in `lookup`, and rewrites the text for the AI:
 * - mentions at the very start of the message (the vocative: `@Alice, what's up?`, `**@Alice** @Bob hi`) are
 *   removed with the punctuation and spaces after them (`what's up?`, `hi`), and the result's leading
 *   whitespace trimmed; a message of mentions only becomes '';
 * - later mentions keep the name as plain text (`Hi @Alice how are you` → `Hi Alice how are you`), so the
 *   sentence still reads right and every addressed AI sees who else was addressed. A mention followed by
 *   anything but space or punctuation (`@Alice's idea`) is never a vocative.
 *
 * Unknown `@Name`s, Discord mentions and everything in code stay as written. Candidates whose span does
 * not point at an `@` of this text are ignored.
 */
export function resolveMentions<T>(
  text: string,
  candidates: readonly MentionCandidate[],
  lookup: ReadonlyMap<string, T>,
): MentionResolution<T> {
  const best = new Map<number, { readonly start: number; readonly end: number; readonly value: T }>();
  for (const candidate of candidates) {
    const value = lookup.get(candidate.key);
    if (value === undefined) continue;
    const { start, end } = candidate;
    if (start < 0 || end > text.length || end <= start + 1 || text[start] !== '@') continue;
    const previous = best.get(start);
    if (previous === undefined || end > previous.end) best.set(start, { start, end, value });
  }

  const mentioned: T[] = [];
  const edits: Array<{ readonly start: number; readonly end: number }> = [];
  let cursor = 0;
  let leading = true;
  let removedLeading = false;
  const ordered = [...best.values()].sort((a, b) => a.start - b.start);
  for (const mention of ordered) {
    if (mention.start < cursor) continue; // inside a longer name resolved before it
    if (!mentioned.includes(mention.value)) mentioned.push(mention.value);
    const vocative = leading ? leadingRemoval(text, cursor, mention) : null;
    if (vocative === null) {
      leading = false;
      edits.push({ start: mention.start, end: mention.start + 1 });
      cursor = mention.end;
      continue;
    }
    edits.push(vocative);
    cursor = vocative.end;
    removedLeading = true;
  }

  let strippedText = '';
  let from = 0;
  for (const edit of edits) {
    strippedText += text.slice(from, edit.start);
    from = edit.end;
  }
  strippedText += text.slice(from);
  return { mentioned, strippedText: removedLeading ? strippedText.trimStart() : strippedText };
}

/** Only markdown (`**`, `||`, `> `) and whitespace may precede a vocative mention. */
const BEFORE_VOCATIVE = /^[\s>*_~|]*$/u;
/**
 * What may follow a vocative mention: nothing, space or separating punctuation (`@Alice, hi`, `@Alice & @Bob`).
 * Not `/`: removing `@Alice /` would turn `/@Bob`, not a mention, into one.
 */
const AFTER_VOCATIVE = /^(?:$|[\s,;:.!?…—–&+])/u;
/**
 * Removed after a vocative mention: punctuation glued to the name, the spaces after it, and one standalone
 * connector (`@Alice & @Bob`). Punctuation after a space starts the user's own text (`@Alice !roll`) and
 * stays. Line breaks stay (only leading ones are trimmed at the very end), so a fence on the next line
 * still starts a line.
 */
const VOCATIVE_SEPARATORS = /^[,;:.!?…]*[^\S\r\n]*(?:[&+—–][^\S\r\n]+)?/u;

/**
 * The range to delete when `mention` opens the message (only whitespace and markdown before it since
 * `cursor`), or null when it is mid-sentence. A symmetric wrapper (`**@Alice**`) goes with it.
 */
function leadingRemoval(
  text: string,
  cursor: number,
  mention: { readonly start: number; readonly end: number },
): TextRange | null {
  const before = text.slice(cursor, mention.start);
  if (!BEFORE_VOCATIVE.test(before)) return null;
  const opener = /[*_~|]*$/u.exec(before)?.[0] ?? '';
  const wrapped = opener !== '' && text.startsWith(opener, mention.end);
  const start = wrapped ? mention.start - opener.length : mention.start;
  const afterName = wrapped ? mention.end + opener.length : mention.end;
  const rest = text.slice(afterName, afterName + 1);
  if (!AFTER_VOCATIVE.test(rest)) return null;
  const separators = VOCATIVE_SEPARATORS.exec(text.slice(afterName, afterName + 64))?.[0] ?? '';
  return { start, end: afterName + separators.length };
}

function isMentionStart(text: string, at: number): boolean {
  if (at > 0 && GLUED_BEFORE.test(text.slice(Math.max(0, at - 2), at))) return false;
  const first = text.codePointAt(at + 1);
  if (first === undefined) return false;
  const firstChar = String.fromCodePoint(first);
  if (firstChar === '@' || WHITESPACE.test(firstChar)) return false;
  return !RESERVED_MENTION.test(text.slice(at + 1, at + 10));
}

/** Every candidate of the `@` at `at`, longest first, never reaching `stop`. */
function candidatesAt(
  text: string,
  at: number,
  stop: number,
  maxWords: number,
  maxChars: number,
): MentionCandidate[] {
  const nameStart = at + 1;
  const limit = Math.min(stop, nameStart + maxChars);
  const ends = new Set<number>();
  const addEnd = (end: number): void => {
    let current = end;
    while (current > nameStart && !ends.has(current)) {
      ends.add(current);
      current = peelOnce(text, nameStart, current);
    }
  };

  // When maxChars (not the end of the text or a code span) caps the search, a word running into the cap
  // is cut off mid-word: that cut is not a whole name.
  const capped = nameStart + maxChars < stop;
  let position = nameStart;
  for (let words = 0; words < maxWords && position < limit; words += 1) {
    const wordStart = position;
    let cutOff = false;
    while (position < limit) {
      const char = String.fromCodePoint(text.codePointAt(position)!);
      if (WHITESPACE.test(char)) break;
      if (position + char.length > limit) {
        cutOff = true;
        break;
      }
      if (position > wordStart && INNER_BREAKS.has(char)) addEnd(position);
      position += char.length;
      if (
        NO_SPACE_SCRIPT.test(char) &&
        !COMBINING_MARK.test(String.fromCodePoint(text.codePointAt(position) ?? 32))
      ) {
        addEnd(position);
      }
    }
    if (cutOff || (capped && position === limit && !WHITESPACE.test(text[position]!))) break;
    addEnd(position);
    const gapStart = position;
    while (position < limit && WHITESPACE.test(text[position]!) && !LINE_BREAK.test(text[position]!))
      position += 1;
    if (position === gapStart || LINE_BREAK.test(text[position] ?? '')) break;
    // `@Alice, what…`, `**@Alice** hi` and `@Bob @Alice` end the name: no name spans a clause, markdown or
    // another mention.
    const last = text[gapStart - 1]!;
    if ((TRAILING_PUNCTUATION.has(last) && !CONTINUES_AFTER.has(last)) || text[position] === '@') break;
  }

  const candidates: MentionCandidate[] = [];
  for (const end of [...ends].sort((a, b) => b - a)) {
    const name = text.slice(nameStart, end);
    const key = normalizePersonalityName(name);
    if (key === '' || RESERVED_KEYS.has(key)) continue;
    candidates.push({ start: at, end, name, key });
  }
  return candidates;
}

/** `end` with one layer of closing punctuation or one possessive removed; `end` itself when neither applies. */
function peelOnce(text: string, nameStart: number, end: number): number {
  const last = text[end - 1];
  if (last !== undefined && TRAILING_PUNCTUATION.has(last)) return end - 1;
  if (end - nameStart > 2 && POSSESSIVE.test(text.slice(end - 2, end))) return end - 2;
  return end;
}

/**
 * Code in `text`, sorted and disjoint: fenced blocks first (line-based, CommonMark-like), then backtick
 * spans in what is left (a run of one or two backticks closes at the next run of the same length; a run of
 * three or more, Discord's inline code block, at the next run of three or more). Unclosed spans are text.
 * Linear: each backtick run is matched through precomputed "next run" tables.
 */
function findCodeRanges(text: string): TextRange[] {
  const fences: TextRange[] = findFencedBlocks(text).map((block) => ({
    start: block.lineStart,
    end: block.closeEnd,
  }));

  const ranges: TextRange[] = [];
  let segmentStart = 0;
  for (const fence of [...fences, { start: text.length, end: text.length }]) {
    ranges.push(...findInlineCode(text, segmentStart, fence.start));
    if (fence.end > fence.start) ranges.push(fence);
    segmentStart = fence.end;
  }
  return ranges;
}

function findInlineCode(text: string, from: number, to: number): TextRange[] {
  const runs: TextRange[] = [];
  for (let index = text.indexOf('`', from); index !== -1 && index < to; index = text.indexOf('`', index)) {
    let end = index;
    while (end < to && text[end] === '`') end += 1;
    runs.push({ start: index, end });
    index = end;
  }
  // next[i]: index of the run that closes run i, or -1.
  const next = new Array<number>(runs.length).fill(-1);
  const lastByLength = new Map<number, number>();
  let lastLong = -1;
  for (let i = runs.length - 1; i >= 0; i -= 1) {
    const length = runs[i]!.end - runs[i]!.start;
    next[i] = length >= 3 ? lastLong : (lastByLength.get(length) ?? -1);
    lastByLength.set(length, i);
    if (length >= 3) lastLong = i;
  }
  const ranges: TextRange[] = [];
  for (let i = 0; i < runs.length; ) {
    const close = next[i]!;
    if (close === -1) {
      i += 1;
      continue;
    }
    ranges.push({ start: runs[i]!.start, end: runs[close]!.end });
    i = close + 1;
  }
  return ranges;
}
