/**
 * Why one call to an AI provider failed, decided from what came back over the wire. Pure: the HTTP client
 * extracts status, error body and headers; this module decides what they mean for retries and breakers.
 */

/** One failed provider call, classified. */
export type ProviderFailure =
  /** No answer within the per-call timeout. */
  | { readonly kind: 'timeout' }
  /** Connection refused/reset, DNS failure… */
  | { readonly kind: 'network'; readonly detail: string }
  /** 5xx (and 408). `retryAfterMs` when the provider said when to come back. */
  | { readonly kind: 'server-error'; readonly status: number; readonly retryAfterMs: number | null }
  | { readonly kind: 'rate-limited'; readonly retryAfterMs: number | null }
  /** A 2xx whose body is not a chat completion. */
  | { readonly kind: 'bad-response'; readonly detail: string }
  /** The request is too long for the model's context window. */
  | { readonly kind: 'context-length'; readonly detail: string }
  /** 401/403: the API key is wrong, revoked or not allowed. */
  | { readonly kind: 'invalid-key'; readonly status: number }
  /** 429 `insufficient_quota`: the key's account is out of credit; waiting does not help. */
  | { readonly kind: 'quota-exceeded' }
  /** Any other 4xx: the request itself was refused (unknown model, bad parameter…). */
  | { readonly kind: 'rejected'; readonly status: number; readonly detail: string }
  /** The caller cancelled (deleted message, shutdown). */
  | { readonly kind: 'cancelled' };

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

/** The failures that are the provider's fault: they are retried and they count against its breaker. */
export type ProviderFault = Extract<
  ProviderFailure,
  { kind: 'timeout' | 'network' | 'server-error' | 'rate-limited' | 'bad-response' }
>;

/** True for {@link ProviderFault}s; false for failures the request or the key caused, and cancellations. */
export function isProviderFault(failure: ProviderFailure): failure is ProviderFault {
  switch (failure.kind) {
    case 'timeout':
    case 'network':
    case 'server-error':
    case 'rate-limited':
    case 'bad-response':
      return true;
    default:
      return false;
  }
}

/** An HTTP error answer, reduced to what classification needs. */
export interface HttpErrorAnswer {
  readonly status: number;
  /** `error.code` of the OpenAI error body, when there is one. */
  readonly code: string | null;
  /** `error.message` of the body (or the client's summary of it). */
  readonly message: string;
  /** The `retry-after-ms` header (OpenAI's millisecond variant). */
  readonly retryAfterMsHeader: string | null;
  /** The `retry-after` header: seconds or an HTTP date. */
  readonly retryAfterHeader: string | null;
}

/** Classifies an HTTP error status + body. `now` (Unix ms) resolves `retry-after` dates. */
export function classifyHttpError(answer: HttpErrorAnswer, now: number): ProviderFailure {
  const { status } = answer;
  const retryAfterMs = parseRetryAfterMs(answer.retryAfterMsHeader, answer.retryAfterHeader, now);
  if (status === 401 || status === 403) return { kind: 'invalid-key', status };
  if (status === 429) {
    return answer.code === 'insufficient_quota'
      ? { kind: 'quota-exceeded' }
      : { kind: 'rate-limited', retryAfterMs };
  }
  if (status >= 500 || status === 408) return { kind: 'server-error', status, retryAfterMs };
  if (isContextLengthError(answer.code, answer.message))
    return { kind: 'context-length', detail: answer.message };
  return { kind: 'rejected', status, detail: answer.message };
}

/**
 * Classifies an error a provider sent inside a 200 stream (an `error` event or object). Its numeric code, when
 * it is an HTTP status, classifies it as that status would; a context-length message stays a context-length
 * failure; anything else is a fault of the provider (a bad response: retried, counted by its breaker).
 */
export function classifyStreamError(
  error: { readonly status: number | null; readonly code: string | null; readonly message: string },
  now: number,
): ProviderFailure {
  if (error.status !== null) {
    return classifyHttpError(
      { ...error, status: error.status, retryAfterMsHeader: null, retryAfterHeader: null },
      now,
    );
  }
  if (isContextLengthError(error.code, error.message))
    return { kind: 'context-length', detail: error.message };
  if (error.code === 'rate_limit_exceeded') return { kind: 'rate-limited', retryAfterMs: null };
  return { kind: 'bad-response', detail: `the stream carried an error: ${error.message}` };
}

/** Error codes OpenAI-compatible servers use for "too long for the context window". */
const CONTEXT_LENGTH_CODES = new Set(['context_length_exceeded', 'exceed_context_size_error']);

/**
 * How providers word it when they send no code: OpenAI and vLLM ("This model's maximum context length is…"),
 * OpenRouter ("This endpoint's maximum context length…"), Mistral ("…maximum context length"), Groq ("Please
 * reduce the length of the messages"), Anthropic-compatible ("prompt is too long"), newer vLLM ("longer than
 * the maximum model length"), Gemini ("exceeds the maximum number of tokens"), llama.cpp ("exceeds the
 * available context size"), Ollama ("context length").
 */
const CONTEXT_LENGTH_MESSAGES = [
  /maximum context length/i,
  /context length/i,
  /context window/i,
  /reduce the length of the messages/i,
  /prompt is too long/i,
  /longer than the maximum model length/i,
  /exceeds the maximum number of tokens/i,
  /exceeds the available context size/i,
];

/** True when an error code or message says the request does not fit the model's context window. */
export function isContextLengthError(code: string | null, message: string): boolean {
  if (code !== null && CONTEXT_LENGTH_CODES.has(code)) return true;
  return CONTEXT_LENGTH_MESSAGES.some((pattern) => pattern.test(message));
}

/**
 * Milliseconds the provider asked us to wait: `retry-after-ms` first (OpenAI sends it, more precise), then
 * `retry-after` as seconds or an HTTP date. Null when absent or unparseable.
 */
export function parseRetryAfterMs(
  retryAfterMsHeader: string | null,
  retryAfterHeader: string | null,
  now: number,
): number | null {
  if (retryAfterMsHeader !== null && retryAfterMsHeader.trim() !== '') {
    const ms = Number(retryAfterMsHeader);
    if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  }
  if (retryAfterHeader === null || retryAfterHeader.trim() === '') return null;
  const value = retryAfterHeader.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.ceil(Number(value) * 1000);
  // An HTTP date names a weekday and month; Date.parse alone would read "-3" as a year.
  if (!/[a-z]/i.test(value)) return null;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}
