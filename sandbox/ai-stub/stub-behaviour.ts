import { type LatencySetting, type RandomSource, sampleLatencyMs } from './seeded-random.js';

/** When the stub refuses a request as too long for the model's context window. */
export type ContextLimit =
  | 'always'
  /** Refused when the request has more than `maxMessages` messages or more than `maxChars` characters. */
  | { readonly maxMessages?: number; readonly maxChars?: number };

/**
 * A scripted answer: a request whose system prompt contains `systemIncludes` is answered `reply` (unless its
 * last user message holds a `!say`/`!long` directive). Lets a test make one personality name another.
 */
export interface StubScriptRule {
  readonly systemIncludes: string;
  readonly reply: string;
}

/**
 * How a `!think` directive's reasoning is sent: inside the text as `<think>…</think>` (DeepSeek R1 or Qwen
 * through vLLM, llama.cpp, Ollama), in `reasoning_content` (DeepSeek's API, vLLM's reasoning parser), or in
 * `reasoning` (OpenRouter).
 */
export type ReasoningStyle = 'think-tags' | 'reasoning_content' | 'reasoning';

/** How the stub answers; set globally and per API key (per-key fields override global ones). */
export interface StubBehaviour {
  /** Delay before answering (before the first chunk when streaming). @defaultValue 0 */
  latency: LatencySetting;
  /** Fraction (0–1) of requests answered with {@link StubBehaviour.errorStatus}. @defaultValue 0 */
  errorRate: number;
  /** HTTP status of injected errors (500, 503, 429, or any other 4xx/5xx). @defaultValue 503 */
  errorStatus: number;
  /** Seconds sent in `retry-after` with injected 429s; null sends no header. @defaultValue 1 */
  retryAfterSeconds: number | null;
  /** Context-length 400s (`context_length_exceeded`); null = never. @defaultValue null */
  contextLimit: ContextLimit | null;
  /** Fraction (0–1) of requests never answered (until the client gives up or the stub closes). @defaultValue 0 */
  hangRate: number;
  /** Answer 401 `invalid_api_key`. @defaultValue false */
  rejectKey: boolean;
  /** Delay between streamed chunks, in ms. @defaultValue 0 */
  chunkDelayMs: number;
  /**
   * Characters of text per streamed chunk (a model's token is ~4), instead of a few words each; null keeps the
   * word-sized deltas. With {@link StubBehaviour.chunkDelayMs} it sets the stream's pace (4 chars every 50 ms:
   * 20 tokens a second). @defaultValue null
   */
  streamChunkChars: number | null;
  /** Scripted answers, the first matching rule winning; see {@link StubScriptRule}. @defaultValue [] */
  script: readonly StubScriptRule[];
  /** How `!think` reasoning is sent; see {@link ReasoningStyle}. @defaultValue 'think-tags' */
  reasoningStyle: ReasoningStyle;
}

export const DefaultStubBehaviour = {
  latency: 0,
  errorRate: 0,
  errorStatus: 503,
  retryAfterSeconds: 1,
  contextLimit: null,
  hangRate: 0,
  rejectKey: false,
  chunkDelayMs: 0,
  streamChunkChars: null,
  script: [],
  reasoningStyle: 'think-tags',
} as const satisfies StubBehaviour;

/** What the stub does with one request. */
export type StubDecision =
  | { readonly kind: 'unauthorized' }
  | { readonly kind: 'hang' }
  | { readonly kind: 'error'; readonly status: number; readonly latencyMs: number }
  | { readonly kind: 'context-length'; readonly latencyMs: number }
  | { readonly kind: 'answer'; readonly latencyMs: number };

/** The size of a request, as the context-length rule sees it. */
export interface RequestSize {
  readonly messageCount: number;
  readonly charCount: number;
}

/**
 * Decides one request's fate. Draws from `random` only for rates strictly between 0 and 1 and for latency
 * distributions, so a scenario made of certainties consumes no randomness.
 */
export function decideStubOutcome(
  behaviour: StubBehaviour,
  size: RequestSize,
  random: RandomSource,
): StubDecision {
  if (behaviour.rejectKey) return { kind: 'unauthorized' };
  if (chance(behaviour.hangRate, random)) return { kind: 'hang' };
  const latencyMs = sampleLatencyMs(behaviour.latency, random);
  if (chance(behaviour.errorRate, random)) return { kind: 'error', status: behaviour.errorStatus, latencyMs };
  if (exceedsContext(behaviour.contextLimit, size)) return { kind: 'context-length', latencyMs };
  return { kind: 'answer', latencyMs };
}

function chance(rate: number, random: RandomSource): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return random() < rate;
}

function exceedsContext(limit: ContextLimit | null, size: RequestSize): boolean {
  if (limit === null) return false;
  if (limit === 'always') return true;
  return (
    (limit.maxMessages !== undefined && size.messageCount > limit.maxMessages) ||
    (limit.maxChars !== undefined && size.charCount > limit.maxChars)
  );
}
