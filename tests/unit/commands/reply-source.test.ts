import { describe, expect, it } from 'vitest';
import { findAnsweredMessageId, stripPersonalityMentions } from '../../../src/commands/reply-source.js';
import type { ConversationTurn } from '../../../src/state/index.js';

const turn = (role: ConversationTurn['role'], content: string, messageId: string): ConversationTurn => ({
  role,
  content,
  messageId,
  at: 0,
});

describe('findAnsweredMessageId', () => {
  const history = [
    turn('user', 'Olive: hi', '100'),
    turn('assistant', 'Hello Olive, how are you?', '100'),
    turn('user', 'Olive: tell me a story', '200'),
    turn('assistant', 'Once upon a time… (part one) and then (part two).', '200'),
  ];

  describe('when the reply is in the conversation', () => {
    it('finds the message a whole reply answered', () => {
      expect(findAnsweredMessageId(history, 'Hello Olive, how are you?')).toBe('100');
    });

    it('finds it from one piece of a split reply', () => {
      expect(findAnsweredMessageId(history, '  and then (part two).\n')).toBe('200');
    });

    it('prefers the newest turn when two replies share the text', () => {
      const repeated = [
        ...history,
        turn('user', 'Olive: again', '300'),
        turn('assistant', 'Hello Olive, how are you?', '300'),
      ];
      expect(findAnsweredMessageId(repeated, 'Hello Olive, how are you?')).toBe('300');
    });
  });

  describe('when it is not', () => {
    it.each([
      ['unknown text', 'Something else entirely'],
      ['empty text', '   '],
      ['the user’s own words', 'Olive: hi'],
    ])('returns null for %s', (_label, content) => {
      expect(findAnsweredMessageId(history, content)).toBeNull();
    });
  });
});

describe('stripPersonalityMentions', () => {
  it.each([
    ['@Alice hello', ['Alice'], 'hello'],
    ['hello @alice!', ['Alice'], 'hello !'],
    ['@Dr Who, and @Dr', ['Dr', 'Dr Who'], ', and'],
    ['email@Alice.com stays', ['Alice'], 'email@Alice.com stays'],
    ['@Alicex is someone else', ['Alice'], '@Alicex is someone else'],
    ['@Ally and @Bob', ['Alice', 'Ally'], 'and @Bob'],
    ['@A.I. what now', ['A.I.'], 'what now'],
  ])('turns %j into %j', (content, names, expected) => {
    expect(stripPersonalityMentions(content, names)).toBe(expected);
  });
});
