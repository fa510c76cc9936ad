import type { ChatMessage } from './chat-completion.js';

/** Messages after trimming, and how many were dropped. */
export interface TrimResult {
  readonly messages: ChatMessage[];
  readonly dropped: number;
}

/**
 * Makes room after a context-length error: keeps the system message(s) and the last user message, and drops
 * the oldest half (rounded up) of everything else. If the oldest kept history message is then an assistant
 * reply, it goes too, so the history still opens with a user turn (strict chat templates, e.g. Mistral's and
 * Anthropic-compatible APIs, refuse an assistant turn right after the system prompt). `dropped` is 0 when
 * there is no history left to drop.
 */
export function trimOldestHistory(messages: readonly ChatMessage[]): TrimResult {
  const lastUserIndex = messages.findLastIndex((message) => message.role === 'user');
  const history: number[] = [];
  messages.forEach((message, index) => {
    if (message.role !== 'system' && index !== lastUserIndex) history.push(index);
  });
  let dropCount = Math.ceil(history.length / 2);
  const firstKept = history[dropCount];
  if (firstKept !== undefined && messages[firstKept]!.role === 'assistant') dropCount += 1;
  const droppedIndexes = new Set(history.slice(0, dropCount));
  return {
    messages: messages.filter((_message, index) => !droppedIndexes.has(index)),
    dropped: droppedIndexes.size,
  };
}
