import type { AiService, ChatMessage } from '../ai/index.js';
import type { Logger } from '../log/index.js';
import type { MemoryRepository, PendingTurn } from './memory-repository.js';

/**
 * How the summarization prompt opens. Recognisable on purpose: the sandbox's AI stub answers a prompt opening
 * with it by keeping the `fact:` lines, so end-to-end tests can follow a fact through the summary.
 */
export const SUMMARY_INSTRUCTION_PREFIX = 'Summarize for long-term memory.';

/** Longest summary kept, in characters; a longer answer is cut. */
export const MAX_SUMMARY_CHARS = 4000;

/** Most pending turns folded per call, so one call's prompt stays small. */
export const MAX_TURNS_PER_FOLD = 60;

/** Which model summarizes: `SUMMARY_MODEL`, else the personality's own. */
export interface SummaryModel {
  readonly provider: string;
  readonly model: string;
}

/** One summarization to run: whose memory, which claim. */
export interface SummaryRequest {
  readonly userId: string;
  readonly suffix: string;
  readonly claimToken: string;
}

/** What a summarization ended with. */
export type SummaryOutcome = 'summarized' | 'nothing-pending' | 'claim-lost';

/** Builds the chat messages of one summarization (pure). */
export function buildSummaryMessages(previous: string | null, turns: readonly PendingTurn[]): ChatMessage[] {
  const system = [
    SUMMARY_INSTRUCTION_PREFIX,
    'You keep the memory of a long conversation between a user and a character. Rewrite the previous summary',
    'with the new turns folded in: keep every fact about the user (names, preferences, plans, lines marked',
    `"fact:"), decisions and open threads; drop small talk. Answer with the summary only, under ${MAX_SUMMARY_CHARS} characters.`,
  ].join('\n');
  const user = [
    '[Previous summary]',
    previous ?? '(none)',
    '[New turns, oldest first]',
    ...turns.map((turn) => `${turn.role === 'assistant' ? 'Character' : 'User'}: ${turn.content}`),
  ].join('\n');
  return [
    { role: 'system', content: system },
    { role: 'user', content: user },
  ];
}

/** What {@link MemorySummarizer} needs. */
export interface MemorySummarizerDependencies {
  readonly memory: Pick<MemoryRepository, 'fetchSummary' | 'fetchPending' | 'fold' | 'releaseClaim'>;
  readonly ai: Pick<AiService, 'complete'>;
  readonly logger: Logger;
}

/**
 * Folds a conversation's pending turns into its rolling summary: one AI call through the service's providers and
 * breakers, then an atomic write that removes exactly the folded turns and releases the claim. A failure throws
 * (the task is retried with backoff); the turns stay pending, and nothing waits on it.
 */
export class MemorySummarizer {
  private readonly log: Logger;

  constructor(private readonly deps: MemorySummarizerDependencies) {
    this.log = deps.logger.child({ module: 'memory-summarizer' });
  }

  async summarize(request: SummaryRequest, model: SummaryModel): Promise<SummaryOutcome> {
    const { memory } = this.deps;
    const { userId, suffix, claimToken } = request;
    const [previous, pending] = await Promise.all([
      memory.fetchSummary(userId, suffix),
      memory.fetchPending(userId, suffix),
    ]);
    const turns = pending.slice(0, MAX_TURNS_PER_FOLD);
    if (turns.length === 0) {
      await memory.releaseClaim(userId, suffix, claimToken);
      return 'nothing-pending';
    }
    const result = await this.deps.ai.complete({
      provider: model.provider,
      model: model.model,
      messages: buildSummaryMessages(previous, turns),
      temperature: 0,
      userKey: null,
    });
    const summary = result.content.trim().slice(0, MAX_SUMMARY_CHARS);
    const folded = await memory.fold(userId, suffix, claimToken, summary, turns);
    if (folded === null) {
      this.log.warn({ userId }, 'summarization claim lost; summary not written');
      return 'claim-lost';
    }
    this.log.info(
      {
        userId,
        provider: model.provider,
        model: model.model,
        folded: folded.removed,
        remaining: folded.remaining,
        summaryChars: summary.length,
      },
      'memory summary written',
    );
    return 'summarized';
  }

  /** Gives up on a summarization (its last attempt failed): the claim goes, the next append enqueues again. */
  async abandon(request: SummaryRequest): Promise<void> {
    await this.deps.memory.releaseClaim(request.userId, request.suffix, request.claimToken);
  }
}

/** `SUMMARY_MODEL` as configured: a provider and model, or a model of each personality's own provider. */
export interface SummaryModelSetting {
  readonly provider: string | null;
  readonly model: string;
}

/** Parses `SUMMARY_MODEL` (`provider/model` or `model`); the first `/` splits. */
export function parseSummaryModel(value: string): SummaryModelSetting {
  const separator = value.indexOf('/');
  return separator > 0
    ? { provider: value.slice(0, separator), model: value.slice(separator + 1) }
    : { provider: null, model: value };
}

/** The model that summarizes a personality's memory: `SUMMARY_MODEL` when set, else the personality's own. */
export function resolveSummaryModel(
  setting: SummaryModelSetting | null,
  personality: SummaryModel,
): SummaryModel {
  if (setting === null) return { provider: personality.provider, model: personality.model };
  return { provider: setting.provider ?? personality.provider, model: setting.model };
}
