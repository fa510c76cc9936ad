import { createParser, type EventSourceParser } from 'eventsource-parser';
import type { TokenUsage } from './chat-completion.js';
import { ReasoningFilter } from './reasoning-filter.js';
import { readStreamEvent, type ServerSentEvent, type StreamErrorReport } from './stream-event.js';

/** Why a stream's content says it failed (its transport may still be fine). */
export type StreamContentFailure =
  | { readonly kind: 'error-event'; readonly error: StreamErrorReport }
  | { readonly kind: 'malformed'; readonly detail: string };

/**
 * Longest line or event the SSE parser buffers: a chunk is a few hundred bytes; a larger one is not a chat
 * completion stream (the response's own size cap bounds the whole).
 */
const MAX_EVENT_CHARS = 1024 * 1024;

/**
 * Reads the body of a streamed chat completion as it arrives: bytes → UTF-8 (split characters kept whole) →
 * server-sent events (`eventsource-parser`) → chunks → visible text, passed to `onText` as soon as it is
 * known to be visible (see {@link ReasoningFilter}). No I/O: the caller feeds the bytes and reads the state.
 * After a failure ({@link CompletionStreamReader.failure}) it ignores whatever follows.
 */
export class CompletionStreamReader {
  readonly #decoder = new TextDecoder();
  readonly #parser: EventSourceParser;
  readonly #filter = new ReasoningFilter();
  readonly #onText: (text: string) => void;
  #done = false;
  #finishReason: string | null = null;
  #usage: TokenUsage | null = null;
  #sawContent = false;
  #failure: StreamContentFailure | null = null;
  /** Set by end(): what is read now is the unterminated rest of the body. */
  #ending = false;

  constructor(onText: (text: string) => void) {
    this.#onText = onText;
    this.#parser = createParser({
      onEvent: (event) => this.#read(event),
      // Unknown fields and bad `retry:` values are ignored, as an EventSource does; a runaway line is not.
      onError: (error) => {
        if (error.type === 'max-buffer-size-exceeded') {
          this.#fail({ kind: 'malformed', detail: 'a stream event is larger than 1 MiB' });
        }
      },
      maxBufferSize: MAX_EVENT_CHARS,
    });
  }

  /** `data: [DONE]` arrived. */
  get done(): boolean {
    return this.#done;
  }

  /** The first choice's `finish_reason`, once one arrived. */
  get finishReason(): string | null {
    return this.#finishReason;
  }

  /** The last usage the stream carried (with `stream_options.include_usage`, in a chunk of its own). */
  get usage(): TokenUsage | null {
    return this.#usage;
  }

  /** Whether the stream says it is complete: `[DONE]`, or a finish reason (some servers send only one). */
  get complete(): boolean {
    return this.#done || this.#finishReason !== null;
  }

  /** Whether text or reasoning arrived: the model is answering (the stream's idle timeout takes over). */
  get sawContent(): boolean {
    return this.#sawContent;
  }

  /** Whether visible text came out. */
  get sawVisibleText(): boolean {
    return this.#filter.sawVisible;
  }

  /** No visible text, but reasoning. */
  get reasoningOnly(): boolean {
    return !this.#filter.sawVisible && this.#filter.sawReasoning;
  }

  /** What the stream's content said went wrong; null while all is well. */
  get failure(): StreamContentFailure | null {
    return this.#failure;
  }

  /** Reads the next bytes of the body. */
  feed(bytes: Uint8Array): void {
    if (this.#failure !== null) return;
    const text = this.#decoder.decode(bytes, { stream: true });
    if (text !== '') this.#parser.feed(text);
  }

  /** The body ended: reads what was left unterminated, and passes on text the filter held back. */
  end(): void {
    if (this.#failure !== null) return;
    this.#ending = true;
    // A last event without its blank line still counts (some servers end with a single newline, or none).
    this.#parser.feed(`${this.#decoder.decode()}\n\n`);
    this.#parser.reset();
    if (this.#failure !== null) return;
    const held = this.#filter.flush();
    if (held !== '') this.#onText(held);
  }

  #read(event: ServerSentEvent): void {
    if (this.#failure !== null || this.#done) return;
    const read = readStreamEvent(event);
    switch (read.kind) {
      case 'done':
        this.#done = true;
        return;
      case 'error':
        this.#fail({ kind: 'error-event', error: read.error });
        return;
      case 'malformed':
        this.#fail(read);
        return;
      case 'ignored':
        return;
      case 'chunk':
        if (read.usage !== null) this.#usage = read.usage;
        if (read.finishReason !== null) this.#finishReason = read.finishReason;
        if (read.reasoning) {
          this.#sawContent = true;
          this.#filter.noteReasoning();
        }
        if (read.text !== null) {
          this.#sawContent = true;
          const visible = this.#filter.push(read.text);
          if (visible !== '') this.#onText(visible);
        }
    }
  }

  #fail(failure: StreamContentFailure): void {
    // What a stream that said it was complete left cut off at its end (a usage chunk, say) does not fail it.
    if (this.#ending && this.complete && failure.kind === 'malformed') return;
    if (this.#failure === null) this.#failure = failure;
  }
}
