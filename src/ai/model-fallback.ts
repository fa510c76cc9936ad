/**
 * The answering order of a personality's models: its own first, then its fallbacks in order. Pure: which models
 * make the chain, how patiently each is tried, what a failure means for the chain, and the error when every
 * model is down. {@link runModelChain} walks a chain with any call (AiService.completeWithFallbacks uses
 * `complete`; a streamed call can use it the same way up to its first token).
 */
import type { ModelChoice } from './chat-completion.js';
import {
  ProviderRejectedError,
  type ProviderRejectedReason,
  ProviderUnavailableError,
} from './provider-errors.js';

/** One model of a chain, and how patiently it is tried. */
export interface ChainModel extends ModelChoice {
  /** 0 for the personality's own model, n for the n-th model of its fallback list. */
  readonly fallback: number;
  /**
   * A later model is ready to answer: this one gives up at its first provider fault or open breaker, without
   * retries or waiting for a probe. False for the last model, which is tried as a lone model always is.
   */
  readonly failFast: boolean;
}

/**
 * The chain: `primary`, then each fallback not already in it (a fallback equal to the primary, which an edit of
 * the primary can leave behind, or repeated, is left out; the others keep their place in the list as number).
 */
export function planModelChain(primary: ModelChoice, fallbacks: readonly ModelChoice[]): ChainModel[] {
  const models: Array<Omit<ChainModel, 'failFast'>> = [{ ...pick(primary), fallback: 0 }];
  fallbacks.forEach((candidate, index) => {
    const known = models.some(
      (model) => model.provider === candidate.provider && model.model === candidate.model,
    );
    if (!known) models.push({ ...pick(candidate), fallback: index + 1 });
  });
  return models.map((model, index) => ({ ...model, failFast: index < models.length - 1 }));
}

/**
 * Refusals that say a fallback cannot be used by this caller (its provider is no longer configured, or there is
 * no key, a refused key or a spent one for it), not that the request is wrong: the chain goes on without it.
 */
const UNUSABLE_FALLBACK: ReadonlySet<ProviderRejectedReason> = new Set([
  'unknown-provider',
  'missing-key',
  'invalid-key',
  'quota-exceeded',
]);

/**
 * What a model's failure means for the chain:
 * - `down`: the provider is failing (5xx, 429, timeout, network, open breaker): the next model answers;
 * - `skip`: a fallback this caller cannot use (see {@link UNUSABLE_FALLBACK}): the next model answers;
 * - `throw`: everything else ends the chain with this error: a cancellation, a bug, and a refusal of the request
 *   itself (a bad request, a prompt too long for the model), or of the own model's key, which the user should
 *   hear about rather than have another model answer for it.
 */
export function decideAfterFailure(model: ChainModel, error: unknown): 'down' | 'skip' | 'throw' {
  if (error instanceof ProviderUnavailableError) return 'down';
  if (error instanceof ProviderRejectedError && model.fallback > 0 && UNUSABLE_FALLBACK.has(error.reason)) {
    return 'skip';
  }
  return 'throw';
}

/**
 * The error once no model of the chain could answer: the own model's, unchanged when it was the only one tried;
 * otherwise its provider, model and reason with the soonest time any of them may answer again.
 */
export function buildAllDownError(down: readonly ProviderUnavailableError[]): ProviderUnavailableError {
  const [primary] = down;
  if (primary === undefined) throw new Error('a model chain ended without a failure to report');
  if (down.length === 1) return primary;
  const hints = down.flatMap((error) => (error.retryAfterMs === null ? [] : [error.retryAfterMs]));
  return new ProviderUnavailableError({
    provider: primary.provider,
    model: primary.model,
    reason: primary.reason,
    retryAfterMs: hints.length === 0 ? null : Math.min(...hints),
    cause: new AggregateError(down, 'every model of the chain is down'),
  });
}

/** What {@link runModelChain} reports as it moves past a model. */
export type ChainFallThrough = {
  readonly model: ChainModel;
  readonly step: 'down' | 'skip';
  readonly error: ProviderUnavailableError | ProviderRejectedError;
};

/**
 * Tries the chain's models in order with `attempt` until one answers: a model that is `down` or skipped
 * ({@link decideAfterFailure}) passes to the next, reported to `onFallThrough`; any other failure is thrown as
 * is. When none answers, throws {@link buildAllDownError}. Only the own model is always tried: a chain whose
 * own model was refused never reaches its fallbacks.
 */
export async function runModelChain<T>(
  chain: readonly ChainModel[],
  attempt: (model: ChainModel) => Promise<T>,
  onFallThrough: (fallThrough: ChainFallThrough) => void,
): Promise<{ readonly value: T; readonly model: ChainModel }> {
  const down: ProviderUnavailableError[] = [];
  for (const model of chain) {
    try {
      return { value: await attempt(model), model };
    } catch (error) {
      const step = decideAfterFailure(model, error);
      if (step === 'throw') throw error;
      if (error instanceof ProviderUnavailableError) down.push(error);
      onFallThrough({ model, step, error: error as ProviderUnavailableError | ProviderRejectedError });
    }
  }
  throw buildAllDownError(down);
}

function pick(choice: ModelChoice): ModelChoice {
  return { provider: choice.provider, model: choice.model };
}
