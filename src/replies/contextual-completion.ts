import type {
  AiService,
  AiStreamEvent,
  AiStreamSource,
  ChatCompletionRequest,
  ChatCompletionResult,
  UserApiKey,
} from '../ai/index.js';
import { ProviderRejectedError } from '../ai/index.js';
import type { ReplyChainWalker, WindowLine } from '../context/index.js';
import {
  type AssembledPrompt,
  assemblePrompt,
  computePromptBudget,
  estimatePromptTokens,
  findContextTokens,
  hasPromptDrops,
  type PromptInput,
  type PromptSettings,
} from '../context/index.js';
import type { Logger } from '../log/index.js';
import type { CoalescedPart } from '../queue/index.js';
import { findAnsweredMessageIdOf, type ReplyJob } from '../queue/reply-job.js';
import type { ConversationTurn, Personality } from '../state/index.js';

/** What the reply processor read for the prompt in its first round trip. */
export interface ReadContext {
  readonly history: readonly ConversationTurn[];
  /** The channel's lines before the message (guild channels only; `personal` mode ignores them). */
  readonly windowLines: readonly WindowLine[];
  /** The message replied to, when the window or the fetched-message cache holds it. */
  readonly repliedTo: ReadonlyMap<string, WindowLine>;
  /** Follow-ups the user sent right after the message, answered with it (oldest first). */
  readonly joined: readonly CoalescedPart[];
}

/** What {@link ContextualCompletion} needs. */
export interface ContextualCompletionDependencies {
  /** The AI service; streamed replies need its `stream` (absent: every reply is a whole one). */
  readonly ai: Pick<AiService, 'complete'> & Partial<AiStreamSource>;
  readonly replyChains: ReplyChainWalker;
  readonly prompt: PromptSettings;
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
   * the history, as `personal`.
   */
  async buildInput(
    job: ReplyJob,
    personality: Personality,
    context: ReadContext,
    content: string,
  ): Promise<PromptInput> {
    const repliedToId = job.guildId === null ? null : (job.replyToMessageId ?? null);
    const chain =
      repliedToId === null
        ? []
        : (
            await this.deps.replyChains.walk(job.channelId, repliedToId, [
              ...context.windowLines,
              ...context.repliedTo.values(),
            ])
          ).lines;
    return {
      systemPrompt: personality.systemPrompt,
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
      },
      channelContext: this.deps.prompt.channelContext,
      budgetTokens: computePromptBudget(
        findContextTokens(this.deps.prompt.providers, personality.provider, personality.model),
      ),
    };
  }

  /**
   * The AI call. When the provider says the prompt is too long for the model after all (the estimate is
   * conservative for common tokenizers, not all), it is assembled again within half its estimated size and
   * sent once more; a second refusal is thrown.
   */
  async complete(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    userKey: UserApiKey | null,
    signal: AbortSignal,
  ): Promise<ChatCompletionResult> {
    let prompt = this.assemble(job, input);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.deps.ai.complete(this.buildRequest(personality, prompt, userKey, signal));
      } catch (error) {
        if (!isContextLengthRefusal(error) || attempt > 1) throw error;
        prompt = this.reassemble(job, personality, input, prompt);
      }
    }
  }

  /**
   * The AI call, streamed ({@link AiStreamSource.stream}): the same prompt, sent again once with half the budget
   * when the provider finds it too long before any text came.
   * @throws Error when the AI service cannot stream.
   */
  async *stream(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    userKey: UserApiKey | null,
    signal: AbortSignal,
  ): AsyncGenerator<AiStreamEvent> {
    const source = this.deps.ai.stream?.bind(this.deps.ai);
    if (source === undefined) throw new Error('the AI service cannot stream');
    let prompt = this.assemble(job, input);
    for (let attempt = 1; ; attempt += 1) {
      let yielded = false;
      try {
        for await (const event of source(this.buildRequest(personality, prompt, userKey, signal))) {
          yielded = true;
          yield event;
        }
        return;
      } catch (error) {
        if (yielded || !isContextLengthRefusal(error) || attempt > 1) throw error;
        prompt = this.reassemble(job, personality, input, prompt);
      }
    }
  }

  private buildRequest(
    personality: Personality,
    prompt: AssembledPrompt,
    userKey: UserApiKey | null,
    signal: AbortSignal,
  ): ChatCompletionRequest {
    return {
      provider: personality.provider,
      model: personality.model,
      messages: prompt.messages,
      temperature: personality.temperature,
      userKey,
      signal,
    };
  }

  /** The prompt again within half its estimated size, after the provider refused it as too long. */
  private reassemble(
    job: ReplyJob,
    personality: Personality,
    input: PromptInput,
    prompt: AssembledPrompt,
  ): AssembledPrompt {
    const budgetTokens = Math.floor(Math.min(input.budgetTokens, estimatePromptTokens(prompt.messages)) / 2);
    this.log.info(
      {
        channelId: job.channelId,
        personalityId: personality.id,
        provider: personality.provider,
        model: personality.model,
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
    return prompt;
  }
}

function isContextLengthRefusal(error: unknown): boolean {
  return error instanceof ProviderRejectedError && error.reason === 'context-length';
}
