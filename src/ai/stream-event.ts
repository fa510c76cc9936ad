/**
 * One server-sent event of a streamed chat completion, read. Pure: the stream client feeds it what
 * `eventsource-parser` parsed; this module says what the event means.
 */
import type { TokenUsage } from './chat-completion.js';

/** An event as `eventsource-parser` delivers it. */
export interface ServerSentEvent {
  /** The `event:` field; undefined for plain `data:` events. */
  readonly event?: string | undefined;
  readonly data: string;
}

/** An error a provider sent inside a 200 stream. */
export interface StreamErrorReport {
  /** The error's numeric code when it is an HTTP status (OpenRouter, vLLM send one); else null. */
  readonly status: number | null;
  /** The error's string code (`server_error`, `context_length_exceeded`…); else null. */
  readonly code: string | null;
  readonly message: string;
}

/** What one event means for the stream. */
export type StreamEvent =
  /** `data: [DONE]`: the stream is complete. */
  | { readonly kind: 'done' }
  /** A `chat.completion.chunk` (of the first choice): new text, reasoning, the finish reason, usage. */
  | {
      readonly kind: 'chunk';
      /** Text to show (still to be filtered of `<think>` blocks); null when the chunk has none. */
      readonly text: string | null;
      /** Whether the chunk carries reasoning outside the text (`reasoning_content`, OpenRouter's `reasoning`). */
      readonly reasoning: boolean;
      readonly finishReason: string | null;
      readonly usage: TokenUsage | null;
    }
  /** The provider reports a failure: `event: error`, an `error` object, or `finish_reason: "error"`. */
  | { readonly kind: 'error'; readonly error: StreamErrorReport }
  /** Data that is not JSON: the stream is not what it claims to be. */
  | { readonly kind: 'malformed'; readonly detail: string }
  /** Nothing for us (an empty keep-alive event, an unknown event type). */
  | { readonly kind: 'ignored' };

const IGNORED: StreamEvent = { kind: 'ignored' };
const DONE: StreamEvent = { kind: 'done' };
/** Longest error message kept from a stream (a proxy may put a whole page into it). */
const MAX_ERROR_MESSAGE_CHARS = 1_000;

/** Reads one event of an OpenAI-compatible chat-completion stream. */
export function readStreamEvent(event: ServerSentEvent): StreamEvent {
  const data = event.data.trim();
  if (event.event === 'error') return { kind: 'error', error: readErrorReport(parseJson(data), data) };
  // Some servers name their chunk events (`event: message`, `event: completion`); others only add comments.
  if (event.event !== undefined && event.event !== 'message' && event.event !== 'completion') return IGNORED;
  if (data === '') return IGNORED;
  if (data === '[DONE]') return DONE;
  const json = parseJson(data);
  if (!isObject(json)) return { kind: 'malformed', detail: 'a stream event is not a JSON object' };
  // `{ error: {…} }` (OpenAI, vLLM, OpenRouter), or `{ object: "error", message, code }` (older vLLM).
  if (json['error'] !== undefined && json['error'] !== null) {
    return { kind: 'error', error: readErrorReport(json['error'], data) };
  }
  if (json['object'] === 'error') return { kind: 'error', error: readErrorReport(json, data) };
  const choice = Array.isArray(json['choices']) ? json['choices'][0] : undefined;
  const delta = isObject(choice) && isObject(choice['delta']) ? choice['delta'] : null;
  const finishReason =
    isObject(choice) && typeof choice['finish_reason'] === 'string' ? choice['finish_reason'] : null;
  // OpenRouter ends a stream that failed mid-way with `finish_reason: "error"` (and an `error` beside it).
  if (finishReason === 'error') {
    return {
      kind: 'error',
      error: { status: null, code: null, message: 'the provider ended the stream with an error' },
    };
  }
  const text =
    delta !== null && typeof delta['content'] === 'string' && delta['content'] !== ''
      ? delta['content']
      : null;
  const reasoning =
    delta !== null && (isNonEmptyString(delta['reasoning_content']) || isNonEmptyString(delta['reasoning']));
  return { kind: 'chunk', text, reasoning, finishReason, usage: readUsage(json['usage']) };
}

/** The `usage` object of a completion or chunk, when it has the three counts. */
export function readUsage(value: unknown): TokenUsage | null {
  if (!isObject(value)) return null;
  const prompt = value['prompt_tokens'];
  const completion = value['completion_tokens'];
  const total = value['total_tokens'];
  if (typeof prompt !== 'number' || typeof completion !== 'number') return null;
  return {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: typeof total === 'number' ? total : prompt + completion,
  };
}

function readErrorReport(value: unknown, raw: string): StreamErrorReport {
  if (typeof value === 'string') return { status: null, code: null, message: clip(value) };
  if (!isObject(value)) return { status: null, code: null, message: clip(raw === '' ? 'error event' : raw) };
  const code = value['code'];
  const status =
    typeof code === 'number' ? code : typeof value['status'] === 'number' ? value['status'] : null;
  return {
    status: status !== null && status >= 400 && status <= 599 ? status : null,
    code: typeof code === 'string' ? code : null,
    message: clip(typeof value['message'] === 'string' ? value['message'] : raw),
  };
}

function clip(text: string): string {
  return text.slice(0, MAX_ERROR_MESSAGE_CHARS);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value !== '';
}
