import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompletionStreamReader } from '../../../src/ai/completion-stream-reader.js';

const encoder = new TextEncoder();

const data = (payload: unknown) =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
const delta = (fields: Record<string, unknown>, finishReason: string | null = null) =>
  data({
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: fields, finish_reason: finishReason }],
  });
const usage = data({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } });

/** Reads `body` fed in the given byte pieces; returns the text pieces and the reader. */
function read(pieces: readonly Uint8Array[]): { texts: string[]; reader: CompletionStreamReader } {
  const texts: string[] = [];
  const reader = new CompletionStreamReader((text) => texts.push(text));
  for (const piece of pieces) reader.feed(piece);
  reader.end();
  return { texts, reader };
}

function readWhole(body: string) {
  return read([encoder.encode(body)]);
}

/** Cuts bytes at the given offsets. */
function cutBytes(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((offset) => offset % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.slice(from, point));
    from = point;
  }
  pieces.push(bytes.slice(from));
  return pieces;
}

const OPENAI_STREAM = [
  delta({ role: 'assistant', content: '' }),
  delta({ content: 'Hello' }),
  delta({ content: ' wörld 🦊' }),
  delta({}, 'stop'),
  usage,
  data('[DONE]'),
].join('');

describe('CompletionStreamReader', () => {
  it("reads OpenAI's stream: text, finish reason, usage, [DONE]", () => {
    const { texts, reader } = readWhole(OPENAI_STREAM);
    expect(texts).toEqual(['Hello', ' wörld 🦊']);
    expect(reader).toMatchObject({
      done: true,
      complete: true,
      finishReason: 'stop',
      usage: { promptTokens: 5, completionTokens: 7, totalTokens: 12 },
      reasoningOnly: false,
      failure: null,
    });
  });

  it('gives the same text and end, however the bytes are cut', () => {
    const body = encoder.encode(
      [
        delta({ role: 'assistant', content: '' }),
        delta({ content: '<thi' }),
        delta({ content: 'nk>secret é</th' }),
        delta({ content: 'ink>\n\nVisible 🦊 text' }),
        ': keep-alive comment\n\n',
        delta({ content: ' and more' }),
        delta({}, 'stop'),
        data('[DONE]'),
      ].join(''),
    );
    const whole = read([body]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), (offsets) => {
        const { texts, reader } = read(cutBytes(body, offsets));
        expect(texts.join('')).toBe('Visible 🦊 text and more');
        expect(texts.every((text) => text !== '')).toBe(true);
        expect(reader.finishReason).toBe(whole.reader.finishReason);
        expect(reader.done).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('ends cleanly on [DONE] without a finish reason', () => {
    const { texts, reader } = readWhole(delta({ content: 'Hi' }) + data('[DONE]'));
    expect(texts).toEqual(['Hi']);
    expect(reader).toMatchObject({ done: true, finishReason: null, complete: true });
  });

  it('is complete with a finish reason and no [DONE]', () => {
    const { reader } = readWhole(delta({ content: 'Hi' }) + delta({}, 'stop'));
    expect(reader).toMatchObject({ done: false, finishReason: 'stop', complete: true });
  });

  it('stays complete when what follows the finish reason is cut off', () => {
    const { texts, reader } = readWhole(`${delta({ content: 'Hi' })}${delta({}, 'stop')}data: {"choi`);
    expect(texts).toEqual(['Hi']);
    expect(reader).toMatchObject({ complete: true, failure: null });
  });

  it('is not complete when the body stops mid-way', () => {
    const { texts, reader } = readWhole(delta({ content: 'Hi' }) + delta({ content: ' the' }));
    expect(texts).toEqual(['Hi', ' the']);
    expect(reader.complete).toBe(false);
    expect(reader.failure).toBeNull();
  });

  it('reads a last event that lacks its blank line', () => {
    const { reader } = readWhole(`${delta({ content: 'Hi' })}data: [DONE]\n`);
    expect(reader.done).toBe(true);
  });

  it('ignores what comes after [DONE]', () => {
    const { texts } = readWhole(delta({ content: 'Hi' }) + data('[DONE]') + delta({ content: 'late' }));
    expect(texts).toEqual(['Hi']);
  });

  it.each([
    ['reasoning_content', { reasoning_content: 'thinking…' }],
    ['reasoning', { reasoning: 'thinking…' }],
  ])('never passes %s on as text, and marks a reply of only that', (_name, fields) => {
    const { texts, reader } = readWhole(
      delta({ content: null, ...fields }) + delta({}, 'stop') + data('[DONE]'),
    );
    expect(texts).toEqual([]);
    expect(reader).toMatchObject({ reasoningOnly: true, sawContent: true, sawVisibleText: false });
  });

  it('marks a reply of only a <think> block as reasoning only, an empty one not', () => {
    expect(readWhole(delta({ content: '<think>hmm</think>' }) + data('[DONE]')).reader.reasoningOnly).toBe(
      true,
    );
    expect(readWhole(delta({ content: '' }) + data('[DONE]')).reader.reasoningOnly).toBe(false);
  });

  it('counts reasoning as the model answering, the role chunk not', () => {
    const texts: string[] = [];
    const reader = new CompletionStreamReader((text) => texts.push(text));
    reader.feed(encoder.encode(delta({ role: 'assistant', content: '' })));
    expect(reader.sawContent).toBe(false);
    reader.feed(encoder.encode(delta({ reasoning: 'a' })));
    expect(reader.sawContent).toBe(true);
  });

  it('stops at an error event, after the text before it', () => {
    const { texts, reader } = readWhole(
      delta({ content: 'Partial' }) +
        data({
          error: { code: 502, message: 'Provider disconnected' },
          choices: [{ delta: {}, finish_reason: 'error' }],
        }) +
        delta({ content: 'ignored' }) +
        data('[DONE]'),
    );
    expect(texts).toEqual(['Partial']);
    expect(reader.failure).toEqual({
      kind: 'error-event',
      error: { status: 502, code: null, message: 'Provider disconnected' },
    });
    expect(reader.done).toBe(false);
  });

  it('fails on data that is not JSON', () => {
    expect(readWhole(data('{"choices": [')).reader.failure).toMatchObject({ kind: 'malformed' });
  });

  it('fails on a runaway line rather than buffer it', () => {
    const reader = new CompletionStreamReader(() => undefined);
    reader.feed(encoder.encode(`data: ${'x'.repeat(1024 * 1024 + 10)}`));
    expect(reader.failure).toMatchObject({ kind: 'malformed' });
    reader.end();
  });

  it('ignores unknown fields and comments', () => {
    const { texts, reader } = readWhole(`: hello\n\nfoo: bar\n${delta({ content: 'ok' })}${data('[DONE]')}`);
    expect(texts).toEqual(['ok']);
    expect(reader.failure).toBeNull();
  });
});
