import { z } from 'zod';
import {
  KeepAliveTransport,
  readAnswerHeader,
  type TransportAnswer,
  TransportError,
} from '../http/keep-alive-transport.js';
import type { ChatMessage } from './chat-completion.js';
import { classifyHttpError, type HttpErrorAnswer, type ProviderFailure } from './provider-failure.js';

/** One chat-completion call, already bound to a model and a cancellation. */
export interface ProviderCallInput {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature: number | null;
  /** Aborts the HTTP request: the per-call timeout combined with the caller's signal. */
  readonly signal: AbortSignal;
  /** The caller's side alone (its signal, service shutdown): when it fired, the failure is a cancellation. */
  readonly cancelSignal: AbortSignal;
}

/** A failed provider call with its classification; the breaker's error filter reads `failure`. */
export class ProviderCallError extends Error {
  override readonly name = 'ProviderCallError';
  constructor(
    readonly failure: ProviderFailure,
    options?: { cause?: unknown },
  ) {
    super(`provider call failed: ${failure.kind}`, options);
  }
}

/** Settings of one {@link ProviderClient}. */
export interface ProviderClientSettings {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly timeoutMs: number;
  /** Clock for `retry-after` dates. */
  readonly now: () => number;
}

/** The minimal shape of a chat completion we rely on; checked because "OpenAI-compatible" varies. */
const CompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
        }),
      }),
    )
    .min(1),
});

/** The provider error envelope: `{ error: { message, code, type } }`, or `{ error: "…" }` (Ollama and others). */
const ErrorEnvelopeSchema = z.object({
  error: z.union([z.string(), z.object({ message: z.unknown().optional(), code: z.unknown().optional() })]),
});

/** A chat completion is a few KB; this protects the worker from a runaway answer. */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** Longest error message kept (a proxy's HTML error page can be long). */
const MAX_ERROR_MESSAGE_CHARS = 1_000;
const USER_AGENT = 'chorus-provider-client/1';

/**
 * Talks to one OpenAI-compatible API with one key: `POST <baseUrl>/chat/completions` over kept-alive
 * connections. Never retries (we retry through the breaker) and never follows redirects (a redirect would
 * carry the key elsewhere; it fails as a refused request). Asks for an uncompressed answer, which it reads
 * up to a size cap. Its own timeout is a backstop behind the caller's signal. The key goes into the
 * authorization header only, never into a failure or its message.
 */
export class ProviderClient {
  private readonly transport: KeepAliveTransport;
  private readonly path: string;
  private readonly headers: Readonly<Record<string, string>>;

  constructor(private readonly settings: ProviderClientSettings) {
    const url = chatCompletionsUrl(settings.baseUrl);
    this.transport = new KeepAliveTransport({
      origin: url,
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      // A chat completion may be asked twice: at worst the provider answers one nobody reads.
      resendOnStaleConnection: true,
    });
    this.path = `${url.pathname}${url.search}`;
    this.headers = {
      authorization: `Bearer ${settings.apiKey}`,
      'content-type': 'application/json',
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': USER_AGENT,
    };
  }

  /** The reply's text. Throws {@link ProviderCallError} on any failure. */
  async complete(input: ProviderCallInput): Promise<string> {
    const body = JSON.stringify({
      model: input.model,
      messages: input.messages.map((message) => ({ role: message.role, content: message.content })),
      ...(input.temperature === null ? {} : { temperature: input.temperature }),
    });
    let answer: TransportAnswer;
    try {
      answer = await this.transport.send(
        { method: 'POST', path: this.path, headers: this.headers, body },
        input.signal,
      );
    } catch (error) {
      throw new ProviderCallError(abortFailure(input) ?? transportFailure(error), { cause: error });
    }
    if (answer.status < 200 || answer.status > 299) {
      throw new ProviderCallError(
        abortFailure(input) ?? classifyHttpError(this.readErrorAnswer(answer), this.settings.now()),
      );
    }
    return readCompletion(answer.body);
  }

  /** Closes idle connections now and busy ones when their calls end. */
  close(): void {
    this.transport.close();
  }

  private readErrorAnswer(answer: TransportAnswer): HttpErrorAnswer {
    const { code, message } = readErrorBody(answer);
    return {
      status: answer.status,
      code,
      // Some providers echo the key they refused; the message may reach users (key tests) and logs.
      message: redact(message, this.settings.apiKey).slice(0, MAX_ERROR_MESSAGE_CHARS),
      retryAfterMsHeader: readAnswerHeader(answer.headers, 'retry-after-ms'),
      retryAfterHeader: readAnswerHeader(answer.headers, 'retry-after'),
    };
  }
}

/** `<baseUrl>/chat/completions`, whether the base URL ends with a slash or not, keeping its path and query. */
function chatCompletionsUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/chat/completions`;
  return url;
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

function transportFailure(error: unknown): ProviderFailure {
  if (error instanceof TransportError && error.reason !== 'connection') return { kind: 'timeout' };
  return { kind: 'network', detail: error instanceof Error ? error.message : String(error) };
}

function readCompletion(body: Buffer | null): string {
  if (body === null) {
    throw new ProviderCallError({
      kind: 'bad-response',
      detail: `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProviderCallError({ kind: 'bad-response', detail: 'the answer is not JSON' });
  }
  const parsed = CompletionSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderCallError({ kind: 'bad-response', detail: 'the answer is not a chat completion' });
  }
  const message = parsed.data.choices[0]!.message;
  return message.content ?? message.refusal ?? '';
}

/** The code and message of an error answer: its JSON envelope when it has one, else its text. */
function readErrorBody(answer: TransportAnswer): { code: string | null; message: string } {
  const { status, body } = answer;
  if (body === null) return { code: null, message: `HTTP ${status} with an error body over the size cap` };
  const text = body.toString('utf8').trim();
  if (text === '') return { code: null, message: `HTTP ${status} with no body` };
  const envelope = ErrorEnvelopeSchema.safeParse(parseJsonOrNull(text));
  if (!envelope.success) return { code: null, message: text };
  const { error } = envelope.data;
  if (typeof error === 'string') return { code: null, message: error };
  return {
    code: typeof error.code === 'string' ? error.code : null,
    message: typeof error.message === 'string' ? error.message : text,
  };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function redact(text: string, secret: string): string {
  return secret === '' ? text : text.replaceAll(secret, '[redacted]');
}
