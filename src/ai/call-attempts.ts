import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import { ScopedAbort } from '../http/scoped-abort.js';
import type { Logger } from '../log/index.js';
import type { AiCallEvent, ResolvedAiServiceOptions } from './ai-service-options.js';
import type { BreakerEntry } from './breaker-entry.js';
import { OPERATOR_KEY_FINGERPRINT } from './breaker-key.js';
import type { BreakerRegistry, BreakerTarget, ProbeWait } from './breaker-registry.js';
import type { CallOutcome, CallStatsWindow } from './call-stats-window.js';
import type { ChatCompletionRequest } from './chat-completion.js';
import { ProviderCallError, type ProviderReply } from './provider-client.js';
import {
  type KeyOwner,
  ProviderRejectedError,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from './provider-errors.js';
import { isProviderFault, type ProviderFailure } from './provider-failure.js';
import { planRetry, type RetryPolicy } from './retry-policy.js';

/** One call's provider, key and retry state, across its attempts. */
export interface CallState {
  readonly request: ChatCompletionRequest;
  readonly keyOwner: KeyOwner;
  readonly target: BreakerTarget;
  /** No retries, no wait for a probe: another model is ready to answer (see `CompleteOptions`). */
  readonly failFast: boolean;
  retries: number;
  /** Set when this call first meets an open breaker whose probe is due soon: it waits for that probe only. */
  probeWait: ProbeWait | null;
  /** A call that met a provider fault itself gives up at an open breaker rather than wait for a probe. */
  mayWaitForProbe: boolean;
}

/** A failed attempt: what failed, and the error that said so. */
export interface AttemptFailure {
  readonly failure: ProviderFailure | 'circuit-open';
  readonly error: unknown;
}

export type AttemptOutcome = { readonly reply: ProviderReply } | AttemptFailure;

/**
 * The attempts of one provider call and what happens between them, for AiService's call loops: each attempt
 * goes through the call's breaker and is recorded (stats, `onCallFinished`); after a failure, the call waits
 * out a backoff, a `retry-after` or a due probe and tries again, or gets the error its caller sees.
 */
export class CallAttempts {
  private readonly retryPolicy: RetryPolicy;
  /** The policy of a fail-fast call: no retries. */
  private readonly failFastPolicy: RetryPolicy;

  constructor(
    private readonly options: ResolvedAiServiceOptions,
    private readonly breakers: BreakerRegistry,
    private readonly stats: CallStatsWindow,
    private readonly log: Logger,
  ) {
    this.retryPolicy = {
      maxRetries: options.config.maxRetries,
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
      maxRetryAfterMs: options.maxRetryAfterMs,
    };
    this.failFastPolicy = { ...this.retryPolicy, maxRetries: 0 };
  }

  /** Resolves the provider and key of a call (throws when there is none) and starts its retry state. */
  beginCall(request: ChatCompletionRequest, failFast = false): CallState {
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
  async recover(
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
  broken(call: CallState, attempt: AttemptFailure): ChorusError {
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
  async attempt(
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

/** What an AI call rejects with once its caller's signal fired or the service closed. */
export function cancelled(cause?: unknown): ChorusError {
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
