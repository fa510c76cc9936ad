import type { ChatMessage } from '../ai/chat-completion.js';

/** One remembered turn of a conversation. */
export interface HistoryTurn {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

export interface ChatMessagesInput {
  readonly systemPrompt: string;
  readonly personalityName: string;
  readonly history: readonly HistoryTurn[];
  readonly authorName: string;
  /** The message's text, then the follow-ups coalesced with it (docs/fair-queue.md, Coalescing), oldest first. */
  readonly parts: readonly string[];
}

/**
 * The AI request for one reply: the personality's system prompt, the conversation so far, then the new
 * message prefixed with its author's display name (channels are shared; the model should know who speaks);
 * back-to-back messages answered together are one turn, a line each.
 */
export function buildChatMessages(input: ChatMessagesInput): ChatMessage[] {
  return [
    { role: 'system', content: input.systemPrompt },
    ...input.history.map((turn) => ({ role: turn.role, content: turn.content })),
    { role: 'user', content: buildUserTurn(input.authorName, input.parts) },
  ];
}

/**
 * How a user's message is remembered and shown to the model: `Name: text`, one line per part when several of
 * their messages are answered together.
 */
export function buildUserTurn(authorName: string, parts: readonly string[]): string {
  return parts
    .map((content) => `${authorName}: ${content.trim().length > 0 ? content : '(no text)'}`)
    .join('\n');
}
