import { SUMMARY_INSTRUCTION_PREFIX } from '../../src/memory/summarizer.js';
import { createSeededRandom, type RandomSource } from './seeded-random.js';
import type { StubScriptRule } from './stub-behaviour.js';
import { describeStubImage, type StubImage } from './stub-images.js';

/** A chat message as the stub received it (text parts joined into text, image parts read apart). */
export interface StubMessage {
  readonly role: string;
  readonly content: string;
  /** Its `image_url` parts, in order; absent when it had none. */
  readonly images?: readonly StubImage[];
}

/** Longest `!long` reply, so a typo cannot make the stub build megabytes. */
export const MAX_LONG_REPLY_CHARS = 50_000;
const LAST_MESSAGE_CHARS = 200;
const SYSTEM_WORDS = 5;

/** Longest `!wait`, so a typo cannot hang a test. */
export const MAX_WAIT_MS = 60_000;

/** `!say` and the blanks after it; the answer is what follows the last one. */
const SAY_DIRECTIVE = /(?<=^|\s)!say\s+/g;
const LONG_DIRECTIVE = /(?:^|\s)!long\s+(\d+)/;
const WAIT_DIRECTIVE = /(?:^|\s)!wait\s+(\d+)/;

/**
 * The extra delay, in ms, a `!wait <ms>` directive in the last user message asks for (before any `!say`,
 * whose text runs to the end): 0 without one, at most {@link MAX_WAIT_MS}. Lets a test hold one request while
 * others are answered.
 */
export function readWaitDirective(messages: readonly StubMessage[]): number {
  const lastUser = messages.findLast((message) => message.role === 'user')?.content ?? '';
  const wait = WAIT_DIRECTIVE.exec(readTextBeforeSay(lastUser));
  return wait ? Math.min(Number(wait[1]), MAX_WAIT_MS) : 0;
}

function findSayDirectives(text: string): RegExpExecArray[] {
  return [...text.matchAll(SAY_DIRECTIVE)];
}

/** `text` up to its first `!say` (whose text runs to the end), where the other directives are read. */
function readTextBeforeSay(text: string): string {
  return text.slice(0, findSayDirectives(text)[0]?.index ?? text.length);
}

/**
 * The text after the last `!say` of `text` to its end, or null without one (or with nothing after it). The last:
 * in room context the last user turn holds the channel's earlier lines, then the message answered.
 */
function readSayDirective(text: string): string | null {
  const last = findSayDirectives(text).at(-1);
  if (last === undefined) return null;
  const said = text.slice(last.index + last[0].length);
  return said === '' ? null : said;
}

/** A `fact:` marker and the rest of its line. */
const FACT_LINE = /fact:.*/g;

/** `!recall`: answers with the `fact:` lines the system prompt holds (its memory block). */
const RECALL_DIRECTIVE = /(?:^|\s)!recall(?:\s|$)/;

/** Every `fact:` line of `text`, from the marker on, once each, in order. */
function findFacts(text: string): string[] {
  return [...new Set([...text.matchAll(FACT_LINE)].map((match) => match[0].trim()))];
}

/**
 * A deterministic summary: every `fact:` line (from the marker on) of the request's non-system messages (the
 * previous summary and the new turns), once each, in order; `(nothing to remember)` without any.
 */
export function buildStubSummary(messages: readonly StubMessage[]): string {
  const facts = findFacts(
    messages
      .filter((message) => message.role !== 'system' && message.role !== 'developer')
      .map((message) => message.content)
      .join('\n'),
  );
  return facts.length === 0 ? '(nothing to remember)' : facts.join('\n');
}

/** `!recall`'s answer: `recalled: ` and the system prompt's `fact:` lines joined by ` | `, or `nothing`. */
function buildRecall(system: string): string {
  const facts = findFacts(system);
  return `recalled: ${facts.length === 0 ? 'nothing' : facts.join(' | ')}`;
}

/** How the answer is delivered, from directives in the last user message (before any `!say`). */
export interface DeliveryDirectives {
  /** `!think <text>` (up to the next directive): reasoning before the answer, sent per `reasoningStyle`. */
  readonly think: string | null;
  /** `!think-only <text>`: reasoning and no answer at all. */
  readonly thinkOnly: boolean;
  /**
   * `!break <chars>`: the connection is destroyed once about that many characters of text were streamed (no
   * `[DONE]`, no `finish_reason`); a non-streamed request gets no answer at all.
   */
  readonly breakAfterChars: number | null;
  /** `!stream-error [chars]`: an error event inside the 200 stream after that many characters (default 0). */
  readonly streamErrorAfterChars: number | null;
  /** `!no-finish`: the stream carries no `finish_reason` (its `[DONE]` still ends it). */
  readonly noFinish: boolean;
  /** `!no-done`: the stream ends after its `finish_reason` without `[DONE]`. */
  readonly noDone: boolean;
}

const THINK_DIRECTIVE = /(?:^|\s)!think(-only)?\s+([\s\S]*?)(?=\s+!\w|$)/;
const BREAK_DIRECTIVE = /(?:^|\s)!break\s+(\d+)/;
const STREAM_ERROR_DIRECTIVE = /(?:^|\s)!stream-error(?:\s+(\d+))?(?=\s|$)/;
const NO_FINISH_DIRECTIVE = /(?:^|\s)!no-finish(?=\s|$)/;
const NO_DONE_DIRECTIVE = /(?:^|\s)!no-done(?=\s|$)/;

/** The delivery directives of the last user message (see {@link DeliveryDirectives}). */
export function readDeliveryDirectives(messages: readonly StubMessage[]): DeliveryDirectives {
  const lastUser = messages.findLast((message) => message.role === 'user')?.content ?? '';
  const beforeSay = readTextBeforeSay(lastUser);
  const think = THINK_DIRECTIVE.exec(beforeSay);
  const breakAt = BREAK_DIRECTIVE.exec(beforeSay);
  const streamError = STREAM_ERROR_DIRECTIVE.exec(beforeSay);
  return {
    think: think ? think[2]!.trim() : null,
    thinkOnly: think?.[1] !== undefined,
    breakAfterChars: breakAt ? Number(breakAt[1]) : null,
    streamErrorAfterChars: streamError ? Number(streamError[1] ?? 0) : null,
    noFinish: NO_FINISH_DIRECTIVE.test(beforeSay),
    noDone: NO_DONE_DIRECTIVE.test(beforeSay),
  };
}

/**
 * The stub's deterministic answer. A summarization request (its system prompt opens with
 * {@link SUMMARY_INSTRUCTION_PREFIX}) gets {@link buildStubSummary}. Normally it echoes what it saw:
 * `[stub:<model>] system="<first 5 words of the system prompt>" turns=<messages> last="<last user message>"`,
 * followed by ` images=[image/png 64x64, cat.png (url)]` when the last user message had image parts.
 * Directives in the last user message: `!say <text>` answers exactly `<text>` (that of the last `!say`);
 * `!recall` answers with the system prompt's `fact:` lines (what the memory block holds);
 * `!long <n>` answers about `n` characters of paragraphs with a fenced `ts` code block in the middle (to exercise
 * message splitting); `!wait <ms>` (see {@link readWaitDirective}) delays the answer and is not part of it; so are
 * the delivery directives ({@link readDeliveryDirectives}). Without a directive, the first of `script`'s rules
 * matching the system prompt gives the answer.
 */
export function buildStubReply(
  model: string,
  messages: readonly StubMessage[],
  script: readonly StubScriptRule[] = [],
): string {
  const system = messages.find((message) => message.role === 'system' || message.role === 'developer');
  if ((system?.content ?? '').startsWith(SUMMARY_INSTRUCTION_PREFIX)) return buildStubSummary(messages);
  const lastUserMessage = messages.findLast((message) => message.role === 'user');
  const lastUser = lastUserMessage?.content ?? '';
  const say = readSayDirective(lastUser);
  if (say !== null) return say;
  if (RECALL_DIRECTIVE.test(readTextBeforeSay(lastUser))) return buildRecall(system?.content ?? '');
  const long = LONG_DIRECTIVE.exec(lastUser);
  if (long) return buildLongReply(Number(long[1]));
  const scripted = script.find((rule) => (system?.content ?? '').includes(rule.systemIncludes));
  if (scripted) return scripted.reply;
  const systemWords = (system?.content ?? '').split(/\s+/).filter(Boolean).slice(0, SYSTEM_WORDS).join(' ');
  const last = Array.from(lastUser).slice(0, LAST_MESSAGE_CHARS).join('');
  const images = lastUserMessage?.images ?? [];
  const seen = images.length === 0 ? '' : ` images=[${images.map(describeStubImage).join(', ')}]`;
  return `[stub:${model}] system="${systemWords}" turns=${messages.length} last="${last}"${seen}`;
}

const WORDS = [
  'chorus',
  'relay',
  'webhook',
  'personality',
  'queue',
  'worker',
  'breaker',
  'latency',
  'message',
  'channel',
  'thread',
  'signal',
  'answer',
  'provider',
  'fairness',
  'token',
  'gateway',
  'replica',
  'backoff',
  'window',
  'history',
  'prompt',
  'avatar',
  'shard',
  'redis',
  'stream',
  'chunk',
  'limit',
  'retry',
  'probe',
  'quietly',
  'always',
  'never',
  'the',
  'a',
  'of',
  'and',
  'with',
  'through',
  'under',
];

/**
 * About `targetChars` characters (clamped to 1…{@link MAX_LONG_REPLY_CHARS}): prose paragraphs, a fenced
 * ```` ```ts ```` block in the middle, more prose. Seeded by the length, so equal requests get equal replies.
 * Tiny targets still get the code block, so they come out longer than asked.
 */
export function buildLongReply(targetChars: number): string {
  const target = Math.min(Math.max(Math.trunc(targetChars), 1), MAX_LONG_REPLY_CHARS);
  const random = createSeededRandom(target);
  const code = buildCodeBlock(Math.max(1, Math.round((target * 0.2) / 36)));
  const proseBudget = Math.max(0, target - code.length - 4);
  const before = buildProse(Math.ceil(proseBudget / 2), random);
  const after = buildProse(Math.floor(proseBudget / 2), random);
  return [before, code, after].filter((part) => part.length > 0).join('\n\n');
}

function buildCodeBlock(steps: number): string {
  const lines = ['export function relay(steps: number): number {', '  let total = 0;'];
  for (let step = 1; step <= steps; step += 1) lines.push(`  total += ${step} * steps; // step ${step}`);
  lines.push('  return total;', '}');
  return `\`\`\`ts\n${lines.join('\n')}\n\`\`\``;
}

function buildProse(budget: number, random: RandomSource): string {
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  let text = '';
  let wordsInSentence = 0;
  let sentenceLength = between(5, 14);
  let sentencesInParagraph = 0;
  let paragraphLength = between(2, 5);
  for (;;) {
    const word = WORDS[Math.floor(random() * WORDS.length)]!;
    const startsSentence = wordsInSentence === 0;
    const separator = text.length === 0 ? '' : startsSentence && sentencesInParagraph === 0 ? '\n\n' : ' ';
    const token = separator + (startsSentence ? word[0]!.toUpperCase() + word.slice(1) : word);
    // + 1 keeps room for the full stop that ends the sentence.
    if (text.length + token.length + 1 > budget) break;
    text += token;
    wordsInSentence += 1;
    if (wordsInSentence === sentenceLength) {
      text += '.';
      wordsInSentence = 0;
      sentenceLength = between(5, 14);
      sentencesInParagraph += 1;
      if (sentencesInParagraph === paragraphLength) {
        sentencesInParagraph = 0;
        paragraphLength = between(2, 5);
      }
    }
  }
  return wordsInSentence > 0 ? `${text}.` : text;
}
