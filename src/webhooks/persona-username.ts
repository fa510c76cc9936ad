import { DiscordLimits } from '../discord/discord-limits.js';

/**
 * Turning a personality name into something Discord shows as-is: as a webhook username override, and as
 * bold text inside a message (DMs have no webhooks). Each step below dodges one Discord rule.
 * @see https://discord.com/developers/docs/resources/webhook#create-webhook
 */

/** Shown when a name has nothing visible left; Discord would otherwise fall back to the webhook's own name. */
export const FALLBACK_PERSONA_USERNAME = 'Personality';

/**
 * Inserted into words Discord refuses in webhook names. A hair space, as PluralKit has done for years:
 * Discord's sanitizer drops zero-width characters from names, so a zero-width joiner could leave the
 * refused word whole again.
 * @see https://github.com/discord/discord-api-docs/issues/4218
 */
const WORD_BREAK = '\u200A';

/** Appended to a one-character name: an invisible Khmer vowel sign, which Discord keeps (PluralKit's choice). */
const SINGLE_CHARACTER_PAD = '\u17B5';

/** Line and paragraph separators become spaces; Discord shows a username on one line. */
const LINE_SEPARATORS = /[\t\n\v\f\r\u0085\u2028\u2029]/gu;
/**
 * Control characters, lone surrogates and invisible format characters (zero-width space, bidi overrides
 * that could reverse how a name reads). Zero-width (non-)joiners and tag characters stay: emoji sequences
 * (👩‍💻, 🏴󠁧󠁢󠁳󠁣󠁴󠁿) and several scripts need them.
 */
const INVISIBLE = /[\p{Cc}\p{Cs}]|(?!\u200C|\u200D|[\u{E0020}-\u{E007F}])\p{Cf}/gu;
/** A character that shows something: not whitespace, a format or combining mark alone, or a blank glyph. */
const VISIBLE = /[^\s\p{Cc}\p{Cf}\p{Cs}\p{M}\u115F\u1160\u17B4\u17B5\u2800\u3164\uFFA0]/u;

/** Substrings Discord refuses anywhere in a webhook name, case-insensitively; three backticks as well. */
const REFUSED_WORD = /clyde|discord|```/iu;
const REFUSED_WORDS = new RegExp(REFUSED_WORD.source, 'giu');
/** Whole names Discord refuses (they read as mass mentions). */
const REFUSED_NAMES = /^(?:everyone|here)$/iu;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * A webhook `username` Discord accepts for `name`: 1–80 characters (counted in UTF-16 units, which is never
 * less than Discord's code point count), no control or invisible characters, whitespace collapsed,
 * "clyde"/"discord" (in any case or compatibility form) and the whole names "everyone"/"here" broken with a
 * hair space, a one-character name padded, and {@link FALLBACK_PERSONA_USERNAME} when nothing visible is left.
 */
export function sanitizePersonaUsername(name: string): string {
  const cleaned = cleanDisplayText(name);
  if (!VISIBLE.test(cleaned)) return FALLBACK_PERSONA_USERNAME;
  const truncated = truncateGraphemes(breakRefusedWords(cleaned), DiscordLimits.webhookUsername).trimEnd();
  if (!VISIBLE.test(truncated)) return FALLBACK_PERSONA_USERNAME;
  // Truncation only removes characters, so it cannot rebuild a broken word, but it can leave a bare "here".
  const safe = isRefusedName(truncated) ? breakAfterFirst(truncated) : truncated;
  return [...safe].length === 1 ? safe + SINGLE_CHARACTER_PAD : safe;
}

/**
 * A display name written into message content so it renders as typed and pings nobody: control
 * characters removed, whitespace collapsed, markdown escaped, and `<…>` mentions, `@everyone` and `@here`
 * defused with a zero-width space. `fallback` when nothing visible is left.
 */
export function escapeDisplayName(name: string, fallback: string): string {
  const cleaned = cleanDisplayText(name);
  return VISIBLE.test(cleaned) ? escapeInlineMarkdown(cleaned) : fallback;
}

/**
 * A DM message as a personality says it: `**Name:** content` (DMs have no webhooks, so the name goes into
 * the text). Content opening with a block (code fence, quote, heading, list) starts on the next line so it
 * still renders as one. Split the result with `splitMessage` afterwards.
 */
export function buildDmPrefixedContent(name: string, content: string): string {
  const body = content.replace(/^\s*\n/u, '');
  const separator = /^(?: {0,3}(?:```|~~~|>|#{1,3} |[-*+] |\d+[.)] )|-# )/u.test(body) ? '\n' : ' ';
  return `**${escapeDisplayName(name, FALLBACK_PERSONA_USERNAME)}:**${separator}${body}`;
}

/** Removes control and invisible characters and collapses whitespace to single spaces. */
function cleanDisplayText(text: string): string {
  return text.replace(LINE_SEPARATORS, ' ').replace(INVISIBLE, '').replace(/\s+/gu, ' ').trim();
}

/**
 * Breaks every refused word. Loops because a break can expose another match (`discordiscord`), and checks
 * the NFKC form too: full-width `ｄｉｓｃｏｒｄ` may be folded by Discord before it compares.
 */
function breakRefusedWords(name: string): string {
  const breakAll = (value: string): string => {
    let result = value;
    while (REFUSED_WORD.test(result)) result = result.replace(REFUSED_WORDS, breakAfterFirst);
    return isRefusedName(result) ? breakAfterFirst(result) : result;
  };
  const broken = breakAll(name);
  const folded = broken.normalize('NFKC');
  return REFUSED_WORD.test(folded) || REFUSED_NAMES.test(folded) ? breakAll(folded) : broken;
}

function isRefusedName(name: string): boolean {
  return REFUSED_NAMES.test(name) || REFUSED_NAMES.test(name.normalize('NFKC'));
}

function breakAfterFirst(word: string): string {
  const first = String.fromCodePoint(word.codePointAt(0)!);
  return first + WORD_BREAK + word.slice(first.length);
}

/** The longest prefix within `max` UTF-16 units ending on a grapheme boundary (a code point one if need be). */
function truncateGraphemes(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = 0;
  for (const { index, segment } of graphemes.segment(text.slice(0, max + 64))) {
    if (index + segment.length > max) break;
    end = index + segment.length;
  }
  if (end === 0) {
    end = max;
    const last = text.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  }
  return text.slice(0, end);
}

/**
 * Backslash-escapes the characters Discord markdown acts on inside a line, and defuses what could ping or
 * render as a mention: `<` gets a zero-width space after it (`<@id>`, `<#id>`, `<:emoji:id>`), as does the
 * `@` of `@everyone`/`@here`. A backslash would not do for those: the text would still contain `<@id>`.
 */
function escapeInlineMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|[\]()]/gu, '\\$&')
    .replace(/</gu, '<\u200B')
    .replace(/@(?=everyone|here)/giu, '@\u200B');
}
