import type { ConversationTurn } from '../state/index.js';

/**
 * Finds the user message a posted reply answered, from the conversation it belongs to: the newest assistant
 * turn holding the reply's text (a long answer is posted in several messages, each a piece of the turn)
 * names the message it answered. null when the conversation no longer holds it (reset, trimmed, expired) or
 * the message was a notice, which is not remembered.
 */
export function findAnsweredMessageId(
  history: readonly ConversationTurn[],
  replyContent: string,
): string | null {
  const text = replyContent.trim();
  if (text.length === 0) return null;
  for (let index = history.length - 1; index >= 0; index -= 1) {
    const turn = history[index];
    if (turn?.role === 'assistant' && turn.content.includes(text)) return turn.messageId;
  }
  return null;
}

/** Characters that end an `@Name` mention (as the gateway's mention parser reads them). */
const MENTION_END = String.raw`(?=$|[\s,.!?;:)\]'"’])`;

/**
 * Removes `@Name` mentions of the given names (a personality's name and aliases) from a message, as the gateway
 * does when it routes one: the personality is addressed, it does not need to read its own name.
 */
export function stripPersonalityMentions(content: string, names: readonly string[]): string {
  let stripped = content;
  // Longest first, so "@Dr Who" goes before "@Dr" could split it.
  for (const name of [...names].sort((left, right) => right.length - left.length)) {
    const escaped = name
      .trim()
      .replace(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
      .replace(/\s+/g, String.raw`\s+`);
    if (escaped.length === 0) continue;
    stripped = stripped.replace(new RegExp(String.raw`(^|\s)@${escaped}${MENTION_END}`, 'giu'), '$1');
  }
  return stripped.replace(/[ \t]{2,}/g, ' ').trim();
}
