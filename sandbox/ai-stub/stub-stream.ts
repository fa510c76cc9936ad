import type { ServerResponse } from 'node:http';
import {
  buildChunk,
  buildStreamErrorChunk,
  buildUsageChunk,
  formatSseData,
  splitIntoDeltas,
  splitIntoPieces,
  type Usage,
} from './openai-wire.js';
import type { ReasoningStyle } from './stub-behaviour.js';
import { pause } from './stub-http.js';
import type { MutableRecord } from './stub-records.js';
import type { DeliveryDirectives } from './stub-reply.js';

/** What the stub answers: the text (with `<think>` tags, in that style) and reasoning sent beside it. */
export interface StubAnswer {
  readonly content: string;
  /** How many characters at the start of `content` are the `<think>` block (0 unless `think-tags`). */
  readonly thinkChars: number;
  /** Reasoning sent in `reasoningField`; null when none (or when it is inside `content`). */
  readonly reasoning: string | null;
  readonly reasoningField: 'reasoning_content' | 'reasoning';
}

export function buildAnswer(reply: string, think: string | null, style: ReasoningStyle): StubAnswer {
  if (think === null || style === 'think-tags') {
    const block = think === null ? '' : `<think>${think}</think>${reply === '' ? '' : '\n\n'}`;
    return { content: block + reply, thinkChars: block.length, reasoning: null, reasoningField: 'reasoning' };
  }
  return { content: reply, thinkChars: 0, reasoning: think, reasoningField: style };
}

/** Writes a streamed answer as OpenAI does, with the faults its directives ask for. */
export async function writeStreamedAnswer(
  record: MutableRecord,
  response: ServerResponse,
  signal: AbortSignal,
  stream: {
    readonly id: string;
    readonly created: number;
    readonly model: string;
    readonly answer: StubAnswer;
    /** Sent in a last chunk of its own when the request asked for it; else null. */
    readonly usage: Usage | null;
    readonly directives: DeliveryDirectives;
    readonly chunkDelayMs: number;
    readonly streamChunkChars: number | null;
  },
): Promise<void> {
  const { id, created, model, answer, directives } = stream;
  const chunk = (delta: Parameters<typeof buildChunk>[3], finishReason: 'stop' | null = null) =>
    formatSseData(buildChunk(id, created, model, delta, finishReason));
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  record.status = 200;
  response.write(chunk({ role: 'assistant', content: '' }));
  const deltas: Array<Parameters<typeof buildChunk>[3]> = [
    ...(answer.reasoning === null
      ? []
      : splitIntoDeltas(answer.reasoning).map((piece) => ({ [answer.reasoningField]: piece }))),
    // Small pieces, so `<think>` tags end up split across chunks.
    ...splitIntoPieces(answer.content.slice(0, answer.thinkChars), 5).map((piece) => ({ content: piece })),
    ...(stream.streamChunkChars === null
      ? splitIntoDeltas(answer.content.slice(answer.thinkChars))
      : splitIntoPieces(answer.content.slice(answer.thinkChars), Math.max(1, stream.streamChunkChars))
    ).map((piece) => ({ content: piece })),
  ];
  let sentChars = 0;
  let written: Promise<void> = Promise.resolve();
  for (const delta of deltas) {
    if (directives.streamErrorAfterChars !== null && sentChars >= directives.streamErrorAfterChars) break;
    if (directives.breakAfterChars !== null && sentChars >= directives.breakAfterChars) break;
    if (!(await pause(stream.chunkDelayMs, signal))) return;
    written = new Promise((resolve) => response.write(chunk(delta), () => resolve()));
    if (record.firstChunkAt === null && (delta.content ?? '') !== '') record.firstChunkAt = Date.now();
    sentChars += delta.content?.length ?? 0;
  }
  if (directives.breakAfterChars !== null) {
    // Destroying the socket drops what is not flushed yet: the text goes out first, then the connection.
    await written;
    record.outcome = 'broken';
    response.destroy();
    return;
  }
  if (directives.streamErrorAfterChars !== null) {
    response.write(formatSseData(buildStreamErrorChunk(id, created, model)));
  } else {
    if (!directives.noFinish) response.write(chunk({}, 'stop'));
    if (stream.usage !== null)
      response.write(formatSseData(buildUsageChunk(id, created, model, stream.usage)));
    if (!directives.noDone) response.write(formatSseData('[DONE]'));
  }
  record.answeredAt = Date.now();
  record.outcome = 'answered';
  response.end();
}
