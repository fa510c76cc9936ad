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

export interface ChatCompletionResult {
  readonly content: string;
  readonly latencyMs: number;
}
