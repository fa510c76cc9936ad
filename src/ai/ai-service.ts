import { ScopedAbort } from '../http/scoped-abort.js';
import type { Logger } from '../log/index.js';
import {
  type AiServiceOptions,
  type CompleteOptions,
  DefaultAiServiceOptions,
  type ResolvedAiServiceOptions,
} from './ai-service-options.js';
import type { BreakerFleet } from './breaker-fleet.js';
import { BreakerRegistry, type BreakerSnapshot } from './breaker-registry.js';
import { type AttemptOutcome, CallAttempts, cancelled } from './call-attempts.js';
import { CallStatsWindow, type ProviderCallStats } from './call-stats-window.js';
import type {
  AiStreamEvent,
  ChatCompletionRequest,
  ChatCompletionResult,
  ChatMessage,
  FallbackCompletionRequest,
  FallbackCompletionResult,
  ModelChoice,
} from './chat-completion.js';
import { describeKeyTestFailure } from './messages.js';
import { ModelFallbackRunner } from './model-fallback-runner.js';
import { ProviderCallError, ProviderClient } from './provider-client.js';
import type {
  ProviderRejectedError,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
} from './provider-errors.js';
import { isProviderFault } from './provider-failure.js';
import { ProviderPools } from './provider-pools.js';
import { TextQueue } from './text-queue.js';

/** The result of {@link AiService.testKey}. */
export type KeyTestResult =
  | { readonly ok: true; readonly model: string; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly reason: 'invalid-key' | 'unreachable' | 'rejected';
      readonly detail: string;
    };

/** The prompt of {@link AiService.testKey}: tiny, so a key test costs next to nothing. */
const KEY_TEST_PROMPT: readonly ChatMessage[] = [{ role: 'user', content: 'Reply with the single word OK.' }];

/**
 * Chat completions from any OpenAI-compatible provider, whole ({@link AiService.complete}) or streamed
 * ({@link AiService.stream}), through a circuit breaker per (provider, model, API key): a failing provider, model or key fails fast with a {@link ProviderUnavailableError} instead of holding
 * jobs, and only its own breaker opens (on every worker, with a {@link BreakerFleet}); a call whose breaker
 * probes within `probeWaitMs` waits for that probe rather than fail. Transient faults are retried with
 * backoff; a refused key or request becomes a {@link ProviderRejectedError}, a prompt too long for the model
 * too (reason `context-length`), at once: the caller owns the prompt's budget and may assemble a shorter one.
 * A model's reasoning never reaches the text.
 */
export class AiService implements AsyncDisposable {
  readonly options: ResolvedAiServiceOptions;
  private readonly breakers: BreakerRegistry;
  /** The undici pools of the provider calls, one per provider origin. */
  private readonly pools: ProviderPools;
  private readonly stats: CallStatsWindow;
  private readonly calls: CallAttempts;
  private readonly fallbacks: ModelFallbackRunner;
  /** Aborted by close(): cancels every call in flight. */
  private readonly closing = new AbortController();
  private readonly log: Logger;
  private inFlight = 0;

  constructor(options: AiServiceOptions) {
    this.options = { ...DefaultAiServiceOptions, ...options };
    const { config } = this.options;
    this.log = this.options.logger.child({ module: 'ai' });
    this.pools = new ProviderPools(config.timeoutMs);
    this.stats = new CallStatsWindow(this.options.statsWindowMs, this.options.statsSliceMs);
    this.breakers = new BreakerRegistry({
      maxBreakers: this.options.maxBreakers,
      idleMs: this.options.breakerIdleMs,
      errorThresholdPercentage: config.breaker.errorThresholdPercentage,
      volumeThreshold: config.breaker.volumeThreshold,
      resetTimeoutMs: config.breaker.resetTimeoutMs,
      rollingWindowMs: this.options.rollingWindowMs,
      rollingWindowBuckets: this.options.rollingWindowBuckets,
      timeoutMs: config.timeoutMs,
      streamIdleTimeoutMs: this.options.streamIdleTimeoutMs,
      pools: this.pools,
      now: this.options.now,
      logger: this.options.logger,
      onStateChange: this.options.onBreakerStateChange,
      fleet: this.options.fleet,
    });
    this.calls = new CallAttempts(this.options, this.breakers, this.stats, this.log);
    this.fallbacks = new ModelFallbackRunner(this, this.options, this.log);
  }

  /** Completion calls running now (including their retry waits). */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /**
   * One chat completion. Rejects with {@link ProviderUnavailableError} (provider failing, breaker open — at
   * once, without calling it, unless its probe is due within `probeWaitMs`: then after that probe failed),
   * {@link ProviderRejectedError} (key or request refused), or a `ChorusError` with code `Cancelled` when
   * `request.signal` fires or the service closes. Reasoning never reaches `content`; a reply that is only
   * reasoning has `reasoningOnly`. With `failFast`, the first provider fault or open breaker rejects at once
   * (see {@link CompleteOptions}).
   */
  async complete(
    request: ChatCompletionRequest,
    options: Partial<CompleteOptions> = {},
  ): Promise<ChatCompletionResult> {
    const { now } = this.options;
    const startedAt = now();
    const call = this.calls.beginCall(request, options.failFast ?? false);
    using cancel = new ScopedAbort([request.signal, this.closing.signal]);
    this.inFlight += 1;
    try {
      for (;;) {
        if (cancel.signal.aborted) throw cancelled();
        // Acquired per attempt: a breaker evicted during a backoff wait is simply created again.
        const entry = this.breakers.acquire(call.target);
        const attempt = await this.calls.attempt(entry, request, cancel.signal, null);
        if ('reply' in attempt) {
          const { reply } = attempt;
          return {
            content: reply.content,
            latencyMs: now() - startedAt,
            reasoningOnly: reply.reasoningOnly,
            usage: reply.usage,
          };
        }
        await this.calls.recover(call, entry, attempt, cancel.signal);
      }
    } finally {
      this.inFlight -= 1;
    }
  }

  /**
   * One chat completion, streamed: `text` events as the model writes (visible text only, never reasoning),
   * then one `end`. The call goes through the same provider selection, keys, breakers and timeouts as
   * {@link AiService.complete}, and fails before its first text as `complete` does (retried the same way).
   * Once text was yielded nothing is retried: a stream that breaks then throws
   * {@link ProviderStreamBrokenError} (it counted against the breaker). Deadlines: `AI_TIMEOUT_MS` until the
   * model answers (its first text or reasoning), then {@link OptionalAiServiceOptions.streamIdleTimeoutMs}
   * between chunks. `request.signal`, the service closing, or the consumer leaving the loop aborts the HTTP
   * request, so the provider stops generating; the first two throw `Cancelled`.
   */
  stream(
    request: ChatCompletionRequest & { onEvent?: never },
    options: Partial<CompleteOptions> = {},
  ): AsyncIterable<AiStreamEvent> {
    return this.streamEvents(request, options.failFast ?? false);
  }

  /**
   * One chat completion from the request's own model or, while it is down, from `fallbacks` in order (see
   * model-fallback.ts): a model whose breaker is open or whose call meets a provider fault (5xx, 429, timeout)
   * passes to the next at once, and the last one is tried as {@link complete} tries a lone model (retries, and
   * a wait for its breaker's probe when due within `probeWaitMs`). Each model is called with the user's key for
   * its provider. Rejects as {@link complete}: a refusal of the request, or of the own model's key, at once;
   * {@link ProviderUnavailableError} only when every model is down. Without fallbacks it is {@link complete}.
   */
  completeWithFallbacks(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): Promise<FallbackCompletionResult> {
    return this.fallbacks.complete(request, fallbacks);
  }

  /**
   * {@link stream} from the request's own model or, while it is down, from `fallbacks` in order, as
   * {@link completeWithFallbacks} chooses: a model falls through only before its first event (once text was
   * shown, a broken stream throws {@link ProviderStreamBrokenError} as {@link stream} does).
   */
  streamWithFallbacks(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): AsyncGenerator<AiStreamEvent, void, undefined> {
    return this.fallbacks.stream(request, fallbacks);
  }

  /**
   * Checks a key with one tiny completion. Deliberately outside the breakers and without retries: the user
   * asked about this key now, and one test must neither open a breaker nor be refused by one.
   */
  async testKey(providerName: string, key: string, model?: string): Promise<KeyTestResult> {
    const provider = this.options.config.providers.get(providerName);
    if (!provider) return { ok: false, reason: 'rejected', detail: `unknown provider "${providerName}"` };
    const chosenModel = model ?? provider.defaultModel;
    if (this.closing.signal.aborted) throw cancelled();
    const client = new ProviderClient({
      baseUrl: provider.baseUrl,
      apiKey: key,
      timeoutMs: this.options.config.timeoutMs,
      now: this.options.now,
      pool: this.pools.get(provider.baseUrl),
    });
    const cancelSignal = this.closing.signal;
    const startedAt = this.options.now();
    using deadline = new ScopedAbort([cancelSignal], this.options.config.timeoutMs);
    try {
      await client.complete({
        model: chosenModel,
        messages: KEY_TEST_PROMPT,
        temperature: null,
        signal: deadline.signal,
        cancelSignal,
      });
      return { ok: true, model: chosenModel, latencyMs: this.options.now() - startedAt };
    } catch (error) {
      if (!(error instanceof ProviderCallError)) throw error;
      const { failure } = error;
      if (failure.kind === 'cancelled') throw cancelled(error);
      const reason =
        failure.kind === 'invalid-key'
          ? 'invalid-key'
          : isProviderFault(failure)
            ? 'unreachable'
            : 'rejected';
      return { ok: false, reason, detail: describeKeyTestFailure(failure, this.options.config.timeoutMs) };
    } finally {
      client.close();
    }
  }

  /** Every live breaker, for /status and the stats publisher. */
  breakerSnapshots(): BreakerSnapshot[] {
    return this.breakers.snapshots();
  }

  /** Per provider/model call statistics over the last {@link OptionalAiServiceOptions.statsWindowMs}. */
  callStats(): ProviderCallStats[] {
    return this.stats.summarize(this.options.now());
  }

  /** Cancels calls in flight (they reject with `Cancelled`), shuts every breaker down; later calls are cancelled. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    this.breakers.close();
    await this.pools.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async *streamEvents(
    request: ChatCompletionRequest,
    failFast: boolean,
  ): AsyncGenerator<AiStreamEvent, void, undefined> {
    const call = this.calls.beginCall(request, failFast);
    /** Aborted when the consumer leaves the loop early: the HTTP request stops with it. */
    const left = new AbortController();
    using cancel = new ScopedAbort([request.signal, this.closing.signal, left.signal]);
    let running: Promise<AttemptOutcome> | null = null;
    let yieldedText = false;
    this.inFlight += 1;
    try {
      for (;;) {
        if (cancel.signal.aborted) throw cancelled();
        const entry = this.breakers.acquire(call.target);
        const texts = new TextQueue();
        running = this.calls.attempt(entry, request, cancel.signal, (text) => texts.push(text));
        const closeTexts = (): void => texts.close();
        running.then(closeTexts, closeTexts);
        for await (const text of texts) {
          yieldedText = true;
          yield { type: 'text', text };
        }
        const attempt = await running;
        running = null;
        if ('reply' in attempt) {
          const { reply } = attempt;
          yield {
            type: 'end',
            finishReason: reply.finishReason,
            usage: reply.usage,
            reasoningOnly: reply.reasoningOnly,
          };
          return;
        }
        if (yieldedText) throw this.calls.broken(call, attempt);
        await this.calls.recover(call, entry, attempt, cancel.signal);
      }
    } finally {
      if (running !== null) {
        // The consumer left mid-stream (or a bug threw): stop the request and let its outcome be recorded.
        left.abort();
        await running.then(
          () => undefined,
          () => undefined,
        );
      }
      this.inFlight -= 1;
    }
  }
}
