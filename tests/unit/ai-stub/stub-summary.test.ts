import { describe, expect, it } from 'vitest';
import { buildStubReply } from '../../../sandbox/ai-stub/index.js';
import { buildSummaryMessages } from '../../../src/memory/index.js';

function text(messages: ReturnType<typeof buildSummaryMessages>) {
  return messages.map((message) => ({ role: message.role, content: String(message.content) }));
}

describe('buildStubReply', () => {
  describe('when asked to summarize by Chorus’s summarization prompt', () => {
    it('keeps the fact lines of the previous summary and the new turns, once each, in order', () => {
      const messages = buildSummaryMessages('fact: Kate keeps bees', [
        {
          role: 'user',
          content: 'Kate: hello, fact: my cat is Biscuit',
          messageId: '1',
          at: 1,
          id: 'user:1:1',
        },
        { role: 'assistant', content: 'Nice!', messageId: '1', at: 2, id: 'assistant:1:2' },
        { role: 'user', content: 'Kate: fact: Kate keeps bees', messageId: '2', at: 3, id: 'user:2:3' },
      ]);
      expect(buildStubReply('stub-small', text(messages))).toBe(
        'fact: Kate keeps bees\nfact: my cat is Biscuit',
      );
    });

    it('says so when there is nothing to keep', () => {
      const messages = buildSummaryMessages(null, [
        { role: 'user', content: 'Kate: hi', messageId: '1', at: 1, id: 'user:1:1' },
      ]);
      expect(buildStubReply('stub-small', text(messages))).toBe('(nothing to remember)');
    });
  });

  describe('when the last message says !recall', () => {
    it('answers with the system prompt’s fact lines', () => {
      expect(
        buildStubReply('stub-small', [
          { role: 'system', content: 'You are Alice.\n\n[Memory]\nfact: my cat is Biscuit\nfact: bees' },
          { role: 'user', content: 'Kate: !recall' },
        ]),
      ).toBe('recalled: fact: my cat is Biscuit | fact: bees');
      expect(
        buildStubReply('stub-small', [
          { role: 'system', content: 'You are Alice.' },
          { role: 'user', content: 'Kate: !recall' },
        ]),
      ).toBe('recalled: nothing');
    });
  });
});
