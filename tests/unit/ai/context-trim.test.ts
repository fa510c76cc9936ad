import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../../../src/ai/chat-completion.js';
import { trimOldestHistory } from '../../../src/ai/context-trim.js';

/** `s` system, `u1` user turn 1, `a1` assistant turn 1… */
function conversation(...labels: string[]): ChatMessage[] {
  return labels.map((label) => ({
    role: label === 's' ? 'system' : label.startsWith('u') ? 'user' : 'assistant',
    content: label,
  }));
}

const labels = (messages: readonly ChatMessage[]) => messages.map((message) => message.content);

describe('trimOldestHistory', () => {
  it.each([
    [
      '8 history turns: drops the oldest 4',
      ['s', 'u1', 'a1', 'u2', 'a2', 'u3', 'a3', 'u4', 'a4', 'u5'],
      ['s', 'u3', 'a3', 'u4', 'a4', 'u5'],
      4,
    ],
    [
      'an odd history: rounds up, then drops the leading assistant',
      ['s', 'u1', 'a1', 'u2', 'a2', 'u3', 'a3', 'u4'],
      ['s', 'u3', 'a3', 'u4'],
      4,
    ],
    ['2 history turns', ['s', 'u1', 'a1', 'u2'], ['s', 'u2'], 2],
    ['1 history turn', ['s', 'a1', 'u2'], ['s', 'u2'], 1],
    ['no system prompt', ['u1', 'a1', 'u2', 'a2', 'u3'], ['u2', 'a2', 'u3'], 2],
    ['nothing but the system prompt and the last message', ['s', 'u1'], ['s', 'u1'], 0],
    ['only the last message', ['u1'], ['u1'], 0],
    ['consecutive user turns', ['s', 'u1', 'u2', 'u3', 'u4', 'u5'], ['s', 'u3', 'u4', 'u5'], 2],
  ])('%s', (_name, input, expected, dropped) => {
    const result = trimOldestHistory(conversation(...input));
    expect(labels(result.messages)).toEqual(expected);
    expect(result.dropped).toBe(dropped);
  });

  it('keeps every system message wherever it sits', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'first' },
      { role: 'user', content: 'u1' },
      { role: 'system', content: 'second' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'u2' },
    ];
    expect(labels(trimOldestHistory(messages).messages)).toEqual(['first', 'second', 'u2']);
  });

  it('does not modify its input', () => {
    const input = conversation('s', 'u1', 'a1', 'u2');
    trimOldestHistory(input);
    expect(labels(input)).toEqual(['s', 'u1', 'a1', 'u2']);
  });
});
