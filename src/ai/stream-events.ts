/**
 * The contract of `AiService.stream` (issue 19), as the reply path codes against it. Helper "stream-ai" builds the
 * streaming call itself; when its branch is merged this file goes, and these names come from its modules.
 */
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { ChatCompletionRequest } from './chat-completion.js';

/** Tokens a call used, as the provider counted them. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

/** One event of a streamed chat completion. */
export type AiStreamEvent =
  /** More of the reply: visible text only, never reasoning. */
  | { readonly type: 'text'; readonly text: string }
  /** The stream ended cleanly (`[DONE]`, a `finish_reason`, or both). */
  | {
      readonly type: 'end';
      readonly finishReason: string | null;
      readonly usage: TokenUsage | null;
      readonly reasoningOnly: boolean;
    };

/** A streamed chat completion: `AiService.stream`, through the same providers, keys and breakers as `complete`. */
export interface AiStreamSource {
  /**
   * The reply as it is written. Throws what `complete` throws before the first text (after the same retries);
   * after it, a broken stream throws {@link ProviderStreamBrokenError}. Aborting `request.signal` stops the HTTP
   * stream.
   */
  stream(request: ChatCompletionRequest): AsyncIterable<AiStreamEvent>;
}

/** Fields of {@link ProviderStreamBrokenError}. */
export interface ProviderStreamBrokenDetails {
  readonly provider: string;
  readonly model: string;
  readonly cause?: unknown;
}

/**
 * A streamed reply broke after some of its text was yielded: the connection ended or failed before `[DONE]` and
 * without a `finish_reason`, or the provider sent an error inside the stream. It counted against the breaker.
 */
export class ProviderStreamBrokenError extends ChorusError {
  readonly provider: string;
  readonly model: string;

  constructor(details: ProviderStreamBrokenDetails) {
    super(
      ChorusErrorCode.ProviderUnavailable,
      `the reply stream of ${details.provider}/${details.model} broke after its first text`,
      details.cause === undefined ? {} : { cause: details.cause },
    );
    this.provider = details.provider;
    this.model = details.model;
  }
}
