/** One chat message in the OpenAI format. */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

/** A user's own key for a provider, decrypted in the worker only. */
export interface UserApiKey {
  readonly key: string;
  /** Short non-reversible id of the key (e.g. first 12 hex of SHA-256): keys breakers and logs. */
  readonly fingerprint: string;
}

export interface ChatCompletionRequest {
  readonly provider: string;
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly temperature: number | null;
  /** The user's own key; the provider's configured key otherwise. */
  readonly userKey: UserApiKey | null;
  /** Cancels the call (a deleted user message, a shutdown). */
  readonly signal?: AbortSignal;
}

/** Tokens a call used, as the provider counted them. */
export interface TokenUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
}

export interface ChatCompletionResult {
  /** The visible reply: `<think>` blocks and reasoning fields are never part of it. */
  readonly content: string;
  readonly latencyMs: number;
  /** The model only reasoned: `content` is empty but there was reasoning (the caller shows a notice). */
  readonly reasoningOnly: boolean;
  /** The provider's count, when its answer had one. */
  readonly usage: TokenUsage | null;
}

/** One event of {@link AiService.stream}. */
export type AiStreamEvent =
  /** More of the reply: visible text only, never reasoning. Never empty. */
  | { readonly type: 'text'; readonly text: string }
  /**
   * The stream ended cleanly (`[DONE]`, a `finish_reason`, or both). `usage` when the provider sent it (see
   * `streamUsage`); `reasoningOnly` when no text came but reasoning did.
   */
  | {
      readonly type: 'end';
      readonly finishReason: string | null;
      readonly usage: TokenUsage | null;
      readonly reasoningOnly: boolean;
    };
