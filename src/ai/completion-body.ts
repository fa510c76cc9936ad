/**
 * What the bodies of a provider's answers mean: a whole chat completion, an error envelope. Pure: the client
 * reads the bytes.
 */
import { z } from 'zod';
import type { TokenUsage } from './chat-completion.js';
import { ProviderCallError } from './provider-failure.js';
import { stripReasoning } from './reasoning-filter.js';
import { readUsage } from './stream-event.js';

/** What a call returned (for a stream: how it ended; its text went to `onText`). */
export interface ProviderReply {
  /** The whole visible reply; empty for a stream. Reasoning is never part of it. */
  readonly content: string;
  readonly finishReason: string | null;
  readonly usage: TokenUsage | null;
  /** No visible text, but the model reasoned (`<think>`, `reasoning_content`, `reasoning`). */
  readonly reasoningOnly: boolean;
}

/** The minimal shape of a chat completion we rely on; checked because "OpenAI-compatible" varies. */
const CompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullable().optional(),
          refusal: z.string().nullable().optional(),
          // DeepSeek and vLLM's reasoning parsers; OpenRouter calls it `reasoning`.
          reasoning_content: z.string().nullable().optional(),
          reasoning: z.string().nullable().optional(),
        }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z.unknown().optional(),
});

/** The provider error envelope: `{ error: { message, code, type } }`, or `{ error: "…" }` (Ollama and others). */
const ErrorEnvelopeSchema = z.object({
  error: z.union([z.string(), z.object({ message: z.unknown().optional(), code: z.unknown().optional() })]),
});

/**
 * The reply in a whole chat completion's body, reasoning taken out. Throws {@link ProviderCallError}
 * (`bad-response`) when the body is no chat completion.
 */
export function parseCompletion(body: Buffer): ProviderReply {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    throw new ProviderCallError({ kind: 'bad-response', detail: 'the answer is not JSON' });
  }
  const parsed = CompletionSchema.safeParse(json);
  if (!parsed.success) {
    throw new ProviderCallError({ kind: 'bad-response', detail: 'the answer is not a chat completion' });
  }
  const choice = parsed.data.choices[0]!;
  const { message } = choice;
  const { visible, sawReasoning } = stripReasoning(message.content ?? message.refusal ?? '');
  const reasoned = sawReasoning || Boolean(message.reasoning_content) || Boolean(message.reasoning);
  return {
    content: visible,
    finishReason: choice.finish_reason ?? null,
    usage: readUsage(parsed.data.usage),
    reasoningOnly: visible === '' && reasoned,
  };
}

/**
 * The code and message of an error answer: its JSON envelope when it has one, else its text; `body` null when
 * it was over the size cap.
 */
export function parseErrorBody(
  status: number,
  body: Buffer | null,
): { code: string | null; message: string } {
  if (body === null) return { code: null, message: `HTTP ${status} with an error body over the size cap` };
  const text = body.toString('utf8').trim();
  if (text === '') return { code: null, message: `HTTP ${status} with no body` };
  const envelope = ErrorEnvelopeSchema.safeParse(parseJsonOrNull(text));
  if (!envelope.success) return { code: null, message: text };
  const { error } = envelope.data;
  if (typeof error === 'string') return { code: null, message: error };
  return {
    code: typeof error.code === 'string' ? error.code : null,
    message: typeof error.message === 'string' ? error.message : text,
  };
}

function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
