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
        parts: ['how are you?'],
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
    ['Bob', ['hi'], 'Bob: hi'],
    ['Bob', [''], 'Bob: (no text)'],
    ['Bob', ['   \n'], 'Bob: (no text)'],
    ['Bob', ['first', 'second', ''], 'Bob: first\nBob: second\nBob: (no text)'],
  ])('%s + %j → %j', (author, parts, expected) => {
    expect(buildUserTurn(author, parts)).toBe(expected);
  });
});

describe('buildChatMessages', () => {
  describe('when back-to-back messages were coalesced', () => {
    it('sends them as one user turn, a line each, every line attributed', () => {
      const messages = buildChatMessages({
        systemPrompt: 'You are Alice.',
        personalityName: 'Alice',
        history: [],
        authorName: 'Bob',
        parts: ['so here is the thing', 'it is long', 'what do you think?'],
      });
      expect(messages.at(-1)).toEqual({
        role: 'user',
        content: 'Bob: so here is the thing\nBob: it is long\nBob: what do you think?',
      });
    });
  });
});
