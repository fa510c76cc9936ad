import type { ChatMessage, ContentPart } from '../ai/index.js';
import type { Config, ProviderConfig } from '../config/index.js';
import type { ContextMode, ConversationTurn } from '../state/index.js';
import { appendAttachmentLines, buildAttachmentLines, type PromptAttachment } from './attachment-labels.js';
import { buildMemoryBlock, type MemoryCut, type PromptMemory } from './memory-block.js';
import {
  countUtf8Bytes,
  estimateTokens,
  IMAGE_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  REQUEST_OVERHEAD_TOKENS,
} from './token-estimate.js';
import type { WindowLine } from './window-line.js';

/** The message being answered: one message, or several back-to-back ones coalesced into one reply. */
export interface CurrentMessage {
  readonly authorName: string;
  /** Its text; one part per coalesced message, oldest first. */
  readonly parts: readonly string[];
  /** The (first) message answered. */
  readonly messageId: string;
  /** When it was created, Unix ms: channel lines from then on are not shown. */
  readonly at: number;
  /**
   * Its attachments (of the first message), and the images of the message it replies to, as fetched for the
   * model: named after the first part's text, a text file inlined, an image shown as an image part. Absent = none.
   */
  readonly attachments?: readonly PromptAttachment[];
}

/** Everything one reply's prompt is built from. */
export interface PromptInput {
  readonly systemPrompt: string;
  readonly personalityId: string;
  readonly personalityName: string;
  /** `room` shows the channel's window with the history; `personal` (and DMs: pass it) only the history. */
  readonly mode: ContextMode;
  /** The channel's recent lines, oldest first; ignored in `personal` mode. */
  readonly windowLines: readonly WindowLine[];
  /** This person's conversation with this personality here, oldest first. */
  readonly history: readonly ConversationTurn[];
  /** The reply chain, oldest first; its last line is the message directly replied to. Empty when none. */
  readonly chain: readonly WindowLine[];
  readonly current: CurrentMessage;
  /** How much of the window a prompt may show (`CHANNEL_CONTEXT_*`). */
  readonly channelContext: Config['channelContext'];
  /** Estimated tokens the whole prompt may take ({@link computePromptBudget}). */
  readonly budgetTokens: number;
  /** What the personality remembers of this person, after the system prompt; absent = nothing. */
  readonly memory?: PromptMemory;
}

/** What the token budget left out. */
export interface PromptDrops {
  /** Channel lines (oldest first). */
  readonly channelLines: number;
  /** History turns (oldest first, after every channel line). */
  readonly historyTurns: number;
  /** Lines of the reply chain (oldest first, after all the history). */
  readonly chainLines: number;
  /** The current message was cut short (it alone did not fit). */
  readonly messageTruncated: boolean;
}

/** One reply's prompt. */
export interface AssembledPrompt {
  readonly messages: ChatMessage[];
  readonly dropped: PromptDrops;
  /**
   * An upper estimate of the prompt's tokens, chat-template overhead included: its UTF-8 bytes when those fit
   * the budget (then nothing was estimated), else the sum of the token estimates.
   */
  readonly estimatedTokens: number;
  /** What the memory's shares of the budget cut (absent without memory). */
  readonly memoryCut?: MemoryCut;
}

/** What the reply path builds prompts with, from the configuration. */
export interface PromptSettings {
  /** `CHANNEL_CONTEXT_*`. */
  readonly channelContext: Config['channelContext'];
  /** The providers, with each model's context length. */
  readonly providers: ReadonlyMap<string, Pick<ProviderConfig, 'contextTokens' | 'defaultContextTokens'>>;
}

/**
 * A model's context length in tokens, as its provider's configuration gives it. An unknown provider has no
 * limit here: the AI service refuses the call anyway.
 */
export function findContextTokens(
  providers: PromptSettings['providers'],
  providerName: string,
  model: string,
): number {
  const provider = providers.get(providerName);
  if (provider === undefined) return Number.POSITIVE_INFINITY;
  return provider.contextTokens.get(model) ?? provider.defaultContextTokens;
}

/**
 * The estimated tokens of chat messages as sent, chat-template overhead included; an image part costs
 * {@link IMAGE_TOKENS}.
 */
export function estimatePromptTokens(messages: readonly ChatMessage[]): number {
  return messages.reduce(
    (total, message) => total + estimateContentTokens(message.content) + MESSAGE_OVERHEAD_TOKENS,
    REQUEST_OVERHEAD_TOKENS,
  );
}

function estimateContentTokens(content: ChatMessage['content']): number {
  if (typeof content === 'string') return estimateTokens(content);
  return sum(content, (part) => (part.type === 'text' ? estimateTokens(part.text) : IMAGE_TOKENS));
}

/** Tokens kept for the answer, at least (small models). */
const MIN_ANSWER_RESERVE_TOKENS = 256;
/** Tokens kept for the answer, at most: a long answer of two or three Discord messages. */
const MAX_ANSWER_RESERVE_TOKENS = 4096;

/**
 * The prompt's share of a model's context length: the rest is kept for the answer, a quarter of the context
 * but at least 256 and at most 4096 tokens (a 32,768-token model leaves 28,672 to the prompt). Chat requests
 * set no `max_tokens`, so an answer longer than the reserve may still be cut by the model's own limit.
 */
export function computePromptBudget(contextTokens: number): number {
  const reserve = Math.min(
    MAX_ANSWER_RESERVE_TOKENS,
    Math.max(MIN_ANSWER_RESERVE_TOKENS, Math.floor(contextTokens / 4)),
  );
  return Math.max(0, contextTokens - reserve);
}

/** A person's or a personality's line as the model reads it: `Name: text`. */
export function buildUserTurn(authorName: string, content: string): string {
  const text = content.trim().length > 0 ? content : '(no text)';
  return `${authorName}: ${text}`;
}

/**
 * The current message as the model reads it and the history keeps it: each part on its own attributed line,
 * the first followed by `attachmentLines` (the names of its files, a text file's contents).
 */
export function buildMessageLines(
  authorName: string,
  parts: readonly string[],
  attachmentLines: readonly string[] = [],
): string {
  const [first = '', ...rest] = parts;
  return [appendAttachmentLines(first, attachmentLines), ...rest]
    .map((part) => buildUserTurn(authorName, part))
    .join('\n');
}

/** Marks the current message cut short by the budget. */
export const TRUNCATION_MARKER = '[… the rest of this message was cut: too long for the model]';

type ItemKind = 'channel' | 'history';

/** One message of the conversation before the current one, with its cost once estimated. */
interface TimelineItem {
  readonly kind: ItemKind;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly at: number;
  kept: boolean;
}

/**
 * Builds the chat messages of one reply (pure). The system prompt comes first, with the memory block (summary and
 * notes, each within its share of the budget) after it; then, oldest first, this
 * person's history with the personality and, in `room` mode, the channel's window (this personality's own
 * lines as `assistant`, everyone else's as `user` turns reading `Name: text`); then the current message,
 * after the reply chain it answers when there is one. Consecutive messages of one role are merged and the
 * conversation never opens with an `assistant` turn (strict chat templates require both). When the estimate
 * exceeds `budgetTokens`, the oldest channel lines go first, then the oldest history, then the reply chain
 * (oldest first); the system prompt and the current message are never dropped, the latter only cut short,
 * with {@link TRUNCATION_MARKER}, when it alone does not fit.
 */
export function assemblePrompt(input: PromptInput): AssembledPrompt {
  const timeline = buildTimeline(input);
  const chain = input.chain.map((line) => buildChainLine(line, input.personalityId));
  // Memory sits in the system message, within its shares of the budget: never dropped like history.
  const memory = input.memory === undefined ? null : buildMemoryBlock(input.memory, input.budgetTokens);
  const system =
    memory === null || memory.text === '' ? input.systemPrompt : `${input.systemPrompt}\n\n${memory.text}`;
  const memoryCut = memory === null ? {} : { memoryCut: memory.cut };
  const attachments = input.current.attachments ?? [];
  let current = buildMessageLines(
    input.current.authorName,
    input.current.parts,
    buildAttachmentLines(attachments),
  );
  // Images are part of the message answered: never left out, counted at a fixed cost each.
  const images = attachments.flatMap((attachment) =>
    attachment.imageUrl === undefined ? [] : [attachment.imageUrl],
  );
  const imageTokens = images.length * IMAGE_TOKENS;

  const markers = chain.length === 0 ? 0 : estimateChainMarkers(input.current.authorName);
  const upperBound = (text: string) => countUtf8Bytes(text) + MESSAGE_OVERHEAD_TOKENS;
  const byBytes =
    REQUEST_OVERHEAD_TOKENS +
    imageTokens +
    upperBound(system) +
    upperBound(current) +
    markers +
    sum(chain, upperBound) +
    sum(timeline, (item) => upperBound(item.content));
  if (byBytes <= input.budgetTokens) {
    return {
      messages: buildMessages(system, timeline, chain, current, input.current.authorName, images),
      dropped: { channelLines: 0, historyTurns: 0, chainLines: 0, messageTruncated: false },
      estimatedTokens: byBytes,
      ...memoryCut,
    };
  }

  const cost = (text: string) => estimateTokens(text) + MESSAGE_OVERHEAD_TOKENS;
  const itemCosts = timeline.map((item) => cost(item.content));
  const chainCosts = chain.map(cost);
  let total =
    REQUEST_OVERHEAD_TOKENS +
    imageTokens +
    cost(system) +
    cost(current) +
    markers +
    sum(itemCosts, Number) +
    sum(chainCosts, Number);
  const dropOldest = (kind: ItemKind): number => {
    let dropped = 0;
    for (const [index, item] of timeline.entries()) {
      if (total <= input.budgetTokens) break;
      if (item.kind !== kind) continue;
      item.kept = false;
      total -= itemCosts[index] ?? 0;
      dropped += 1;
    }
    return dropped;
  };
  const channelLines = dropOldest('channel');
  const historyTurns = dropOldest('history');
  let chainLines = 0;
  while (total > input.budgetTokens && chainLines < chain.length) {
    total -= chainCosts[chainLines] ?? 0;
    chainLines += 1;
    if (chainLines === chain.length) total -= markers;
  }
  let messageTruncated = false;
  if (total > input.budgetTokens) {
    const others = total - cost(current);
    current = truncateToTokens(current, input.budgetTokens - others - MESSAGE_OVERHEAD_TOKENS);
    total = others + cost(current);
    messageTruncated = true;
  }
  return {
    messages: buildMessages(
      system,
      timeline,
      chain.slice(chainLines),
      current,
      input.current.authorName,
      images,
    ),
    dropped: { channelLines, historyTurns, chainLines, messageTruncated },
    estimatedTokens: total,
    ...memoryCut,
  };
}

/** Whether the budget left anything out (the caller logs it). */
export function hasPromptDrops(dropped: PromptDrops): boolean {
  return (
    dropped.channelLines > 0 || dropped.historyTurns > 0 || dropped.chainLines > 0 || dropped.messageTruncated
  );
}

/**
 * History and (in `room` mode) the channel's lines, oldest first. A channel line is left out when it is the
 * current message or came at or after it, is older than the window's age, or repeats the history: a person's
 * message the history holds as a user turn, or this personality's answer to a message the history holds (or
 * to the current message: an answer being regenerated). Of the rest, the newest `messages` lines within
 * `chars` characters are shown.
 */
function buildTimeline(input: PromptInput): TimelineItem[] {
  const history: TimelineItem[] = input.history.map((turn) => ({
    kind: 'history',
    role: turn.role,
    content: turn.content,
    at: turn.at,
    kept: true,
  }));
  if (input.mode !== 'room' || input.channelContext.messages === 0) return history;
  const { current } = input;
  const historyIds = new Set(input.history.flatMap((turn) => [turn.messageId, ...(turn.joinedIds ?? [])]));
  const oldest = current.at - input.channelContext.maxAgeSeconds * 1000;
  const eligible = input.windowLines.filter((line) => {
    if (line.id === current.messageId || line.at >= current.at || line.at < oldest) return false;
    if (line.personalityId === input.personalityId) {
      return (
        line.replyToId === null || (line.replyToId !== current.messageId && !historyIds.has(line.replyToId))
      );
    }
    return line.personalityId !== null || !historyIds.has(line.id);
  });
  const shown: TimelineItem[] = [];
  let chars = 0;
  for (let index = eligible.length - 1; index >= 0; index -= 1) {
    if (shown.length >= input.channelContext.messages) break;
    const line = eligible[index]!;
    const own = line.personalityId === input.personalityId;
    const content = own ? line.content : buildUserTurn(line.name, line.content);
    chars += content.length;
    if (chars > input.channelContext.chars) break;
    shown.push({ kind: 'channel', role: own ? 'assistant' : 'user', content, at: line.at, kept: true });
  }
  shown.reverse();
  // Stable: at equal times the history comes first, as it did in the input.
  return [...history, ...shown].sort((left, right) => left.at - right.at);
}

/** A reply-chain line as quoted in the current turn; the personality's own lines say so. */
function buildChainLine(line: WindowLine, personalityId: string): string {
  const name = line.personalityId === personalityId ? `${line.name} (you)` : line.name;
  return buildUserTurn(name, line.content);
}

/** The reply chain quoted before the current message, each part marked; '' when there is none. */
function buildChainBlock(chain: readonly string[], authorName: string): string {
  const replied = chain.at(-1);
  if (replied === undefined) return '';
  const ancestors = chain.slice(0, -1);
  return [
    ...(ancestors.length === 0 ? [] : ['[Reply chain, oldest first]', ...ancestors]),
    `[The message ${authorName} is replying to]`,
    replied,
    `[${authorName}'s message]`,
    '',
  ].join('\n');
}

/** The chain block's three marker lines (an upper estimate; they are short). */
function estimateChainMarkers(authorName: string): number {
  return 3 * (estimateTokens(authorName) + 12);
}

function buildMessages(
  system: string,
  timeline: readonly TimelineItem[],
  chain: readonly string[],
  current: string,
  authorName: string,
  images: readonly string[],
): ChatMessage[] {
  const turns: Array<{ role: 'user' | 'assistant'; content: string }> = [];
  for (const item of timeline) {
    if (!item.kept) continue;
    // The conversation opens with a user turn: strict templates refuse an assistant turn after the system.
    if (turns.length === 0 && item.role === 'assistant') continue;
    pushMerged(turns, item.role, item.content);
  }
  pushMerged(turns, 'user', buildChainBlock(chain, authorName) + current);
  const last = turns.at(-1)!;
  // Images go with the message answered: its turn's text first, then one part per image, in label order.
  const final: ChatMessage =
    images.length === 0
      ? last
      : {
          role: 'user',
          content: [
            { type: 'text', text: last.content },
            ...images.map((url): ContentPart => ({ type: 'image_url', image_url: { url } })),
          ],
        };
  return [{ role: 'system', content: system }, ...turns.slice(0, -1), final];
}

/** Appends a turn, merged into the previous one when both have the same role (templates need alternation). */
function pushMerged(
  turns: Array<{ role: 'user' | 'assistant'; content: string }>,
  role: 'user' | 'assistant',
  content: string,
): void {
  const last = turns.at(-1);
  if (last?.role === role) turns[turns.length - 1] = { role, content: `${last.content}\n${content}` };
  else turns.push({ role, content });
}

/** Cuts `text` to about `tokens` estimated tokens, marking the cut. */
function truncateToTokens(text: string, tokens: number): string {
  const room = tokens - estimateTokens(TRUNCATION_MARKER) - 1;
  if (room <= 0) return TRUNCATION_MARKER;
  let length = text.length;
  let estimate = estimateTokens(text);
  // The estimate is close to proportional to length: a few proportional cuts converge.
  for (let attempt = 0; attempt < 8 && estimate > room && length > 0; attempt += 1) {
    length = Math.floor((length * room) / estimate) - 1;
    // Never split a surrogate pair.
    if (length > 0 && isHighSurrogate(text.charCodeAt(length - 1))) length -= 1;
    estimate = estimateTokens(text.slice(0, Math.max(0, length)));
  }
  return `${text.slice(0, Math.max(0, length))}\n${TRUNCATION_MARKER}`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function sum<T>(items: readonly T[], value: (item: T) => number): number {
  return items.reduce((total, item) => total + value(item), 0);
}
