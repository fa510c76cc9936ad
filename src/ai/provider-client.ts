import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher, Pool } from 'undici';
import { readCappedBody, readAnswerHeader as readHeader } from '../http/keep-alive-pool.js';
import type { ChatMessage } from './chat-completion.js';
import { type ProviderReply, parseCompletion, parseErrorBody } from './completion-body.js';
import { CompletionStreamReader } from './completion-stream-reader.js';
import {
  classifyHttpError,
  classifyStreamError,
  type HttpErrorAnswer,
  ProviderCallError,
  type ProviderFailure,
} from './provider-failure.js';
import { createProviderPool } from './provider-pools.js';
import { StreamDeadline } from './stream-deadline.js';

export type { ProviderReply } from './completion-body.js';
export { ProviderCallError } from './provider-failure.js';

/** One chat-completion call, already bound to a model and a cancellation. */
export interface ProviderCallInput {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature: number | null;
  /**
   * Aborts the HTTP request: for a whole reply, the per-call timeout combined with the caller's signal; for
   * a stream, the caller's side alone (the client keeps the stream's deadlines).
   */
  readonly signal: AbortSignal;
  /** The caller's side alone (its signal, service shutdown): when it fired, the failure is a cancellation. */
  readonly cancelSignal: AbortSignal;
  /**
   * Streams the reply: each piece of visible text goes here as it arrives, and the call resolves when the
   * stream ends. Absent (or null) asks for the whole reply at once.
   */
  readonly onText?: ((text: string) => void) | null;
}

/** Settings of one {@link ProviderClient}. */
export interface ProviderClientSettings {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  /** Clock for `retry-after` dates. */
  readonly now: () => number;
  /** Ask for a usage chunk at the end of a stream (`stream_options.include_usage`). @defaultValue false */
  readonly streamUsage?: boolean;
  /** Longest silence between a stream's chunks once the model answers, ms. @defaultValue 30_000 */
  readonly streamIdleTimeoutMs?: number;
  /**
   * Its connections (e.g. from {@link ProviderPools}, shared per provider origin); the client makes (and
   * closes) its own when absent.
   */
  readonly pool?: Pool;
}

/** A chat completion is a few KB (a streamed one a few times that); this protects the worker from a runaway. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Longest error message kept (a proxy's HTML error page can be long). */
const MAX_ERROR_MESSAGE_CHARS = 1_000;
const USER_AGENT = 'chorus-provider-client/1';
/** Default of {@link ProviderClientSettings.streamIdleTimeoutMs}. */
const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 30_000;

/**
 * Talks to one OpenAI-compatible API with one key: `POST <baseUrl>/chat/completions` over kept-alive undici
 * connections, the whole reply at once ({@link ProviderClient.complete}) or streamed as server-sent events
 * ({@link ProviderClient.stream}). Never retries (we retry through the breaker) but for one resend on a new
 * connection when a kept-alive one turns out closed before any answer; never follows redirects (a redirect
 * would carry the key elsewhere; it fails as a refused request). Asks for an uncompressed answer, which it
 * reads up to a size cap. The key goes into the authorization header only, never into a failure or its
 * message. Reasoning (`<think>` blocks, `reasoning_content`, `reasoning`) never reaches the text it returns.
 */
export class ProviderClient {
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly path: string;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly streamHeaders: Readonly<Record<string, string>>;
  private readonly streamIdleTimeoutMs: number;

  constructor(private readonly settings: ProviderClientSettings) {
    const url = chatCompletionsUrl(settings.baseUrl);
    this.ownsPool = settings.pool === undefined;
    this.pool = settings.pool ?? createProviderPool(url.origin, settings.timeoutMs);
    this.streamIdleTimeoutMs = settings.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
    this.path = `${url.pathname}${url.search}`;
    this.headers = {
      authorization: `Bearer ${settings.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': USER_AGENT,
    };
    this.streamHeaders = { ...this.headers, accept: 'text/event-stream' };
  }

  /**
   * The whole reply. Throws {@link ProviderCallError} on any failure. `input.signal` bounds the call; the
   * settings' `timeoutMs` is a backstop behind it (for the answer's headers, then between its body's chunks).
   */
  async complete(input: ProviderCallInput): Promise<ProviderReply> {
    if (input.signal.aborted) throw new ProviderCallError(abortFailure(input) ?? { kind: 'cancelled' });
    const response = await this.send({
      headers: this.headers,
      body: buildRequestBody(input, null),
      signal: input.signal,
      timeoutMs: this.settings.timeoutMs,
      stopFailure: () => abortFailure(input),
    });
    const body = await readCapped(response).catch((error: unknown) => {
      throw new ProviderCallError(abortFailure(input) ?? requestFailure(error), { cause: error });
    });
    return readCompletion(body);
  }

  /**
   * The reply as server-sent events: each piece of visible text goes to `onText` as it arrives; resolves with
   * how the stream ended. Ends cleanly with `[DONE]`, or with a `finish_reason` and then the end (or loss) of
   * the connection. Throws {@link ProviderCallError}: for a stream that ends or fails before either (a broken
   * stream: `network`, or `timeout`), for an error the provider sent inside the stream (classified as its
   * status would be), and as `complete` does for everything before the stream. Deadlines: the settings'
   * `timeoutMs` until the model answers (its first text or reasoning), then `streamIdleTimeoutMs` between
   * chunks; `input.signal` aborts the request at any time (the provider sees the connection close).
   */
  async stream(input: ProviderCallInput, onText: (text: string) => void): Promise<ProviderReply> {
    if (input.signal.aborted) throw new ProviderCallError(abortFailure(input) ?? { kind: 'cancelled' });
    using deadline = new StreamDeadline(input.signal, this.settings.timeoutMs);
    /** Why the stream stopped, when we stopped it: the caller's side first, then our deadline. */
    const stopFailure = (): ProviderFailure | null =>
      abortFailure(input) ?? (deadline.timedOut ? { kind: 'timeout' } : null);
    const response = await this.send({
      headers: this.streamHeaders,
      body: buildRequestBody(input, this.settings.streamUsage ?? false),
      signal: deadline.signal,
      timeoutMs: 0,
      stopFailure,
    });
    // A server that ignores `stream: true` answers the whole completion at once.
    if (/^application\/json/i.test(readHeader(response.headers, 'content-type') ?? '')) {
      const body = await readCapped(response).catch((error: unknown) => {
        throw new ProviderCallError(stopFailure() ?? requestFailure(error), { cause: error });
      });
      const reply = readCompletion(body);
      if (reply.content !== '') onText(reply.content);
      return { ...reply, content: '' };
    }
    const reader = new CompletionStreamReader(onText);
    let size = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) {
          throw new ProviderCallError({
            kind: 'bad-response',
            detail: `the stream is larger than ${MAX_RESPONSE_BYTES} bytes`,
          });
        }
        reader.feed(chunk);
        if (reader.failure !== null) throw new ProviderCallError(this.contentFailure(reader.failure));
        // Once the model answers, only a silence between chunks times out.
        if (reader.sawContent) deadline.idle(this.streamIdleTimeoutMs);
      }
      reader.end();
      if (reader.failure !== null) throw new ProviderCallError(this.contentFailure(reader.failure));
    } catch (error) {
      response.body.destroy();
      if (error instanceof ProviderCallError) throw error;
      // A stream that said it was complete ended cleanly, whatever became of its connection afterwards.
      if (!reader.complete || input.cancelSignal.aborted) {
        throw new ProviderCallError(stopFailure() ?? requestFailure(error), { cause: error });
      }
      reader.end();
    }
    if (!reader.complete) {
      throw new ProviderCallError({
        kind: 'network',
        detail: 'the stream ended before [DONE] and without a finish_reason',
      });
    }
    return {
      content: '',
      finishReason: reader.finishReason,
      usage: reader.usage,
      reasoningOnly: reader.reasoningOnly,
    };
  }

  /** Closes idle connections now and busy ones when their calls end (a shared pool is its owner's to close). */
  close(): void {
    if (this.ownsPool && !this.pool.closed) {
      // Only rejects when already closed.
      this.pool.close().catch(() => undefined);
    }
  }

  /**
   * Sends the request: resolves with a 2xx answer, its body unread; throws {@link ProviderCallError} for the
   * rest (an error answer classified by its status, body and `retry-after`). A kept-alive connection found
   * closed before any answer (the server closed it idle just then) is tried once more on a new connection.
   */
  private async send(request: {
    readonly headers: Readonly<Record<string, string>>;
    readonly body: Buffer;
    readonly signal: AbortSignal;
    /** undici's own timeouts for the headers, and between body chunks; 0 for none. */
    readonly timeoutMs: number;
    /** The failure when the caller's side or a deadline stopped the request; null otherwise. */
    readonly stopFailure: () => ProviderFailure | null;
  }): Promise<Dispatcher.ResponseData> {
    let response: Dispatcher.ResponseData;
    for (let resent = false; ; resent = true) {
      try {
        response = await this.pool.request({
          method: 'POST',
          path: this.path,
          headers: request.headers,
          body: request.body,
          signal: request.signal,
          headersTimeout: request.timeoutMs,
          bodyTimeout: request.timeoutMs,
        });
        break;
      } catch (error) {
        const stopped = request.stopFailure();
        // A chat completion may be asked twice: at worst the provider answers one nobody reads.
        if (stopped === null && !resent && isStaleConnection(error)) continue;
        throw new ProviderCallError(stopped ?? requestFailure(error), { cause: error });
      }
    }
    const { statusCode, headers } = response;
    if (statusCode >= 200 && statusCode <= 299) return response;
    // An error body cut off is classified by its status alone.
    const body = await readCapped(response).catch(() => Buffer.alloc(0));
    throw new ProviderCallError(
      request.stopFailure() ??
        classifyHttpError(this.readErrorAnswer(statusCode, headers, body), this.settings.now()),
    );
  }

  private contentFailure(failure: NonNullable<CompletionStreamReader['failure']>): ProviderFailure {
    if (failure.kind === 'malformed') return { kind: 'bad-response', detail: failure.detail };
    // Some providers echo the key they refused; the message may reach users (key tests) and logs.
    const message = redact(failure.error.message, this.settings.apiKey);
    return classifyStreamError({ ...failure.error, message }, this.settings.now());
  }

  private readErrorAnswer(
    status: number,
    headers: IncomingHttpHeaders,
    body: Buffer | null,
  ): HttpErrorAnswer {
    const { code, message } = parseErrorBody(status, body);
    return {
      status,
      code,
      // Some providers echo the key they refused; the message may reach users (key tests) and logs.
      message: redact(message, this.settings.apiKey).slice(0, MAX_ERROR_MESSAGE_CHARS),
      retryAfterMsHeader: readHeader(headers, 'retry-after-ms'),
      retryAfterHeader: readHeader(headers, 'retry-after'),
    };
  }
}

/** `<baseUrl>/chat/completions`, whether the base URL ends with a slash or not, keeping its path and query. */
function chatCompletionsUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`unsupported protocol ${url.protocol} (http: or https: only)`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
}

/**
 * The request body; `streamUsage` null asks for the whole reply, else for a stream (with usage or not). Bytes,
 * not a string: undici keeps what it is given and, for a string, a byte copy too, both until the answer ends.
 */
function buildRequestBody(input: ProviderCallInput, streamUsage: boolean | null): Buffer {
  const json = JSON.stringify({
    model: input.model,
    messages: input.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(input.temperature === null ? {} : { temperature: input.temperature }),
    ...(streamUsage === null ? {} : { stream: true }),
    // Some providers refuse the field (Mistral 422, Groq 400): sent only where the provider entry says so.
    ...(streamUsage === true ? { stream_options: { include_usage: true } } : {}),
  });
  return Buffer.from(json, 'utf8');
}

/**
 * When the caller's side fired, that decides, whatever else went wrong meanwhile: a cancellation is neutral
 * for the breaker, and a timeout is the provider's fault even if the request ended in an error first.
 */
function abortFailure(input: ProviderCallInput): ProviderFailure | null {
  if (input.cancelSignal.aborted) return { kind: 'cancelled' };
  if (input.signal.aborted) return { kind: 'timeout' };
  return null;
}

/** undici's own timeouts and failures that neither the caller nor our deadlines caused. */
function requestFailure(error: unknown): ProviderFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return { kind: 'timeout' };
  }
  const message = error instanceof Error ? error.message : String(error);
  // undici reports a refused connection as an AggregateError of the addresses tried, with an empty message.
  return { kind: 'network', detail: message === '' && typeof code === 'string' ? code : message };
}

/**
 * A connection the server closed before answering that had carried an answer before: a kept-alive connection
 * the server was closing as idle when the request went out (undici reports how much the socket had read).
 */
function isStaleConnection(error: unknown): boolean {
  const failed = error as { code?: unknown; socket?: { bytesRead?: unknown } } | null;
  return failed?.code === 'UND_ERR_SOCKET' && Number(failed.socket?.bytesRead ?? 0) > 0;
}

/** The whole body up to {@link MAX_RESPONSE_BYTES}; null (and the connection dropped) when it is larger. */
function readCapped(response: Dispatcher.ResponseData): Promise<Buffer | null> {
  return readCappedBody(response, MAX_RESPONSE_BYTES);
}

/** The reply of a whole completion read by {@link readCapped} (null: over the cap). */
function readCompletion(body: Buffer | null): ProviderReply {
  if (body === null) {
    throw new ProviderCallError({
      kind: 'bad-response',
      detail: `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
    });
  }
  return parseCompletion(body);
}

function redact(text: string, secret: string): string {
  return secret === '' ? text : text.replaceAll(secret, '[redacted]');
}
