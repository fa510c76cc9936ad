import type {
  AiService,
  AiStreamEvent,
  FallbackCompletionRequest,
  FallbackCompletionResult,
  UserKeySource,
} from '../ai/index.js';
import { ProviderRejectedError } from '../ai/index.js';
import { substituteCardMacros } from '../cards/index.js';
import type { ReplyChainWalker, WindowLine } from '../context/index.js';
import {
  type AssembledPrompt,
  assemblePrompt,
  computePromptBudget,
  estimatePromptTokens,
  findContextTokens,
  hasPromptDrops,
  type PromptInput,
  type PromptMemory,
  type PromptSettings,
} from '../context/index.js';
import type { PromptObserver } from '../inspector/index.js';
import type { Logger } from '../log/index.js';
import type { CoalescedPart } from '../queue/index.js';
import { findAnsweredMessageIdOf, type ReplyJob } from '../queue/reply-job.js';
import type { ConversationTurn, Personality } from '../state/index.js';
import type { AttachmentReader } from './attachment-reader.js';

/** What the reply processor read for the prompt in its first round trip. */
export interface ReadContext {
  readonly history: readonly ConversationTurn[];
  /** The channel's lines before the message (guild channels only; `personal` mode ignores them). */
  readonly windowLines: readonly WindowLine[];
  /** The message replied to, when the window or the fetched-message cache holds it. */
  readonly repliedTo: ReadonlyMap<string, WindowLine>;
  /** Follow-ups the user sent right after the message, answered with it (oldest first). */
  readonly joined: readonly CoalescedPart[];
  /** What the personality remembers of the user (summary, notes); absent = nothing. */
  readonly memory?: PromptMemory;
}

/** What {@link ContextualCompletion} needs. */
export interface ContextualCompletionDependencies {
  readonly ai: Pick<AiService, 'completeWithFallbacks' | 'streamWithFallbacks'>;
  readonly replyChains: ReplyChainWalker;
  readonly prompt: PromptSettings;
  /** Fetches the message's attachments for the prompt (images for vision models, text files). */
  readonly attachments: Pick<AttachmentReader, 'read'>;
  readonly logger: Logger;
}

/**
 * One reply's AI call with its context: the prompt's input (window, history, reply chain), assembled within the
 * model's budget, and sent again once with half the budget when the provider finds it too long after all.
 */
export class ContextualCompletion {
  private readonly log: Logger;

  constructor(private readonly deps: ContextualCompletionDependencies) {
    this.log = deps.logger.child({ module: 'reply-processor' });
  }

  /**
   * What the prompt is built from: in a guild channel the window read with the job and the reply chain (walked
   * from the message replied to, through the window, its cache and at most a few Discord fetches); in DMs only
   * the history, as `personal`. The message's attachments are fetched meanwhile (`signal` cancels that).
   */
  async buildInput(
    job: ReplyJob,
    personality: Personality,
    context: ReadContext,
    content: string,
    signal?: AbortSignal,
  ): Promise<PromptInput> {
    const repliedToId = job.guildId === null ? null : (job.replyToMessageId ?? null);
    const [chain, attachments] = await Promise.all([
      repliedToId === null
        ? []
        : this.deps.replyChains
            .walk(job.channelId, repliedToId, [...context.windowLines, ...context.repliedTo.values()])
            .then((walked) => walked.lines),
      this.deps.attachments.read(job, personality, signal),
    ]);
    return {
      // {{char}}/{{user}} (character cards) name this personality and the person it answers now.
      systemPrompt: substituteCardMacros(personality.systemPrompt, {
        char: personality.name,
        user: job.authorName,
      }),
      personalityId: personality.id,
      personalityName: personality.name,
      mode: job.guildId === null ? 'personal' : personality.contextMode,
      windowLines: context.windowLines,
      history: context.history,
      chain,
      current: {
        authorName: job.authorName,
        parts: [content, ...context.joined.map((part) => part.content)],
        messageId: findAnsweredMessageIdOf(job),
        at: job.messageCreatedAt,
        ...(attachments.length === 0 ? {} : { attachments }),
      },
      channelContext: this.deps.prompt.channelContext,
      budgetTokens: computePromptBudget(
        findContextTokens(this.deps.prompt.providers, personality.provider, personality.model),
      ),
      ...(context.memory === undefined ? {} : { memory: context.memory }),
    };
  }

  /**
   * The AI call: the personality's model, or while it is down its fallback models in order, each with the
   * user's own key for its provider when they have one (`keys`). When the provider says the prompt is too long
   * for the model after all (the estimate is conservative for common tokenizers, not all), it is assembled again
   * within half its estimated size and sent once more; a second refusal is thrown. `observer` sees the prompt
   * sent, and the answer's arrival as its first token.
   */
  async complete(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    keys: UserKeySource,
    signal: AbortSignal,
    observer?: PromptObserver,
  ): Promise<FallbackCompletionResult> {
    let prompt = this.assemble(job, input);
    for (let attempt = 1; ; attempt += 1) {
      try {
        observer?.sent(personality.model, prompt.messages);
        const result = await this.deps.ai.completeWithFallbacks(
          this.buildRequest(personality, prompt, keys, signal),
          personality.fallbackModels,
        );
        observer?.firstToken();
        observer?.answeredBy(result.model);
        return result;
      } catch (error) {
        if (!isContextLengthRefusal(error) || attempt > 1) throw error;
        prompt = this.reassemble(job, personality, input, prompt, error as ProviderRejectedError);
      }
    }
  }

  /**
   * The AI call, streamed: the personality's model, or while it is down before any text came its fallback
   * models in order. Sent again once with half the budget when the provider finds the prompt too long before
   * any text came. `observer` sees the prompt sent, the first text and the model that answered.
   */
  async *stream(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    keys: UserKeySource,
    signal: AbortSignal,
    observer?: PromptObserver,
  ): AsyncGenerator<AiStreamEvent> {
    let prompt = this.assemble(job, input);
    for (let attempt = 1; ; attempt += 1) {
      let yielded = false;
      try {
        observer?.sent(personality.model, prompt.messages);
        for await (const event of this.deps.ai.streamWithFallbacks(
          this.buildRequest(personality, prompt, keys, signal),
          personality.fallbackModels,
        )) {
          yielded = true;
          if (event.type === 'text') observer?.firstToken();
          else if (event.answeredBy !== undefined) observer?.answeredBy(event.answeredBy.model);
          yield event;
        }
        return;
      } catch (error) {
        if (yielded || !isContextLengthRefusal(error) || attempt > 1) throw error;
        prompt = this.reassemble(job, personality, input, prompt, error as ProviderRejectedError);
      }
    }
  }

  private buildRequest(
    personality: Personality,
    prompt: AssembledPrompt,
    keys: UserKeySource,
    signal: AbortSignal,
  ): FallbackCompletionRequest {
    return {
      provider: personality.provider,
      model: personality.model,
      messages: prompt.messages,
      temperature: personality.temperature,
      keys,
      signal,
    };
  }

  /** The prompt again within half its estimated size, after `refusal` found it too long. */
  private reassemble(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    prompt: AssembledPrompt,
    refusal: ProviderRejectedError,
  ): AssembledPrompt {
    const budgetTokens = Math.floor(Math.min(input.budgetTokens, estimatePromptTokens(prompt.messages)) / 2);
    this.log.info(
      {
        channelId: job.channelId,
        personalityId: personality.id,
        // The model that refused: the personality's own, or the fallback answering for it.
        provider: refusal.provider,
        model: refusal.model,
        budgetTokens,
      },
      'prompt too long for the model; assembling it again with half the budget',
    );
    return this.assemble(job, { ...input, budgetTokens });
  }

  /** Assembles the prompt, logging what the budget left out. */
  private assemble(job: ReplyJob, input: PromptInput): AssembledPrompt {
    const prompt = assemblePrompt(input);
    const { dropped } = prompt;
    if (hasPromptDrops(dropped)) {
      this.log.info(
        {
          channelId: job.channelId,
          personalityId: input.personalityId,
          droppedChannelLines: dropped.channelLines,
          droppedHistoryTurns: dropped.historyTurns,
          droppedChainLines: dropped.chainLines,
          messageTruncated: dropped.messageTruncated,
          budgetTokens: input.budgetTokens,
        },
        'prompt trimmed to fit the model',
      );
    }
    const cut = prompt.memoryCut;
    if (cut !== undefined && (cut.summaryCut || cut.notesDropped > 0)) {
      this.log.info(
        {
          channelId: job.channelId,
          personalityId: input.personalityId,
          summaryCut: cut.summaryCut,
          notesDropped: cut.notesDropped,
          budgetTokens: input.budgetTokens,
        },
        'memory cut to its share of the prompt',
      );
    }
    return prompt;
  }
}

function isContextLengthRefusal(error: unknown): boolean {
  return error instanceof ProviderRejectedError && error.reason === 'context-length';
}
