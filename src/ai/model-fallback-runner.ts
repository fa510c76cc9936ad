import type { Logger } from '../log/index.js';
import type { CompleteOptions, ResolvedAiServiceOptions } from './ai-service-options.js';
import type {
  AiStreamEvent,
  ChatCompletionRequest,
  ChatCompletionResult,
  FallbackCompletionRequest,
  FallbackCompletionResult,
  ModelChoice,
} from './chat-completion.js';
import { dropImageParts } from './content-parts.js';
import { type ChainModel, planModelChain, runModelChain } from './model-fallback.js';

/** The single-model calls a chain is walked with: AiService's own `complete` and `stream`. */
export interface SingleModelCalls {
  complete(request: ChatCompletionRequest, options: Partial<CompleteOptions>): Promise<ChatCompletionResult>;
  stream(request: ChatCompletionRequest, options: Partial<CompleteOptions>): AsyncIterable<AiStreamEvent>;
}

/**
 * A personality's models tried in order (model-fallback.ts plans the chain) for AiService's
 * `completeWithFallbacks` and `streamWithFallbacks`: each model is called with the user's key for its
 * provider, and a fallback answering is logged and reported.
 */
export class ModelFallbackRunner {
  constructor(
    private readonly calls: SingleModelCalls,
    private readonly options: ResolvedAiServiceOptions,
    private readonly log: Logger,
  ) {}

  /** AiService.completeWithFallbacks: the answer, with the model that gave it and the whole chain's time. */
  async complete(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): Promise<FallbackCompletionResult> {
    const startedAt = this.options.now();
    const { value, model, ownKey } = await this.run(request, fallbacks, (next, options) =>
      this.calls.complete(next, options),
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

  /** AiService.streamWithFallbacks: a model falls through only before its first event. */
  async *stream(
    request: FallbackCompletionRequest,
    fallbacks: readonly ModelChoice[],
  ): AsyncGenerator<AiStreamEvent, void, undefined> {
    const { value, model, ownKey } = await this.run(request, fallbacks, async (next, options) => {
      const events = this.calls.stream(next, options)[Symbol.asyncIterator]();
      // Its first event (or its failure before any) decides whether this model answers.
      return { events, first: await events.next() };
    });
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
  private async run<T>(
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
}
