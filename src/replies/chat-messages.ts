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
  readonly content: string;
}

/**
 * The AI request for one reply: the personality's system prompt, the conversation so far, then the new
 * message prefixed with its author's display name (channels are shared; the model should know who speaks).
 */
export function buildChatMessages(input: ChatMessagesInput): ChatMessage[] {
  return [
    { role: 'system', content: input.systemPrompt },
    ...input.history.map((turn) => ({ role: turn.role, content: turn.content })),
    { role: 'user', content: buildUserTurn(input.authorName, input.content) },
  ];
}

/** How a user's message is remembered and shown to the model. */
export function buildUserTurn(authorName: string, content: string): string {
  const text = content.trim().length > 0 ? content : '(no text)';
  return `${authorName}: ${text}`;
}
