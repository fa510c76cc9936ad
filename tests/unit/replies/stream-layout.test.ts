import { describe, expect, it } from 'vitest';
import { splitIntoDeltas } from '../../../sandbox/ai-stub/openai-wire.js';
import { buildLongReply } from '../../../sandbox/ai-stub/stub-reply.js';
import { StreamLayout } from '../../../src/replies/stream-layout.js';
import { cutFirstMessage } from '../../../src/webhooks/index.js';
import { contentOf, isBalanced } from '../../support/markdown-oracle.js';

const QUOTE = '> **Bob** · [jump](https://discord.com/channels/1/2/3)\n';

function stream(text: string, prefix = '', pieces = splitIntoDeltas(text)): StreamLayout {
  const layout = new StreamLayout({ prefix, maxLength: 2000 });
  for (const piece of pieces) layout.append(piece);
  return layout;
}

describe('StreamLayout', () => {
  describe('when the text fits one message', () => {
    it('shows it as it grows, the quote line on the first message', () => {
      const layout = new StreamLayout({ prefix: QUOTE, maxLength: 2000 });
      expect(layout.messages()).toEqual([]);
      layout.append('Hello');
      expect(layout.messages()).toEqual([`${QUOTE}Hello`]);
      layout.append(' world');
      expect(layout.messages()).toEqual([`${QUOTE}Hello world`]);
      expect(layout.text).toBe('Hello world');
    });

    it('closes a code block still being written, for display', () => {
      const layout = stream('Look:\n\n```ts\nconst a = 1;');
      expect(layout.messages()).toEqual(['Look:\n\n```ts\nconst a = 1;\n```']);
    });
  });

  describe('when the text overflows', () => {
    it('closes each full message where the splitter cuts, balanced, and goes on in the next', () => {
      const text = buildLongReply(4500);
      const layout = stream(text, QUOTE);
      const messages = layout.messages();
      expect(messages).toHaveLength(3);
      expect(layout.frozenCount).toBe(2);
      for (const message of messages) {
        expect(message.length).toBeLessThanOrEqual(2000);
        expect(isBalanced(message)).toBe(true);
      }
      expect(messages[0]!.startsWith(QUOTE)).toBe(true);
      expect(messages.slice(1).some((message) => message.startsWith(QUOTE))).toBe(false);
      expect(messages.map(contentOf).join('')).toBe(contentOf(QUOTE + text));
    });

    it('freezes a message the moment it is full, as the splitter cuts the text up to there', () => {
      const text = buildLongReply(4500);
      const layout = new StreamLayout({ prefix: '', maxLength: 2000 });
      let seen = '';
      for (const piece of splitIntoDeltas(text)) {
        layout.append(piece);
        seen += piece;
        if (layout.frozenCount === 1) break;
      }
      expect(layout.messages()[0]).toBe(cutFirstMessage(seen)?.first);
      const frozen = layout.messages()[0];
      for (const piece of splitIntoDeltas(text.slice(seen.length))) layout.append(piece);
      expect(layout.messages()[0]).toBe(frozen);
    });

    it('reopens a code block it was cut in, with its language', () => {
      const code = ['```ts', ...Array.from({ length: 120 }, (_, i) => `const value${i} = ${i} * 2;`), '```'];
      const layout = stream(`Here:\n\n${code.join('\n')}\n\nDone.`);
      const messages = layout.messages();
      expect(messages.length).toBeGreaterThan(1);
      expect(messages[0]!.endsWith('\n```')).toBe(true);
      expect(messages[1]!.startsWith('```ts\n')).toBe(true);
      for (const message of messages) expect(isBalanced(message)).toBe(true);
    });

    it('lays the same text out alike whether it comes a character or a sentence at a time', () => {
      const text = buildLongReply(3000);
      const byChar = stream(text, '', Array.from(text)).messages();
      const whole = stream(text, '', [text]).messages();
      for (const messages of [byChar, whole]) {
        for (const message of messages) expect(message.length).toBeLessThanOrEqual(2000);
        expect(messages.map(contentOf).join('')).toBe(contentOf(text));
      }
    });
  });

  describe('when the stream breaks', () => {
    it('ends the open message with the marker, after its trailing whitespace', () => {
      const layout = stream('Half an answer ');
      layout.end(' … (interrupted)');
      expect(layout.messages()).toEqual(['Half an answer … (interrupted)']);
      expect(layout.text).toBe('Half an answer … (interrupted)');
    });
  });
});
