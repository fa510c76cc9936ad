import { describe, expect, it } from 'vitest';
import { readStreamEvent, readUsage } from '../../../src/ai/stream-event.js';

const chunk = (delta: Record<string, unknown>, finishReason: string | null = null, extra = {}) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
    ...extra,
  });

describe('readStreamEvent', () => {
  describe('when the event is a chunk', () => {
    it.each([
      ['the role chunk', chunk({ role: 'assistant', content: '' }), { text: null, reasoning: false }],
      ['text', chunk({ content: 'Hello' }), { text: 'Hello', reasoning: false }],
      ['null content', chunk({ content: null }), { text: null, reasoning: false }],
      [
        'reasoning_content (DeepSeek, vLLM)',
        chunk({ content: null, reasoning_content: 'Let me see' }),
        { text: null, reasoning: true },
      ],
      ["OpenRouter's reasoning", chunk({ reasoning: 'Hmm' }), { text: null, reasoning: true }],
      ['empty reasoning', chunk({ content: 'x', reasoning: '' }), { text: 'x', reasoning: false }],
      ['the finish chunk', chunk({}, 'stop'), { text: null, finishReason: 'stop' }],
      ['a length cut-off', chunk({ content: 'a' }, 'length'), { text: 'a', finishReason: 'length' }],
      [
        'the usage chunk (include_usage)',
        JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }),
        { text: null, usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 } },
      ],
      [
        'a chunk without choices',
        JSON.stringify({ id: 'x' }),
        { text: null, finishReason: null, usage: null },
      ],
    ])('reads %s', (_name, data, expected) => {
      expect(readStreamEvent({ data })).toMatchObject({ kind: 'chunk', ...expected });
    });

    it('reads chunks of named message events', () => {
      expect(readStreamEvent({ event: 'message', data: chunk({ content: 'Hi' }) })).toMatchObject({
        kind: 'chunk',
        text: 'Hi',
      });
    });
  });

  it.each([
    ['[DONE]', { data: '[DONE]' }, { kind: 'done' }],
    ['[DONE] with spaces', { data: ' [DONE] ' }, { kind: 'done' }],
    ['an empty event', { data: '' }, { kind: 'ignored' }],
    ['an unknown event type', { event: 'ping', data: '{}' }, { kind: 'ignored' }],
    ['data that is not JSON', { data: '{"choices": [' }, { kind: 'malformed' }],
    ['a JSON array', { data: '[1]' }, { kind: 'malformed' }],
  ])('reads %s', (_name, event, expected) => {
    expect(readStreamEvent(event)).toMatchObject(expected);
  });

  describe('when the provider reports an error inside the stream', () => {
    it.each([
      [
        'an error object (OpenAI, vLLM)',
        { data: JSON.stringify({ error: { message: 'Overloaded', type: 'server_error', code: null } }) },
        { status: null, code: null, message: 'Overloaded' },
      ],
      [
        "OpenRouter's mid-stream error",
        {
          data: chunk({ content: '' }, 'error', {
            error: { code: 502, message: 'Provider disconnected' },
          }),
        },
        { status: 502, code: null, message: 'Provider disconnected' },
      ],
      [
        'an error with a string code',
        { data: JSON.stringify({ error: { message: 'Too long', code: 'context_length_exceeded' } }) },
        { status: null, code: 'context_length_exceeded', message: 'Too long' },
      ],
      [
        'a string error',
        { data: JSON.stringify({ error: 'boom' }) },
        { status: null, code: null, message: 'boom' },
      ],
      [
        "older vLLM's error object",
        { data: JSON.stringify({ object: 'error', message: 'Bad things', code: 500 }) },
        { status: 500, code: null, message: 'Bad things' },
      ],
      [
        'an `event: error` with JSON',
        { event: 'error', data: JSON.stringify({ message: 'Rate limited', code: 429 }) },
        { status: 429, code: null, message: 'Rate limited' },
      ],
      [
        'an `event: error` with text',
        { event: 'error', data: 'upstream went away' },
        { status: null, code: null, message: 'upstream went away' },
      ],
      [
        'finish_reason "error" alone',
        { data: chunk({}, 'error') },
        { status: null, code: null, message: 'the provider ended the stream with an error' },
      ],
      [
        'a code that is no HTTP status',
        { data: JSON.stringify({ error: { message: 'odd', code: 7 } }) },
        { status: null, code: null, message: 'odd' },
      ],
    ])('reads %s', (_name, event, error) => {
      expect(readStreamEvent(event)).toEqual({ kind: 'error', error });
    });

    it('keeps a long message short', () => {
      const event = { data: JSON.stringify({ error: { message: 'x'.repeat(5_000) } }) };
      const read = readStreamEvent(event);
      expect(read.kind === 'error' && read.error.message).toHaveLength(1_000);
    });
  });
});

describe('readUsage', () => {
  it.each([
    [
      { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
      { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    ],
    [
      { prompt_tokens: 1, completion_tokens: 2 },
      { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
    ],
    [{ prompt_tokens: 1 }, null],
    [null, null],
    ['12', null],
  ])('reads %j', (value, expected) => {
    expect(readUsage(value)).toEqual(expected);
  });
});
