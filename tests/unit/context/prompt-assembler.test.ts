import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/ai/index.js';
import type { PromptAttachment } from '../../../src/context/attachment-labels.js';
import { NOTES_HEADING, SUMMARY_HEADING } from '../../../src/context/memory-block.js';
import {
  assemblePrompt,
  buildMessageLines,
  buildUserTurn,
  computePromptBudget,
  estimatePromptTokens,
  findContextTokens,
  hasPromptDrops,
  type PromptInput,
  TRUNCATION_MARKER,
} from '../../../src/context/prompt-assembler.js';
import { IMAGE_TOKENS } from '../../../src/context/token-estimate.js';
import type { WindowLine } from '../../../src/context/window-line.js';
import type { ConversationTurn } from '../../../src/state/index.js';

const ALICE = 'alicepersona1';
const BOB = 'bobpersona001';
const T0 = Date.UTC(2026, 5, 1, 12);
const MINUTE = 60_000;

/** Message ids in time order: `id(3)` was posted at T0 + 3 min. */
function id(minute: number): string {
  return String(100_000_000_000_000_000n + BigInt(minute));
}

function line(
  minute: number,
  name: string,
  content: string,
  overrides: Partial<WindowLine> = {},
): WindowLine {
  return {
    id: id(minute),
    at: T0 + minute * MINUTE,
    name,
    content,
    replyToId: null,
    personalityId: null,
    userId: '200000000000000001',
    ...overrides,
  };
}

function own(minute: number, content: string, answers: number | null): WindowLine {
  return line(minute, 'Alice', content, {
    personalityId: ALICE,
    userId: null,
    replyToId: answers === null ? null : id(answers),
  });
}

function turn(role: 'user' | 'assistant', content: string, minute: number, at = minute): ConversationTurn {
  return { role, content, messageId: id(minute), at: T0 + at * MINUTE };
}

/** A message's text: its content, or the text part of one with images. */
function textOf(message: ChatMessage | undefined): string {
  const content = message?.content ?? '';
  if (typeof content === 'string') return content;
  return content.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('\n');
}

function words(count: number): string {
  return Array.from({ length: count }, () => 'word').join(' ');
}

function input(overrides: Partial<PromptInput> = {}): PromptInput {
  return {
    systemPrompt: 'You are Alice.',
    personalityId: ALICE,
    personalityName: 'Alice',
    mode: 'room',
    windowLines: [],
    history: [],
    chain: [],
    current: { authorName: 'Kate', parts: ['hello Alice'], messageId: id(100), at: T0 + 100 * MINUTE },
    channelContext: { messages: 30, chars: 12_000, maxAgeSeconds: 6 * 3600 },
    budgetTokens: 28_672,
    ...overrides,
  };
}

describe('assemblePrompt', () => {
  describe('with memory', () => {
    it('puts the summary and notes after the system prompt, ahead of the history', () => {
      const prompt = assemblePrompt(
        input({
          mode: 'personal',
          history: [turn('user', 'Kate: hi', 10), turn('assistant', 'hello Kate', 10, 11)],
          memory: {
            summary: 'fact: Kate keeps bees.',
            notes: ['I am vegetarian'],
            summaryShare: 0.15,
            notesShare: 0.1,
          },
        }),
      );
      expect(prompt.messages[0]).toEqual({
        role: 'system',
        content: `You are Alice.\n\n${SUMMARY_HEADING}\nfact: Kate keeps bees.\n${NOTES_HEADING}\n- I am vegetarian`,
      });
      expect(prompt.messages.slice(1).map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
      expect(prompt.memoryCut).toEqual({ summaryCut: false, notesDropped: 0 });
    });

    it('keeps the memory when the budget drops history', () => {
      const history = Array.from({ length: 40 }, (_, index) =>
        turn(index % 2 ? 'assistant' : 'user', words(100), index),
      );
      const prompt = assemblePrompt(
        input({
          mode: 'personal',
          history,
          budgetTokens: 2000,
          memory: { summary: 'fact: Kate keeps bees.', notes: [], summaryShare: 0.15, notesShare: 0.1 },
        }),
      );
      expect(prompt.dropped.historyTurns).toBeGreaterThan(0);
      expect(textOf(prompt.messages[0])).toContain('fact: Kate keeps bees.');
      expect(prompt.estimatedTokens).toBeLessThanOrEqual(2000);
    });
  });

  describe('in personal mode', () => {
    it('sends the system prompt, the history, then the message with its author, as before', () => {
      const prompt = assemblePrompt(
        input({
          mode: 'personal',
          windowLines: [line(50, 'Sam', 'not shown')],
          history: [turn('user', 'Kate: hi', 10), turn('assistant', 'hello Kate', 10, 11)],
          current: { authorName: 'Kate', parts: ['how are you?'], messageId: id(100), at: T0 + 100 * MINUTE },
        }),
      );
      expect(prompt.messages).toEqual([
        { role: 'system', content: 'You are Alice.' },
        { role: 'user', content: 'Kate: hi' },
        { role: 'assistant', content: 'hello Kate' },
        { role: 'user', content: 'Kate: how are you?' },
      ]);
      expect(hasPromptDrops(prompt.dropped)).toBe(false);
    });

    it('says so when the message has no text', () => {
      const prompt = assemblePrompt(
        input({ mode: 'personal', current: { authorName: 'Kate', parts: ['  '], messageId: id(1), at: T0 } }),
      );
      expect(prompt.messages.at(-1)).toEqual({ role: 'user', content: 'Kate: (no text)' });
    });
  });

  describe('in room mode', () => {
    it('merges the channel lines with the history, oldest first, attributed', () => {
      const prompt = assemblePrompt(
        input({
          windowLines: [
            line(1, 'Sam', 'morning all'),
            line(3, 'Dr Who', 'Allons-y!', { personalityId: BOB, userId: '200000000000000002' }),
            own(6, 'Hello Sam', 5),
          ],
          history: [turn('user', 'Kate: anyone here?', 2), turn('assistant', 'I am, Kate', 2, 4)],
        }),
      );
      expect(prompt.messages).toEqual([
        { role: 'system', content: 'You are Alice.' },
        { role: 'user', content: 'Sam: morning all\nKate: anyone here?\nDr Who: Allons-y!' },
        { role: 'assistant', content: 'I am, Kate\nHello Sam' },
        { role: 'user', content: 'Kate: hello Alice' },
      ]);
    });

    it('leaves out lines the history already holds, and the answer being regenerated', () => {
      const prompt = assemblePrompt(
        input({
          windowLines: [
            line(2, 'Kate', 'anyone here?'),
            own(3, 'I am, Kate', 2),
            line(4, 'Sam', 'me too'),
            own(99, 'my first answer', 100),
          ],
          history: [turn('user', 'Kate: anyone here?', 2), turn('assistant', 'I am, Kate', 2, 3)],
        }),
      );
      expect(prompt.messages.map((message) => message.content)).toEqual([
        'You are Alice.',
        'Kate: anyone here?',
        'I am, Kate',
        'Sam: me too\nKate: hello Alice',
      ]);
    });

    it('keeps another personality’s answer to a message the history holds', () => {
      const prompt = assemblePrompt(
        input({
          windowLines: [
            line(3, 'Dr Who', 'Kate, hello', { personalityId: BOB, replyToId: id(2), userId: null }),
          ],
          history: [turn('user', 'Kate: hi both', 2), turn('assistant', 'hi Kate', 2, 4)],
        }),
      );
      expect(prompt.messages[1]).toEqual({ role: 'user', content: 'Kate: hi both\nDr Who: Kate, hello' });
    });

    it('shows nothing from the current message on, nor older than the window’s age', () => {
      const prompt = assemblePrompt(
        input({
          windowLines: [
            line(-400, 'Sam', 'too old'),
            line(99, 'Sam', 'just before'),
            line(100, 'Kate', 'hello Alice'),
            line(101, 'Sam', 'after'),
          ],
        }),
      );
      expect(prompt.messages.map((message) => message.content)).toEqual([
        'You are Alice.',
        'Sam: just before\nKate: hello Alice',
      ]);
    });

    it('keeps the newest lines within CHANNEL_CONTEXT_MESSAGES and CHANNEL_CONTEXT_CHARS', () => {
      const lines = Array.from({ length: 10 }, (_, minute) => line(minute, 'Sam', `line ${minute}`));
      const byCount = assemblePrompt(
        input({ windowLines: lines, channelContext: { messages: 3, chars: 12_000, maxAgeSeconds: 21_600 } }),
      );
      expect(byCount.messages[1]?.content).toBe('Sam: line 7\nSam: line 8\nSam: line 9\nKate: hello Alice');
      // "Sam: line 9" is 11 characters: 25 hold two lines.
      const byChars = assemblePrompt(
        input({ windowLines: lines, channelContext: { messages: 30, chars: 25, maxAgeSeconds: 21_600 } }),
      );
      expect(byChars.messages[1]?.content).toBe('Sam: line 8\nSam: line 9\nKate: hello Alice');
      // Budget drops are reported; configured limits are not.
      expect(hasPromptDrops(byChars.dropped)).toBe(false);
    });

    it('never opens with an assistant turn after the system prompt', () => {
      const prompt = assemblePrompt(
        input({ windowLines: [own(1, 'I spoke first', null), line(2, 'Sam', 'then me')] }),
      );
      expect(prompt.messages.map((message) => message.role)).toEqual(['system', 'user']);
    });

    it('alternates roles strictly', () => {
      const prompt = assemblePrompt(
        input({
          windowLines: [
            line(1, 'Sam', 'a'),
            own(2, 'b', null),
            own(3, 'c', null),
            line(4, 'Dr Who', 'd', { personalityId: BOB, userId: null }),
            line(5, 'Sam', 'e'),
          ],
          history: [turn('assistant', 'orphan answer', 0)],
        }),
      );
      const roles = prompt.messages.map((message) => message.role);
      expect(roles).toEqual(['system', 'user', 'assistant', 'user']);
      expect(prompt.messages[2]?.content).toBe('b\nc');
    });
  });

  describe('when the message replies to another', () => {
    it('quotes the chain before the message, the replied-to message marked', () => {
      const prompt = assemblePrompt(
        input({
          mode: 'personal',
          chain: [
            line(1, 'Sam', 'what is 2+2?'),
            own(2, 'four', 1),
            line(3, 'Dr Who', 'five, in some universes', { personalityId: BOB, userId: null }),
          ],
          current: { authorName: 'Kate', parts: ['no it is not'], messageId: id(100), at: T0 + 100 * MINUTE },
        }),
      );
      expect(prompt.messages.at(-1)?.content).toBe(
        [
          '[Reply chain, oldest first]',
          'Sam: what is 2+2?',
          'Alice (you): four',
          '[The message Kate is replying to]',
          'Dr Who: five, in some universes',
          "[Kate's message]",
          'Kate: no it is not',
        ].join('\n'),
      );
    });

    it('marks a lone replied-to message without a chain header', () => {
      const prompt = assemblePrompt(input({ chain: [line(1, 'Sam', 'the sky is green')] }));
      expect(prompt.messages.at(-1)?.content).toBe(
        "[The message Kate is replying to]\nSam: the sky is green\n[Kate's message]\nKate: hello Alice",
      );
    });
  });

  describe('when back-to-back messages were coalesced', () => {
    it('puts each part on its own attributed line', () => {
      const prompt = assemblePrompt(
        input({
          current: {
            authorName: 'Kate',
            parts: ['first', 'second', 'third'],
            messageId: id(100),
            at: T0 + 100 * MINUTE,
          },
        }),
      );
      expect(prompt.messages.at(-1)?.content).toBe('Kate: first\nKate: second\nKate: third');
    });
  });

  describe('when the prompt exceeds the budget', () => {
    const crowded = (budgetTokens: number) =>
      assemblePrompt(
        input({
          windowLines: [1, 2, 3, 4].map((n) => line(n * 10, 'Sam', `line ${n}: ${words(100)}`)),
          history: [
            turn('user', `Kate: ${words(100)}`, 5),
            turn('assistant', words(100), 5, 6),
            turn('user', `Kate: ${words(100)}`, 25),
            turn('assistant', words(100), 25, 26),
          ],
          chain: [line(1, 'Sam', `first ${words(50)}`), line(2, 'Sam', `second ${words(50)}`)],
          budgetTokens,
        }),
      );
    const full = estimatePromptTokens(crowded(1_000_000).messages);

    it('drops the oldest channel lines first, then the oldest history, then the chain', () => {
      const seen = { channel: false, history: false, chain: false };
      for (let budget = full + 100; budget >= 100; budget -= 20) {
        const { dropped, estimatedTokens } = crowded(budget);
        if (dropped.historyTurns > 0) expect(dropped.channelLines).toBe(4);
        if (dropped.chainLines > 0) expect(dropped.historyTurns).toBe(4);
        if (dropped.messageTruncated) expect(dropped.chainLines).toBe(2);
        expect(estimatedTokens).toBeLessThanOrEqual(budget);
        seen.channel ||= dropped.channelLines > 0;
        seen.history ||= dropped.historyTurns > 0;
        seen.chain ||= dropped.chainLines > 0;
      }
      expect(seen).toEqual({ channel: true, history: true, chain: true });
    });

    it('keeps the newest lines, the system prompt and the current message', () => {
      const prompt = crowded(full - 100);
      expect(prompt.dropped).toMatchObject({ historyTurns: 0, chainLines: 0, messageTruncated: false });
      expect(prompt.dropped.channelLines).toBeGreaterThan(0);
      const text = prompt.messages.map((message) => message.content).join('\n');
      expect(text).not.toContain('line 1:');
      expect(text).toContain('line 4:');
      expect(prompt.messages[0]).toEqual({ role: 'system', content: 'You are Alice.' });
      expect(textOf(prompt.messages.at(-1)).endsWith('Kate: hello Alice')).toBe(true);
    });

    it('drops the chain’s oldest ancestors before the message replied to', () => {
      let budget = full;
      while (crowded(budget).dropped.chainLines === 0) budget -= 10;
      const content = crowded(budget).messages.at(-1)?.content ?? '';
      expect(content).not.toContain('Sam: first');
      expect(content).toContain('[The message Kate is replying to]\nSam: second');
    });

    it('cuts the current message only when it alone does not fit, marking the cut', () => {
      const prompt = assemblePrompt(
        input({
          history: [turn('user', 'Kate: hi', 1), turn('assistant', 'hello', 1, 2)],
          current: { authorName: 'Kate', parts: [words(2000)], messageId: id(100), at: T0 + 100 * MINUTE },
          budgetTokens: 500,
        }),
      );
      expect(prompt.dropped).toEqual({
        channelLines: 0,
        historyTurns: 2,
        chainLines: 0,
        messageTruncated: true,
      });
      expect(prompt.messages).toHaveLength(2);
      const content = textOf(prompt.messages[1]);
      expect(content.startsWith('Kate: word word')).toBe(true);
      expect(content.endsWith(TRUNCATION_MARKER)).toBe(true);
      expect(estimatePromptTokens(prompt.messages)).toBeLessThanOrEqual(500);
    });
  });
});

describe('assemblePrompt with attachments', () => {
  const cat: PromptAttachment = {
    kind: 'image',
    filename: 'cat.png',
    fromReply: false,
    imageUrl: 'data:image/png;base64,AAAA',
  };

  it('names every attachment after the first part and sends the shown images as parts of the last turn', () => {
    const prompt = assemblePrompt(
      input({
        history: [turn('user', 'Kate: hi', 10), turn('assistant', 'hello Kate', 10, 11)],
        current: {
          authorName: 'Kate',
          parts: ['what is this?', 'and this?'],
          messageId: id(100),
          at: T0 + 100 * MINUTE,
          attachments: [
            cat,
            { kind: 'image', filename: 'big.png', fromReply: false, leftOut: 'too-large' },
            { kind: 'text', filename: 'notes.md', fromReply: false, text: 'uses ``` fences\n' },
            { kind: 'other', filename: 'clip.mp4', fromReply: false, leftOut: 'unsupported-type' },
            {
              kind: 'image',
              filename: 'dog.png',
              fromReply: true,
              imageUrl: 'https://cdn.discordapp.com/dog.png',
            },
          ],
        },
      }),
    );
    expect(prompt.messages.at(-1)).toEqual({
      role: 'user',
      content: [
        {
          type: 'text',
          text: [
            'Kate: what is this?',
            '[image: cat.png]',
            '[image: big.png (not shown)]',
            '[file: notes.md]',
            '````md',
            'uses ``` fences',
            '````',
            '[attachment: clip.mp4]',
            '[image from the message replied to: dog.png]',
            'Kate: and this?',
          ].join('\n'),
        },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        { type: 'image_url', image_url: { url: 'https://cdn.discordapp.com/dog.png' } },
      ],
    });
    // Every earlier turn stays plain text.
    expect(prompt.messages.slice(0, -1).every((message) => typeof message.content === 'string')).toBe(true);
  });

  it('names the images of a message with no text, and sends plain text when none is shown', () => {
    const prompt = assemblePrompt(
      input({
        current: {
          authorName: 'Kate',
          parts: [''],
          messageId: id(100),
          at: T0 + 100 * MINUTE,
          attachments: [{ kind: 'image', filename: 'cat.png', fromReply: false }],
        },
      }),
    );
    expect(prompt.messages.at(-1)).toEqual({ role: 'user', content: 'Kate: [image: cat.png]' });
  });

  it('counts each image at a fixed cost, and never drops it: older turns go first', () => {
    const history = Array.from({ length: 20 }, (_, index) => [
      turn('user', `Kate: question ${index} ${words(100)}`, index * 2),
      turn('assistant', `answer ${index} ${words(100)}`, index * 2, index * 2 + 1),
    ]).flat();
    const withImages = (count: number) =>
      input({
        mode: 'personal',
        history,
        current: {
          authorName: 'Kate',
          parts: ['look'],
          messageId: id(100),
          at: T0 + 100 * MINUTE,
          attachments: Array.from({ length: count }, () => cat),
        },
        budgetTokens: 4 * IMAGE_TOKENS,
      });
    const plain = assemblePrompt(withImages(0));
    const two = assemblePrompt(withImages(2));
    expect(two.estimatedTokens).toBeLessThanOrEqual(4 * IMAGE_TOKENS);
    expect(two.dropped.historyTurns).toBeGreaterThan(plain.dropped.historyTurns);
    expect(estimatePromptTokens(two.messages)).toBeGreaterThanOrEqual(2 * IMAGE_TOKENS);
    const last = two.messages.at(-1)?.content;
    expect(Array.isArray(last) && last.filter((part) => part.type === 'image_url')).toHaveLength(2);
  });
});

describe('computePromptBudget', () => {
  it.each([
    [32_768, 28_672],
    [8_192, 6_144],
    [1_024, 768],
    [200_000, 195_904],
  ])('leaves a %i-token model %i tokens of prompt', (context, budget) => {
    expect(computePromptBudget(context)).toBe(budget);
  });
});

describe('findContextTokens', () => {
  const providers = new Map([
    ['main', { contextTokens: new Map([['big', 128_000]]), defaultContextTokens: 32_768 }],
  ]);

  it('reads the model’s own length, else the provider’s default', () => {
    expect(findContextTokens(providers, 'main', 'big')).toBe(128_000);
    expect(findContextTokens(providers, 'main', 'other')).toBe(32_768);
  });

  it('sets no limit for an unknown provider (its call is refused anyway)', () => {
    expect(findContextTokens(providers, 'gone', 'big')).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('buildUserTurn and buildMessageLines', () => {
  it.each([
    ['Bob', 'hi', 'Bob: hi'],
    ['Bob', '', 'Bob: (no text)'],
    ['Bob', '   \n', 'Bob: (no text)'],
  ])('%s + %j → %j', (author, content, expected) => {
    expect(buildUserTurn(author, content)).toBe(expected);
    expect(buildMessageLines(author, [content])).toBe(expected);
  });
});
