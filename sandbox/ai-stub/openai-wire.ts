/**
 * OpenAI's wire format, as the stub writes it: completion bodies, stream chunks and error bodies shaped like
 * the real API's, so the official SDK and any OpenAI-compatible client parse them unchanged.
 */

/** OpenAI's error envelope: `{ error: { message, type, param, code } }`. */
export interface OpenAiErrorBody {
  readonly error: {
    readonly message: string;
    readonly type: string;
    readonly param: string | null;
    readonly code: string | null;
  };
}

/** Usage numbers: the stub counts a token per 4 characters, like OpenAI's rule of thumb. */
export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

/** Rough token count (4 characters per token, at least 1 for non-empty text). */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

export function buildUsage(promptChars: number, completionChars: number): Usage {
  const prompt = estimateTokens(promptChars);
  const completion = estimateTokens(completionChars);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** Reasoning sent beside the text: DeepSeek's (and vLLM's) `reasoning_content`, or OpenRouter's `reasoning`. */
export type ReasoningField = { readonly reasoning_content?: string; readonly reasoning?: string };

/** A non-streamed `chat.completion` body. */
export function buildCompletionBody(
  id: string,
  created: number,
  model: string,
  content: string,
  usage: Usage,
  reasoning: ReasoningField = {},
) {
  return {
    id,
    object: 'chat.completion',
    created,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, annotations: [], ...reasoning },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage,
    system_fingerprint: null,
  };
}

/** One `chat.completion.chunk`: the first carries the role, the last `finish_reason: 'stop'` and no content. */
export function buildChunk(
  id: string,
  created: number,
  model: string,
  delta: { role?: 'assistant'; content?: string; reasoning_content?: string; reasoning?: string },
  finishReason: 'stop' | null,
) {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/** The extra last chunk OpenAI sends when `stream_options.include_usage` is set: no choices, only usage. */
export function buildUsageChunk(id: string, created: number, model: string, usage: Usage) {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    system_fingerprint: null,
    choices: [],
    usage,
  };
}

/**
 * OpenRouter's mid-stream error: a chunk with a top-level `error` (numeric code) and `finish_reason: "error"`,
 * sent inside a 200 stream once the headers are out.
 */
export function buildStreamErrorChunk(id: string, created: number, model: string) {
  return {
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    error: { code: 502, message: 'Upstream provider returned an error mid-stream.' },
    choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
  };
}

/** Splits text into pieces of `size` characters (so a `<think>` tag ends up split across chunks). */
export function splitIntoPieces(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += size) pieces.push(text.slice(index, index + size));
  return pieces;
}

/** Splits a reply into stream deltas of a few words each (whitespace kept, so the deltas join back exactly). */
export function splitIntoDeltas(content: string, wordsPerDelta = 3): string[] {
  const pieces = content.match(/\s*\S+|\s+$/g) ?? [];
  const deltas: string[] = [];
  for (let index = 0; index < pieces.length; index += wordsPerDelta) {
    deltas.push(pieces.slice(index, index + wordsPerDelta).join(''));
  }
  return deltas;
}

/** One server-sent event line pair. */
export function formatSseData(payload: unknown): string {
  return `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
}

/** OpenAI's real context-length error (as of 2024–2025), with the stub's numbers. */
export function buildContextLengthError(limitTokens: number, requestTokens: number): OpenAiErrorBody {
  return {
    error: {
      message:
        `This model's maximum context length is ${limitTokens} tokens. However, your messages resulted in ` +
        `${Math.max(requestTokens, limitTokens + 1)} tokens. Please reduce the length of the messages.`,
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  };
}

/** OpenAI's body for an unknown or revoked key. Never echoes the key (OpenAI shows a masked prefix). */
export function buildInvalidKeyError(): OpenAiErrorBody {
  return {
    error: {
      message:
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error',
      param: null,
      code: 'invalid_api_key',
    },
  };
}

/** A plausible OpenAI body for an injected error status. */
export function buildStatusError(status: number): OpenAiErrorBody {
  if (status === 429) {
    return {
      error: {
        message: 'Rate limit reached for requests. Please try again later.',
        type: 'requests',
        param: null,
        code: 'rate_limit_exceeded',
      },
    };
  }
  if (status === 503) {
    return {
      error: {
        message: 'The engine is currently overloaded, please try again later.',
        type: 'server_error',
        param: null,
        code: null,
      },
    };
  }
  if (status >= 500) {
    return {
      error: {
        message: 'The server had an error while processing your request. Sorry about that!',
        type: 'server_error',
        param: null,
        code: null,
      },
    };
  }
  if (status === 404) {
    return {
      error: {
        message: 'The model does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      },
    };
  }
  return {
    error: { message: `Stub error ${status}.`, type: 'invalid_request_error', param: null, code: null },
  };
}

/** A malformed request (bad JSON, missing fields). */
export function buildInvalidRequestError(message: string, param: string | null): OpenAiErrorBody {
  return { error: { message, type: 'invalid_request_error', param, code: null } };
}
