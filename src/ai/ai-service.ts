import { setTimeout as delay } from 'node:timers/promises';
import type { Config } from '../config/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import { ScopedAbort } from '../http/scoped-abort.js';
import type { Logger } from '../log/index.js';
import type { BreakerEntry } from './breaker-entry.js';
import type { BreakerFleet } from './breaker-fleet.js';
import { OPERATOR_KEY_FINGERPRINT } from './breaker-key.js';
import {
  BreakerRegistry,
  type BreakerSnapshot,
  type BreakerStateChange,
  type BreakerTarget,
  type ProbeWait,
} from './breaker-registry.js';
import { type CallOutcome, CallStatsWindow, type ProviderCallStats } from './call-stats-window.js';
import type {
  AiStreamEvent,
  ChatCompletionRequest,
  ChatCompletionResult,
  ChatMessage,
  FallbackCompletionRequest,
  FallbackCompletionResult,
  ModelChoice,
} from './chat-completion.js';
import { dropImageParts } from './content-parts.js';
import { describeKeyTestFailure } from './messages.js';
import { type ChainModel, planModelChain, runModelChain } from './model-fallback.js';
import { ProviderCallError, ProviderClient, type ProviderReply } from './provider-client.js';
import {
  type KeyOwner,
  ProviderRejectedError,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from './provider-errors.js';
import { isProviderFault, type ProviderFailure } from './provider-failure.js';
import { ProviderPools } from './provider-pools.js';
import { planRetry, type RetryPolicy } from './retry-policy.js';
import { TextQueue } from './text-queue.js';

/** One provider call as reported to {@link OptionalAiServiceOptions.onCallFinished} (e.g. for metrics). */
export interface AiCallEvent {
  readonly provider: string;
  readonly model: string;
  readonly outcome: CallOutcome;
  /** What failed; null on success. `circuit-open` when the breaker refused the call. */
  readonly failureKind: ProviderFailure['kind'] | 'circuit-open' | null;
  readonly latencyMs: number;
}

/** A fallback model answered, as reported to {@link OptionalAiServiceOptions.onFallbackAnswer} (e.g. metrics). */
export interface FallbackAnswerEvent {
  /** The model that answered. */
  readonly provider: string;
  readonly model: string;
  /** Its place in the personality's fallback list (1 = first). */
  readonly fallback: number;
  /** The model it answered for. */
  readonly primaryProvider: string;
  readonly primaryModel: string;
}

/** How patiently {@link AiService.complete} tries its one model. */
export interface CompleteOptions {
  /**
   * Give up at the first provider fault or open breaker, without retries or waiting for a probe due soon: the
   * caller has another model ready to answer. @defaultValue false
   */
  readonly failFast: boolean;
}

/** The result of {@link AiService.testKey}. */
export type KeyTestResult =
  | { readonly ok: true; readonly model: string; readonly latencyMs: number }
  | {
      readonly ok: false;
      readonly reason: 'invalid-key' | 'unreachable' | 'rejected';
      readonly detail: string;
    };

/** Options {@link AiService} cannot do without. */
export interface RequiredAiServiceOptions {
  /** The `ai` section of the configuration: providers, per-call timeout, retries, breaker settings. */
  config: Config['ai'];
  logger: Logger;
}

/** Options of {@link AiService} with defaults ({@link DefaultAiServiceOptions}). */
export interface OptionalAiServiceOptions {
  /** Most breakers kept; the least recently used is dropped beyond it. @defaultValue 500 */
  maxBreakers: number;
  /** A breaker unused this long (ms) is dropped. @defaultValue 600_000 (10 min) */
  breakerIdleMs: number;
  /** Backoff ceiling of the first retry, ms (doubles per retry; full jitter). @defaultValue 500 */
  backoffBaseMs: number;
  /** Largest backoff ceiling, ms. @defaultValue 5_000 */
  backoffMaxMs: number;
  /** Longest `retry-after` waited out, ms; a longer one fails the call at once. @defaultValue 20_000 */
  maxRetryAfterMs: number;
  /**
   * Longest silence between a streamed reply's chunks once the model answers, ms; longer, the stream counts as
   * broken (a timeout). Before the model answers, `AI_TIMEOUT_MS` applies. @defaultValue 30_000
   */
  streamIdleTimeoutMs: number;
  /** Least `retryAfterMs` put on a circuit-open error (its probe may already be running). @defaultValue 1_000 */
  minRetryHintMs: number;
  /**
   * A call meeting an open breaker whose probe is due within this many ms waits for the probe's outcome (then
   * calls, or is refused if the probe failed) instead of being refused at once. @defaultValue 3_000
   */
  probeWaitMs: number;
  /**
   * Shares breaker transitions with the other workers (see {@link BreakerFleet}); null keeps breakers per
   * process. @defaultValue null
   */
  fleet: BreakerFleet | null;
  /** opossum's rolling statistics window, ms: the error percentage is computed over it. @defaultValue 10_000 */
  rollingWindowMs: number;
  /** Buckets of the rolling window. @defaultValue 10 */
  rollingWindowBuckets: number;
  /** How far back {@link AiService.callStats} reaches, ms. @defaultValue 300_000 (5 min) */
  statsWindowMs: number;
  /** Granularity of that window, ms. @defaultValue 30_000 */
  statsSliceMs: number;
  /** Uniform [0, 1) draws for backoff jitter. @defaultValue Math.random */
  random: () => number;
  /** Waits between retries; must reject when `signal` aborts. @defaultValue node:timers/promises setTimeout */
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Clock, Unix ms. @defaultValue Date.now */
  now: () => number;
  /** Called on every breaker transition and eviction (e.g. a metrics gauge). @defaultValue null */
  onBreakerStateChange: ((change: BreakerStateChange) => void) | null;
  /** Called after every provider call (e.g. metrics). @defaultValue null */
  onCallFinished: ((event: AiCallEvent) => void) | null;
  /** Called when a fallback model answered in place of the request's own (e.g. metrics). @defaultValue null */
  onFallbackAnswer: ((event: FallbackAnswerEvent) => void) | null;
}

export type AiServiceOptions = RequiredAiServiceOptions & Partial<OptionalAiServiceOptions>;

export const DefaultAiServiceOptions = {
  maxBreakers: 500,
  breakerIdleMs: 600_000,
  backoffBaseMs: 500,
  backoffMaxMs: 5_000,
  maxRetryAfterMs: 20_000,
  streamIdleTimeoutMs: 30_000,
  minRetryHintMs: 1_000,
  probeWaitMs: 3_000,
  fleet: null,
  rollingWindowMs: 10_000,
  rollingWindowBuckets: 10,
  statsWindowMs: 300_000,
  statsSliceMs: 30_000,
  random: Math.random,
  sleep: async (ms: number, signal: AbortSignal) => {
    await delay(ms, undefined, { signal });
  },
  now: Date.now,
  onBreakerStateChange: null,
  onCallFinished: null,
  onFallbackAnswer: null,
} as const satisfies Required<OptionalAiServiceOptions>;

/** One call's provider, key and retry state, across its attempts. */
interface CallState {
  readonly request: ChatCompletionRequest;
  readonly keyOwner: KeyOwner;
  readonly target: BreakerTarget;
  /** No retries, no wait for a probe: another model is ready to answer (see {@link CompleteOptions}). */
  readonly failFast: boolean;
  retries: number;
  /** Set when this call first meets an open breaker whose probe is due soon: it waits for that probe only. */
  probeWait: ProbeWait | null;
  /** A call that met a provider fault itself gives up at an open breaker rather than wait for a probe. */
  mayWaitForProbe: boolean;
}

/** A failed attempt: what failed, and the error that said so. */
interface AttemptFailure {
  readonly failure: ProviderFailure | 'circuit-open';
  readonly error: unknown;
}

type AttemptOutcome = { readonly reply: ProviderReply } | AttemptFailure;

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
  readonly options: Readonly<RequiredAiServiceOptions & OptionalAiServiceOptions>;
  private readonly breakers: BreakerRegistry;
  /** The undici pools of the provider calls, one per provider origin. */
  private readonly pools: ProviderPools;
  private readonly stats: CallStatsWindow;
  private readonly retryPolicy: RetryPolicy;
  /** The policy of a fail-fast call: no retries. */
  private readonly failFastPolicy: RetryPolicy;
  /** Aborted by close(): cancels every call in flight. */
  private readonly closing = new AbortController();
  private readonly log: Logger;
  private inFlight = 0;

  constructor(options: AiServiceOptions) {
    this.options = { ...DefaultAiServiceOptions, ...options };
    const { config } = this.options;
    this.log = this.options.logger.child({ module: 'ai' });
    this.retryPolicy = {
      maxRetries: config.maxRetries,
      backoffBaseMs: this.options.backoffBaseMs,
      backoffMaxMs: this.options.backoffMaxMs,
      maxRetryAfterMs: this.options.maxRetryAfterMs,
    };
    this.failFastPolicy = { ...this.retryPolicy, maxRetries: 0 };
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
    const call = this.beginCall(request, options.failFast ?? false);
    using cancel = new ScopedAbort([request.signal, this.closing.signal]);
    this.inFlight += 1;
    try {
      for (;;) {
        if (cancel.signal.aborted) throw cancelled();
        // Acquired per attempt: a breaker evicted during a backoff wait is simply created again.
        const entry = this.breakers.acquire(call.target);
        const attempt = await this.attempt(entry, request, cancel.signal, null);
        if ('reply' in attempt) {
          const { reply } = attempt;
          return {
            content: reply.content,
            latencyMs: now() - startedAt,
            reasoningOnly: reply.reasoningOnly,
            usage: reply.usage,
          };
        }
        await this.recover(call, entry, attempt, cancel.signal);
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
  async completeWithFallbacks(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): Promise<FallbackCompletionResult> {
    const startedAt = this.options.now();
    const { value, model, ownKey } = await this.runWithFallbacks(request, fallbacks, (next, options) =>
      this.complete(next, options),
    );
    return {
      ...value,
      // The whole order's time: what the caller waited.
      latencyMs: this.options.now() - startedAt,
      provider: model.provider,
      model: model.model,
      fallback: model.fallback,
      ownKey,
    };
  }

  /**
   * {@link stream} from the request's own model or, while it is down, from `fallbacks` in order, as
   * {@link completeWithFallbacks} chooses: a model falls through only before its first event (once text was
   * shown, a broken stream throws {@link ProviderStreamBrokenError} as {@link stream} does).
   */
  async *streamWithFallbacks(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): AsyncGenerator<AiStreamEvent, void, undefined> {
    const { value, model, ownKey } = await this.runWithFallbacks(
      request,
      fallbacks,
      async (next, options) => {
        const events = this.stream(next, options)[Symbol.asyncIterator]();
        // Its first event (or its failure before any) decides whether this model answers.
        return { events, first: await events.next() };
      },
    );
    const { events, first } = value;
    const answeredBy = { provider: model.provider, model: model.model, ownKey };
    try {
      for (let result = first; !result.done; result = await events.next())
        yield result.value.type === 'end' ? { ...result.value, answeredBy } : result.value;
    } finally {
      await events.return?.();
    }
  }

  /**
   * Runs `attempt` on the request's own model, then on each fallback while the previous is down (see
   * model-fallback.ts), with the user's key for each model's provider; logs and reports a fallback answering.
   */
  private async runWithFallbacks<T>(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
    attempt: (request: ChatCompletionRequest, options: Partial<CompleteOptions>) => Promise<T>,
  ): Promise<{ readonly value: T; readonly model: ChainModel; readonly ownKey: boolean }> {
    const { keys, ...call } = request;
    // Whether each provider tried was called with the user's own key: says who paid for the answer.
    const ownKeyByProvider = new Map<string, boolean>();
    const openKey = (provider: string) => {
      const userKey = keys.open(provider);
      ownKeyByProvider.set(provider, userKey !== null);
      return userKey;
    };
    const primary = { primaryProvider: request.provider, primaryModel: request.model };
    const outcome = await runModelChain(
      planModelChain(request, fallbacks),
      (next) =>
        attempt(
          {
            ...call,
            provider: next.provider,
            model: next.model,
            // The prompt's images were prepared for the personality's own model; one without vision gets their names.
            messages: this.takesImages(next) ? call.messages : dropImageParts(call.messages),
            userKey: openKey(next.provider),
          },
          { failFast: next.failFast },
        ),
      ({ model: passed, step, error }) => {
        this.log.info(
          {
            provider: passed.provider,
            model: passed.model,
            fallback: passed.fallback,
            ...primary,
            reason: error.reason,
          },
          step === 'down' ? 'ai model down; trying its next fallback' : 'ai fallback model unusable; skipped',
        );
      },
    );
    const { model } = outcome;
    if (model.fallback > 0) {
      const answer = { provider: model.provider, model: model.model, fallback: model.fallback, ...primary };
      this.log.info(answer, 'ai answered by a fallback model');
      this.options.onFallbackAnswer?.(answer);
    }
    return { ...outcome, ownKey: ownKeyByProvider.get(outcome.model.provider) ?? false };
  }

  /** Whether `choice`'s model is marked vision-capable in its provider's config. */
  private takesImages(choice: ModelChoice): boolean {
    return this.options.config.providers.get(choice.provider)?.visionModels.has(choice.model) ?? false;
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
    const call = this.beginCall(request, failFast);
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
        running = this.attempt(entry, request, cancel.signal, (text) => texts.push(text));
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
        if (yieldedText) throw this.broken(call, attempt);
        await this.recover(call, entry, attempt, cancel.signal);
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

  /** Resolves the provider and key of a call (throws when there is none) and starts its retry state. */
  private beginCall(request: ChatCompletionRequest, failFast = false): CallState {
    const keyOwner: KeyOwner = request.userKey ? 'user' : 'operator';
    const provider = this.options.config.providers.get(request.provider);
    if (!provider) throw this.rejected(request, keyOwner, 'unknown-provider', null);
    const apiKey = request.userKey?.key ?? provider.apiKey;
    if (apiKey === undefined) throw this.rejected(request, keyOwner, 'missing-key', null);
    const keyFingerprint = request.userKey?.fingerprint ?? OPERATOR_KEY_FINGERPRINT;
    return {
      request,
      keyOwner,
      target: { provider, model: request.model, keyFingerprint, apiKey },
      failFast,
      retries: 0,
      probeWait: null,
      mayWaitForProbe: !failFast,
    };
  }

  /**
   * After a failed attempt: resolves when the call should try again (after waiting out a backoff, a
   * `retry-after` or a probe), throws what the caller gets otherwise.
   */
  private async recover(
    call: CallState,
    entry: BreakerEntry,
    attempt: AttemptFailure,
    cancelSignal: AbortSignal,
  ): Promise<void> {
    const { request, keyOwner } = call;
    const { failure, error } = attempt;
    if (failure === 'circuit-open') {
      if (call.probeWait === null && call.mayWaitForProbe) {
        call.probeWait = this.breakers.planProbeWait(entry, this.options.probeWaitMs);
      }
      // Waits through the half-open and that one probe; when it failed, the call is refused below.
      if (
        call.probeWait !== null &&
        (await this.breakers.waitForProbe(call.probeWait, entry, cancelSignal))
      ) {
        return;
      }
      const retryAfterMs = Math.max(this.breakers.msUntilProbe(entry) ?? 0, this.options.minRetryHintMs);
      throw this.unavailable(request, 'circuit-open', retryAfterMs, error);
    }
    switch (failure.kind) {
      case 'cancelled':
        throw cancelled(error);
      case 'invalid-key':
        throw this.rejected(request, keyOwner, 'invalid-key', failure.status, error);
      case 'quota-exceeded':
        throw this.rejected(request, keyOwner, 'quota-exceeded', 429, error);
      case 'rejected':
        throw this.rejected(request, keyOwner, 'rejected', failure.status, error);
      case 'context-length':
        throw this.rejected(request, keyOwner, 'context-length', null, error);
    }
    call.mayWaitForProbe = false;
    const policy = call.failFast ? this.failFastPolicy : this.retryPolicy;
    const decision = planRetry(failure, call.retries, policy, this.options.random);
    const logFields = {
      provider: request.provider,
      model: request.model,
      keyFingerprint: call.target.keyFingerprint,
      failure: failure.kind,
      attempt: call.retries + 1,
    };
    if (decision.action === 'give-up') {
      this.log.warn(logFields, 'ai call failed');
      const retryAfterMs = decision.retryAfterMs ?? this.breakers.msUntilProbe(entry);
      throw this.unavailable(request, failure.kind, retryAfterMs, error);
    }
    this.log.debug({ ...logFields, retryAfterMs: decision.delayMs }, 'ai call failed; retrying');
    await this.wait(decision.delayMs, cancelSignal);
    call.retries += 1;
  }

  /** What a stream that failed after its first text throws: a cancellation, or a broken stream. */
  private broken(call: CallState, attempt: AttemptFailure): ChorusError {
    const { failure, error } = attempt;
    // A stream that yielded text went through its breaker: it cannot have met an open one.
    if (failure === 'circuit-open' || failure.kind === 'cancelled') return cancelled(error);
    const { request } = call;
    this.log.warn(
      {
        provider: request.provider,
        model: request.model,
        keyFingerprint: call.target.keyFingerprint,
        failure: failure.kind,
      },
      'ai stream broke after its first text',
    );
    return new ProviderStreamBrokenError({
      provider: request.provider,
      model: request.model,
      failure,
      cause: error,
    });
  }

  /**
   * One call through the breaker; records the outcome. Never throws provider failures. A whole call has the
   * call timeout; a streamed one (`onText`) its client's deadlines (first content, then idle).
   */
  private async attempt(
    entry: BreakerEntry,
    request: ChatCompletionRequest,
    cancelSignal: AbortSignal,
    onText: ((text: string) => void) | null,
  ): Promise<AttemptOutcome> {
    if (!(await this.breakers.admit(entry))) {
      this.recordCall(request, 'short-circuited', 'circuit-open', 0);
      return { failure: 'circuit-open', error: new Error('another worker is probing the half-open breaker') };
    }
    const startedAt = this.options.now();
    using deadline = onText === null ? new ScopedAbort([cancelSignal], this.options.config.timeoutMs) : null;
    try {
      const reply = await entry.breaker.fire({
        model: request.model,
        messages: request.messages,
        temperature: request.temperature,
        signal: deadline?.signal ?? cancelSignal,
        cancelSignal,
        onText,
      });
      this.recordCall(request, 'success', null, this.options.now() - startedAt);
      return { reply };
    } catch (error) {
      const failure = toFailure(error, cancelSignal);
      const failureKind = failure === 'circuit-open' ? failure : failure.kind;
      this.recordCall(request, failureOutcome(failure), failureKind, this.options.now() - startedAt);
      return { failure, error };
    }
  }

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.options.sleep(ms, signal);
    } catch (error) {
      if (signal.aborted) throw cancelled(error);
      throw error;
    }
  }

  private recordCall(
    request: ChatCompletionRequest,
    outcome: CallOutcome,
    failureKind: AiCallEvent['failureKind'],
    latencyMs: number,
  ): void {
    this.stats.record(this.options.now(), request.provider, request.model, outcome, latencyMs);
    this.options.onCallFinished?.({
      provider: request.provider,
      model: request.model,
      outcome,
      failureKind,
      latencyMs,
    });
  }

  private unavailable(
    request: ChatCompletionRequest,
    reason: ProviderUnavailableReason,
    retryAfterMs: number | null,
    cause: unknown,
  ): ProviderUnavailableError {
    return new ProviderUnavailableError({
      provider: request.provider,
      model: request.model,
      reason,
      retryAfterMs,
      cause,
    });
  }

  private rejected(
    request: ChatCompletionRequest,
    keyOwner: KeyOwner,
    reason: ProviderRejectedError['reason'],
    status: number | null,
    cause?: unknown,
  ): ProviderRejectedError {
    return new ProviderRejectedError({
      provider: request.provider,
      model: request.model,
      reason,
      keyOwner,
      status,
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

function cancelled(cause?: unknown): ChorusError {
  return new ChorusError(
    ChorusErrorCode.Cancelled,
    'AI call cancelled',
    cause === undefined ? {} : { cause },
  );
}

/**
 * The provider client classifies its own failures; opossum's rejections carry a `code`: ESHUTDOWN (close()
 * shut the breaker down) and EOPENBREAKER (open, or half-open with its probe running). Anything else is a bug
 * and is thrown as is.
 */
function toFailure(error: unknown, cancelSignal: AbortSignal): ProviderFailure | 'circuit-open' {
  if (error instanceof ProviderCallError) return error.failure;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ESHUTDOWN' || (code === 'EOPENBREAKER' && cancelSignal.aborted)) return { kind: 'cancelled' };
  if (code === 'EOPENBREAKER') return 'circuit-open';
  throw error;
}

function failureOutcome(failure: ProviderFailure | 'circuit-open'): CallOutcome {
  if (failure === 'circuit-open') return 'short-circuited';
  if (failure.kind === 'cancelled') return 'cancelled';
  return isProviderFault(failure) ? 'fault' : 'rejected';
}
