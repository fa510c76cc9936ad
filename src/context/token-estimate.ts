/**
 * How many tokens a piece of prompt text costs, estimated without a tokenizer. Models behind OpenAI-compatible
 * providers use many tokenizers (GPT's, Llama's, Mistral's, Qwen's…), so no one library would be exact for all
 * of them; and a JavaScript BPE costs more CPU per prompt than the whole reply path does today
 * (docs/context.md, "The token estimate"). The estimate is built to be at least the token count of the
 * modern byte-level BPEs (OpenAI's cl100k and o200k, and those shaped like them) on chat text in any script,
 * and it never exceeds the text's UTF-8 byte count, which bounds every byte-level tokenizer.
 */

/** Tokens a chat template adds around one message (role markers, separators), at most. */
export const MESSAGE_OVERHEAD_TOKENS = 8;

/** Tokens a chat template adds once per request (the assistant turn's opening). */
export const REQUEST_OVERHEAD_TOKENS = 8;

/**
 * Tokens one image shown to a vision model is counted as, whatever its size: a fixed upper estimate, since the
 * cost depends on the provider and the image's dimensions, which are not read here. OpenAI's high detail costs
 * at most 1,445 tokens for an image of the largest size it keeps (768 × 2048: 8 tiles of 170, plus 85), and
 * Anthropic's models about 1,600 at most (about 1.15 megapixels, a token per 750 pixels); Gemini's cost 258. Models
 * with dynamic resolution (Qwen-VL with a large `max_pixels`) can cost more: the provider's context-length error
 * and the half-budget retry cover them.
 */
export const IMAGE_TOKENS = 1600;

/** Character classes of the ASCII range, one byte per code unit below 128 (plain numbers: a hot loop reads them). */
const OTHER = 0;
const LOWER_VOWEL = 1;
const LOWER_CONSONANT = 2;
const UPPER_VOWEL = 3;
const UPPER_CONSONANT = 4;
const DIGIT = 5;
const BLANK = 6;
const LINE_BREAK = 7;

const ASCII_CLASSES = buildAsciiClasses();

function buildAsciiClasses(): Uint8Array {
  const classes = new Uint8Array(128);
  const set = (from: string, to: string, value: number) => {
    for (let code = from.charCodeAt(0); code <= to.charCodeAt(0); code += 1) classes[code] = value;
  };
  set('a', 'z', LOWER_CONSONANT);
  set('A', 'Z', UPPER_CONSONANT);
  for (const vowel of 'aeiouy') {
    classes[vowel.charCodeAt(0)] = LOWER_VOWEL;
    classes[vowel.toUpperCase().charCodeAt(0)] = UPPER_VOWEL;
  }
  set('0', '9', DIGIT);
  classes[32] = BLANK;
  classes[9] = BLANK;
  classes[10] = LINE_BREAK;
  classes[13] = LINE_BREAK;
  return classes;
}

/** Letters of a word that one token covers, at most, on average (English prose is about 4.5 per token). */
const LETTERS_PER_TOKEN = 5;
/** Digits one token covers: cl100k and o200k split numbers into groups of three. */
const DIGITS_PER_TOKEN = 3;
/** Extra tokens per consonant beyond the second in a row: random strings and key-smashes split finely. */
const CONSONANT_RUN_TOKENS = 0.75;
/** Tokens of a character of the rest of the BMP (CJK, Indic, Thai, Hangul…): cl100k needs up to ~1.5. */
const WIDE_CHARACTER_TOKENS = 1.6;
/** Tokens of a character outside the BMP (emoji): four UTF-8 bytes, so at most four byte tokens. */
const ASTRAL_CHARACTER_TOKENS = 4;
/** Tokens of a combining mark (U+0300–U+036F): two UTF-8 bytes that often merge with nothing. */
const COMBINING_MARK_TOKENS = 2;
/** Margin over everything counted above. */
const SAFETY_FACTOR = 1.05;

/**
 * The estimated token count of `text`: at least what the byte-level BPEs of current models use on it (checked
 * against cl100k and o200k on prose, code, URLs, ids, random strings, emoji and a dozen scripts), at most its
 * UTF-8 byte count. It overestimates English chat by about a third and code by up to a factor of two.
 */
export function estimateTokens(text: string): number {
  return Math.min(estimateByCharacters(text), countUtf8Bytes(text));
}

/** UTF-8 bytes of `text`: a hard upper bound on its tokens under any byte-level tokenizer. */
export function countUtf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function estimateByCharacters(text: string): number {
  const length = text.length;
  let tokens = 0;
  let index = 0;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code >= 128) {
      if (code >= 0xd800 && code <= 0xdbff) {
        tokens += ASTRAL_CHARACTER_TOKENS;
        index += 2;
        continue;
      }
      if (code >= 0x300 && code <= 0x36f) tokens += COMBINING_MARK_TOKENS;
      else tokens += code < 0x800 ? 1 : WIDE_CHARACTER_TOKENS;
      index += 1;
      continue;
    }
    const kind = ASCII_CLASSES[code] ?? OTHER;
    if (kind === DIGIT) {
      const start = index;
      do index += 1;
      while (index < length && ASCII_CLASSES[text.charCodeAt(index)] === DIGIT);
      tokens += Math.ceil((index - start) / DIGITS_PER_TOKEN);
      continue;
    }
    if (kind >= LOWER_VOWEL && kind <= UPPER_CONSONANT) {
      // A word: one token per LETTERS_PER_TOKEN letters, plus one per change of case after the first letter
      // (camelCase, random ids: "Alice" is one word) and CONSONANT_RUN_TOKENS per consonant past the second
      // in a row (key-smashes, random strings).
      const start = index;
      let extra = 0;
      let consonants = 0;
      let previousUpper = false;
      while (index < length) {
        const letter = text.charCodeAt(index);
        const letterKind = letter < 128 ? (ASCII_CLASSES[letter] ?? OTHER) : OTHER;
        if (letterKind < LOWER_VOWEL || letterKind > UPPER_CONSONANT) break;
        const upper = letterKind >= UPPER_VOWEL;
        if (letterKind === LOWER_CONSONANT || letterKind === UPPER_CONSONANT) {
          consonants += 1;
          if (consonants > 2) extra += CONSONANT_RUN_TOKENS;
        } else {
          consonants = 0;
        }
        if (index > start && upper !== previousUpper && !(previousUpper && index === start + 1)) extra += 1;
        previousUpper = upper;
        index += 1;
      }
      tokens += Math.ceil((index - start) / LETTERS_PER_TOKEN) + extra;
      continue;
    }
    if (kind === BLANK) {
      // One space joins the word after it; a longer run of blanks is a token of its own (indentation).
      const start = index;
      do index += 1;
      while (index < length && ASCII_CLASSES[text.charCodeAt(index)] === BLANK);
      const run = index - start;
      if (run > 1) tokens += 1 + Math.floor(run / 16);
      continue;
    }
    if (kind === LINE_BREAK) {
      do index += 1;
      while (index < length && ASCII_CLASSES[text.charCodeAt(index)] === LINE_BREAK);
      tokens += 1;
      continue;
    }
    tokens += 1;
    index += 1;
  }
  return Math.ceil(tokens * SAFETY_FACTOR);
}
