import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { z } from 'zod';
import type { ChatMessage } from './chat-completion.js';
import { classifyHttpError, type ProviderFailure } from './provider-failure.js';

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

/**
 * Talks to one OpenAI-compatible API with one key. Built on the official `openai` SDK rather than bare fetch:
 * it already parses every provider's error envelope into a status, code and headers, and aborts the
 * underlying request on our signal. Its own retries are off (`maxRetries: 0`: we retry, through the
 * breaker); its `timeout` equals ours as a backstop. Organisation, project and admin key are pinned to null so
 * the SDK takes nothing from `OPENAI_*` variables (only src/config reads the environment).
 */
export class ProviderClient {
  private readonly sdk: OpenAI;

  constructor(private readonly settings: ProviderClientSettings) {
    this.sdk = new OpenAI({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl,
      maxRetries: 0,
      timeout: settings.timeoutMs,
      organization: null,
      project: null,
      adminAPIKey: null,
      webhookSecret: null,
      logLevel: 'off',
    });
  }

  /** The reply's text. Throws {@link ProviderCallError} on any failure. */
  async complete(input: ProviderCallInput): Promise<string> {
    let body: unknown;
    try {
      body = await this.sdk.chat.completions.create(
        {
          model: input.model,
          messages: input.messages.map((message) => ({ role: message.role, content: message.content })),
          ...(input.temperature === null ? {} : { temperature: input.temperature }),
        },
        { signal: input.signal },
      );
    } catch (error) {
      throw new ProviderCallError(this.classify(error, input), { cause: error });
    }
    const parsed = CompletionSchema.safeParse(body);
    if (!parsed.success) {
      throw new ProviderCallError({ kind: 'bad-response', detail: 'the answer is not a chat completion' });
    }
    const message = parsed.data.choices[0]!.message;
    return message.content ?? message.refusal ?? '';
  }

  private classify(error: unknown, input: ProviderCallInput): ProviderFailure {
    if (input.cancelSignal.aborted) return { kind: 'cancelled' };
    if (
      input.signal.aborted ||
      error instanceof APIConnectionTimeoutError ||
      error instanceof APIUserAbortError
    ) {
      return { kind: 'timeout' };
    }
    if (error instanceof APIError && error.status !== undefined && error.headers !== undefined) {
      const body = error.error as { message?: unknown } | undefined;
      return classifyHttpError(
        {
          status: error.status,
          code: typeof error.code === 'string' ? error.code : null,
          message: typeof body?.message === 'string' ? body.message : error.message,
          retryAfterMsHeader: error.headers.get('retry-after-ms'),
          retryAfterHeader: error.headers.get('retry-after'),
        },
        this.settings.now(),
      );
    }
    return { kind: 'network', detail: error instanceof Error ? error.message : String(error) };
  }
}
