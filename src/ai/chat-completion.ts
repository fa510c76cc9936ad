/** One part of a message with images, in the OpenAI format. */
export type ContentPart =
  | { readonly type: 'text'; readonly text: string }
  /** An image: an `https:` URL the provider fetches, or a `data:image/…;base64,…` URL. */
  | { readonly type: 'image_url'; readonly image_url: { readonly url: string } };

/**
 * One chat message in the OpenAI format. `content` is plain text, except the user turn that shows images to a
 * vision model: its text part first, then one part per image.
 */
export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string | readonly ContentPart[];
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

/** A provider's model, as `AI_PROVIDERS` names them. */
export interface ModelChoice {
  readonly provider: string;
  readonly model: string;
}

/** Where a call finds the user's own key for a provider (the worker's keyring): asked per provider tried. */
export interface UserKeySource {
  /** The user's key for `provider`, or null (the provider's configured key is used). */
  open(provider: string): UserApiKey | null;
}

/** A completion that may fall back to other models: the request's own, then each fallback in order. */
export interface FallbackCompletionRequest extends Omit<ChatCompletionRequest, 'userKey'> {
  /** The user's own keys: each model tried uses the user's key for its provider, if any. */
  readonly keys: UserKeySource;
}

/** The model that answered a call that may fall back, and whether the user's own key paid for it. */
export interface AnsweredBy extends ModelChoice {
  /** true when the call used the user's own key for `provider`, false when the operator's. */
  readonly ownKey: boolean;
}

export interface FallbackCompletionResult extends ChatCompletionResult, AnsweredBy {
  /** 0 when the request's own model answered, n when its n-th fallback did. */
  readonly fallback: number;
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
      /** The model that answered and who paid: set by `streamWithFallbacks`, absent from a lone `stream`. */
      readonly answeredBy?: AnsweredBy;
    };
