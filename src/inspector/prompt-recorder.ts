import type { Logger } from '../log/index.js';
import type { PromptInspectorRepository } from './prompt-inspector-repository.js';
import type { PromptMessage, PromptRecord } from './prompt-record.js';

/** What the reply path knows of a reply as its attempt starts: the record's identity, its own model, queued time. */
export type PromptTraceStart = Pick<
  PromptRecord,
  'replyId' | 'userId' | 'channelId' | 'guildId' | 'personalityId' | 'personalityName' | 'model'
> & {
  /** When the job was queued, epoch ms. */
  readonly queuedAt: number;
};

/** What the AI call reports to a trace: the prompt it sends, its first text, the model that answered. */
export interface PromptObserver {
  /** The prompt sent to `model`; sent again (assembled again, or to a fallback) the last one stands. */
  sent(model: string, messages: readonly PromptMessage[]): void;
  /** Text came (the first call counts): a streamed answer's first text, or a whole answer. */
  firstToken(): void;
  answeredBy(model: string): void;
}

/** What {@link PromptRecorder} needs. */
export interface PromptRecorderDependencies {
  readonly repository: Pick<PromptInspectorRepository, 'record' | 'findByReplyId'>;
  readonly logger: Logger;
  readonly now: () => number;
}

/**
 * Records what each reply sent to the AI (`DEBUG_PROMPTS`): the reply path begins a trace per attempt, the AI
 * call reports to it, and it is written when the answer is in and again when posted. A write that fails is
 * logged, never thrown: a debugging aid must not fail a reply.
 */
export class PromptRecorder {
  private readonly log: Logger;

  constructor(private readonly deps: PromptRecorderDependencies) {
    this.log = deps.logger.child({ module: 'prompt-recorder' });
  }

  /** Starts the trace of one attempt at a reply, started now. */
  begin(start: PromptTraceStart): PromptTrace {
    return new PromptTrace(start, this.deps.now(), this.deps, this.log);
  }
}

/** One attempt at a reply, as {@link PromptRecorder} records it. */
export class PromptTrace implements PromptObserver {
  private model: string;
  private messages: readonly PromptMessage[] | null = null;
  private firstTokenAt: number | null = null;
  private error: string | null = null;

  constructor(
    private readonly start: PromptTraceStart,
    private readonly startedAt: number,
    private readonly deps: PromptRecorderDependencies,
    private readonly log: Logger,
  ) {
    this.model = start.model;
  }

  sent(model: string, messages: readonly PromptMessage[]): void {
    this.model = model;
    this.messages = messages;
  }

  firstToken(): void {
    this.firstTokenAt ??= this.deps.now();
  }

  answeredBy(model: string): void {
    this.model = model;
  }

  /** The reply failed with `error` (noted; {@link save} writes it). A provider's error names the model tried. */
  fail(error: unknown): void {
    this.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const model = (error as { model?: unknown } | null)?.model;
    if (typeof model === 'string') this.model = model;
  }

  /** Writes the record as it stands, not posted yet; nothing when this attempt neither sent a prompt nor failed. */
  async save(): Promise<void> {
    if (this.messages === null && this.error === null) return;
    await this.write(this.build([], null));
  }

  /**
   * Writes the record with the reply's messages, posted now. An attempt that only posts a reply an earlier one
   * decided completes that attempt's record.
   */
  async posted(messageIds: readonly string[]): Promise<void> {
    const postedAt = this.deps.now();
    if (this.messages !== null || this.error !== null) {
      await this.write(this.build(messageIds, postedAt));
      return;
    }
    try {
      const earlier = await this.deps.repository.findByReplyId(this.start.userId, this.start.replyId);
      if (earlier === null) return;
      await this.write({
        ...earlier,
        postedMessageIds: messageIds,
        timings: { ...earlier.timings, postedAt },
      });
    } catch (error) {
      this.log.warn({ err: error, jobId: this.start.replyId }, 'prompt record not completed');
    }
  }

  private build(postedMessageIds: readonly string[], postedAt: number | null): PromptRecord {
    const { start } = this;
    return {
      replyId: start.replyId,
      userId: start.userId,
      channelId: start.channelId,
      guildId: start.guildId,
      personalityId: start.personalityId,
      personalityName: start.personalityName,
      model: this.model,
      messages: this.messages ?? [],
      postedMessageIds,
      timings: {
        queuedAt: start.queuedAt,
        startedAt: this.startedAt,
        firstTokenAt: this.firstTokenAt,
        postedAt,
      },
      error: this.error,
    };
  }

  private async write(record: PromptRecord): Promise<void> {
    try {
      await this.deps.repository.record(record);
    } catch (error) {
      this.log.warn({ err: error, jobId: record.replyId }, 'prompt record not written');
    }
  }
}
