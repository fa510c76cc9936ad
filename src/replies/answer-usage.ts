import type { AnsweredBy, TokenUsage } from '../ai/index.js';
import type { AnswerUsage } from '../usage/index.js';

/**
 * What an AI answer cost, for its decision to record: the provider's token count and the model (and payer)
 * that answered. null when the provider sent no count, or the answering model is unknown (nothing is counted
 * then).
 */
export function buildAnswerUsage(
  usage: TokenUsage | null,
  answeredBy: AnsweredBy | undefined,
): AnswerUsage | null {
  if (usage === null || answeredBy === undefined) return null;
  return {
    provider: answeredBy.provider,
    model: answeredBy.model,
    ownKey: answeredBy.ownKey,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
  };
}
