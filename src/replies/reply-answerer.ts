import { buildProviderNotice, ProviderRejectedError, ProviderUnavailableError } from '../ai/index.js';
import { buildAttachmentNames } from '../context/index.js';
import { DiscordLimits } from '../discord/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { PromptTrace } from '../inspector/index.js';
import { findAnsweredMessageIdOf, type ReplyJob } from '../queue/reply-job.js';
import { RedisBatch } from '../redis/index.js';
import type { ApiKeyring, Personality } from '../state/index.js';
import type { AnswerUsage } from '../usage/index.js';
import {
  buildDmPrefixedContent,
  buildReplyQuote,
  needsReplyQuote,
  splitMessage,
  stripReplyQuote,
} from '../webhooks/index.js';
import { buildAnswerUsage } from './answer-usage.js';
import type { CancellationListener } from './cancellation-listener.js';
import type { DeliveryBusy } from './chunk-delivery.js';
import {
  ContextualCompletion,
  type ContextualCompletionDependencies,
  type ReadContext,
} from './contextual-completion.js';
import type { DeliveryRecord, ReplyDecision } from './delivery-ledger.js';
import { ReplyMessages } from './messages.js';
import { StreamDelivery, type StreamDeliveryDependencies, type StreamOutcome } from './stream-delivery.js';
import type { StreamPacing } from './stream-pacing.js';
import type { StreamRecovery } from './stream-recovery.js';
import type { TypingIndicator } from './typing-indicator.js';

/** What the AI call needs besides the personality, read with the delivery record. */
export interface AnswerContext extends ReadContext {
  /** The message's latest text when it was edited. */
  readonly edited: string | null;
  readonly keyring: ApiKeyring;
}

/** One attempt at a job, as the answer needs it. */
export interface AnswerAttempt {
  readonly jobId: string;
  readonly owner: string;
  /** The job's delivery record, read at the start of the attempt. */
  readonly record: DeliveryRecord;
}

/** A streamed reply, decided and shown: its delivery and the record as it now stands. */
export type StreamedAnswer = Extract<StreamOutcome, { kind: 'posted' }>;

export type ReplyAnswererDependencies = ContextualCompletionDependencies &
  Omit<StreamDeliveryDependencies, 'recovery'> & {
    readonly cancellations: Pick<CancellationListener, 'watch'>;
    readonly typing: Pick<TypingIndicator, 'begin'>;
  };

/** How replies are written: whether they stream, and how a stream paces its writes. */
export interface ReplyAnswererOptions {
  readonly streamReplies: boolean;
  readonly streamPacing: StreamPacing;
}

/** DMs carry a `**Name:**` prefix on every chunk (no webhooks there): leave room for it. */
export function findChunkLength(job: ReplyJob, personality: Personality): number {
  if (job.guildId !== null) return DiscordLimits.messageContent;
  return DiscordLimits.messageContent - buildDmPrefixedContent(personality.name, '').length - 1;
}

/**
 * The AI call of a reply and the answer it makes: streamed and decided as it is shown, or a decision to record,
 * split into chunks with the quote line it needs.
 */
export class ReplyAnswerer {
  private readonly completion: ContextualCompletion;
  private readonly streams: StreamDelivery;

  constructor(
    private readonly deps: ReplyAnswererDependencies,
    private readonly options: ReplyAnswererOptions,
    recovery: StreamRecovery,
  ) {
    this.completion = new ContextualCompletion(deps);
    this.streams = new StreamDelivery({ ...deps, recovery }, options.streamPacing);
  }

  /**
   * The AI call and the answer it makes. Streamed (the personality or the operator wants it, in a server channel,
   * on the first attempt to write the reply) it is shown as it is written and decided by the stream; otherwise
   * the answer is the decision to record, split into chunks.
   */
  async answer(
    job: ReplyJob,
    personality: Personality,
    context: AnswerContext,
    attempt: AnswerAttempt,
    trace?: PromptTrace,
  ): Promise<ReplyDecision | StreamedAnswer | DeliveryBusy | 'cancelled'> {
    const content = context.edited ?? job.content;
    const lastJoinedId = context.joined.at(-1)?.messageId;
    const watch = this.deps.cancellations.watch(findAnsweredMessageIdOf(job));
    const endTyping = this.deps.typing.begin(job.channelId);
    let answer: {
      readonly text: string;
      readonly isNotice: boolean;
      readonly note?: string;
      readonly usage?: AnswerUsage | null;
    };
    try {
      const input = await this.completion.buildInput(job, personality, context, content, watch.signal);
      const note = ReplyMessages.attachmentsLeftOut(input.current.attachments ?? []);
      let text: string;
      let reasoningOnly = false;
      let usage: AnswerUsage | null;
      // A reply with a note on attachments left out is posted whole: the note ends its last message.
      if (note === null && this.shouldStream(job, personality, attempt.record)) {
        const outcome = await this.streams.run({
          job,
          jobId: attempt.jobId,
          owner: attempt.owner,
          record: attempt.record,
          personality,
          open: (signal) => this.completion.stream(job, personality, input, context.keyring, signal, trace),
          deletion: watch.signal,
          buildPrefix: (latest) => this.buildQuote(job, latest, content, lastJoinedId) ?? '',
          endTyping,
        });
        if (outcome.kind === 'cancelled') return 'cancelled';
        if (outcome.kind === 'busy') return { busyUntil: outcome.busyUntil };
        if (outcome.kind === 'posted') return outcome;
        text = outcome.text;
        reasoningOnly = outcome.reasoningOnly;
        usage = outcome.usage;
      } else {
        const result = await this.completion.complete(
          job,
          personality,
          input,
          context.keyring,
          watch.signal,
          trace,
        );
        text = result.content;
        reasoningOnly = result.reasoningOnly;
        usage = buildAnswerUsage(result.usage, result);
      }
      answer = {
        text:
          text.trim().length > 0
            ? text
            : ReplyMessages[reasoningOnly ? 'reasoningOnly' : 'emptyAnswer'](personality.name),
        isNotice: false,
        usage,
        ...(note === null ? {} : { note }),
      };
    } catch (error) {
      if (!(error instanceof ProviderUnavailableError || error instanceof ProviderRejectedError)) {
        // Only the author's deletion cancels the reply; the service closing (shutdown) is rethrown for process().
        if (error instanceof ChorusError && error.code === ChorusErrorCode.Cancelled && watch.signal.aborted)
          return 'cancelled';
        throw error;
      }
      trace?.fail(error);
      answer = { text: buildProviderNotice(personality.name, error), isNotice: true };
    } finally {
      endTyping();
      watch.release();
    }
    await trace?.save();
    // One round trip after the call: a deletion meanwhile still cancels, and the quote needs the channel's
    // newest message.
    const [deleted, latest] = await RedisBatch.together((batch) =>
      Promise.all([
        this.deps.messageEvents.isDeleted(job.channelId, findAnsweredMessageIdOf(job), batch),
        answer.isNotice ? null : this.deps.channelActivity.fetchLatest(job.channelId, batch),
      ]),
    );
    if (deleted) return 'cancelled';
    if (answer.isNotice) return { chunks: [answer.text], reply: answer.text, isNotice: true, asBot: false };
    // Taking over a streamed reply: its first message keeps the quote line it was posted with (or none).
    const draft = attempt.record.drafts.get(0);
    const prefix =
      draft === undefined
        ? // A message of attachments alone is quoted by their names.
          this.buildQuote(
            job,
            latest,
            content.trim() === '' ? buildAttachmentNames(job.attachments ?? []).join(' ') : content,
            lastJoinedId,
          )
        : draft.slice(
            0,
            draft.length -
              stripReplyQuote(draft, {
                guildId: job.guildId,
                channelId: job.channelId,
                messageId: findAnsweredMessageIdOf(job),
              }).length,
          );
    // The note on attachments left out is posted with the answer but is not the model's words: the history keeps
    // the answer alone.
    const chunks = splitMessage(
      answer.note === undefined ? answer.text : `${answer.text}\n\n${answer.note}`,
      { prefix, maxLength: findChunkLength(job, personality) },
    );
    return {
      chunks,
      reply: answer.text,
      isNotice: false,
      asBot: false,
      ...(answer.usage === undefined || answer.usage === null ? {} : { usage: answer.usage }),
    };
  }

  /**
   * Whether this attempt streams its reply: in a server channel (DMs are answered whole), when the personality
   * (or, when it leaves it to them, the operator) wants it. An attempt taking over a reply
   * an earlier attempt streamed answers whole, then edits those messages.
   */
  private shouldStream(job: ReplyJob, personality: Personality, record: DeliveryRecord): boolean {
    return (
      job.guildId !== null &&
      record.drafts.size === 0 &&
      (personality.streamReplies ?? this.options.streamReplies)
    );
  }

  /**
   * Webhooks cannot reply natively: when other messages came after the user's (`latest` is the channel's
   * newest), the answer opens with a quote line naming the asker and linking to their message, so it is clear
   * what it answers. For a coalesced group "after" means after its last follow-up (`lastJoinedId`); the quote
   * still names the first message.
   */
  private buildQuote(
    job: ReplyJob,
    latest: string | null,
    content: string,
    lastJoinedId: string | undefined,
  ): string | undefined {
    const answeredId = findAnsweredMessageIdOf(job);
    if (!needsReplyQuote(latest, lastJoinedId ?? answeredId)) return undefined;
    return buildReplyQuote({
      askerName: job.authorName,
      guildId: job.guildId,
      channelId: job.channelId,
      messageId: answeredId,
      excerpt: content,
    });
  }
}
