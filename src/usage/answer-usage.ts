/**
 * What one AI answer cost, as a reply records it (with its decision, so a retry counts it once, see
 * UsageRepository.count): tokens as the provider counted them, the model that answered, and who paid.
 */
export interface AnswerUsage {
  readonly provider: string;
  readonly model: string;
  /** true when the user's own key for `provider` paid: counted apart, and exempt from the operator's quotas. */
  readonly ownKey: boolean;
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/** Who paid for an answer, as counters and metrics name it. */
export type Payer = 'operator' | 'own';

/** The payer of `usage`. */
export function findPayer(usage: Pick<AnswerUsage, 'ownKey'>): Payer {
  return usage.ownKey ? 'own' : 'operator';
}

/** The tokens of an answer, prompt and completion together. */
export function sumTokens(usage: Pick<AnswerUsage, 'promptTokens' | 'completionTokens'>): number {
  return usage.promptTokens + usage.completionTokens;
}
