import { describe, expect, it } from 'vitest';
import { buildChatMessages, buildUserTurn } from '../../../src/replies/chat-messages.js';

describe('buildChatMessages', () => {
  it('puts the system prompt first, then history, then the new message with its author', () => {
    expect(
      buildChatMessages({
        systemPrompt: 'You are Alice.',
        personalityName: 'Alice',
        history: [
          { role: 'user', content: 'Bob: hi' },
          { role: 'assistant', content: 'hello Bob' },
        ],
        authorName: 'Bob',
        content: 'how are you?',
      }),
    ).toEqual([
      { role: 'system', content: 'You are Alice.' },
      { role: 'user', content: 'Bob: hi' },
      { role: 'assistant', content: 'hello Bob' },
      { role: 'user', content: 'Bob: how are you?' },
    ]);
  });
});

describe('buildUserTurn', () => {
  it.each([
    ['Bob', 'hi', 'Bob: hi'],
    ['Bob', '', 'Bob: (no text)'],
    ['Bob', '   \n', 'Bob: (no text)'],
  ])('%s + %j → %j', (author, content, expected) => {
    expect(buildUserTurn(author, content)).toBe(expected);
  });
});
