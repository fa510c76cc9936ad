import {
  buildAttachmentNames,
  buildMessageLines,
  type ChannelWindowRepository,
  type WindowLine,
} from '../context/index.js';
import { parseSnowflakeTimestamp } from '../discord/index.js';
import type { ConversationMemory } from '../memory/index.js';
import type { CoalescedPart, ReplyAdmission } from '../queue/index.js';
import { findAnsweredMessageIdOf, type ReplyJob } from '../queue/reply-job.js';
import { RedisBatch, type RedisClient } from '../redis/index.js';
import type {
  ChannelActivityRepository,
  ChannelLatestRecord,
  ConversationRepository,
  MessageIndexRepository,
  Personality,
} from '../state/index.js';
import type { UsageEntry, UsageRepository } from '../usage/index.js';
import { stripReplyQuote } from '../webhooks/index.js';
import type { UnrecordedPost } from './chunk-delivery.js';
import type { DeliveryLedger, DeliveryRecord, ReplyDecision } from './delivery-ledger.js';
import { runReplyScript } from './reply-scripts.js';

export interface PostedReplyWriterDependencies {
  /** Runs the post-answer script (the user's slot). */
  readonly redis: RedisClient;
  readonly conversations: Pick<ConversationRepository, 'buildAppendCall'>;
  /** Settles the job in the post-answer script when it appends (else the processor settles it). */
  readonly admission: Pick<ReplyAdmission, 'buildSettleCall'>;
  readonly channelWindows: Pick<ChannelWindowRepository, 'appendOwnLines' | 'buildUserIndexCall'>;
  readonly ledger: Pick<DeliveryLedger, 'buildHistoryClaim'>;
  /** Records the last chunk's post in the post-answer script, when the delivery left it for it. */
  readonly messageIndex: Pick<MessageIndexRepository, 'buildIndexCall'>;
  /** Our personalities' posts are the channel's newest: the gateway leaves them to the worker. */
  readonly channelActivity: Pick<ChannelActivityRepository, 'describeLatest' | 'recordLatest'>;
  readonly usage?: Pick<UsageRepository, 'buildUserCounters' | 'countShared'>;
  readonly memory?: ConversationMemory;
  readonly now: () => number;
}

/** A reply whose every chunk is in the channel, as {@link PostedReplyWriter.write} takes it. */
export interface PostedReply {
  readonly job: ReplyJob;
  readonly jobId: string;
  readonly decision: ReplyDecision;
  /** The job's delivery record, read at the start of the attempt. */
  readonly record: DeliveryRecord;
  /** Null for a notice posted by the bot when the personality is gone. */
  readonly personality: Personality | null;
  /** The follow-ups joined to the reply (docs/fair-queue.md, Coalescing). */
  readonly joined: readonly CoalescedPart[];
  /** Every chunk's message id, in order. */
  readonly messageIds: readonly string[];
  /** The last chunk's post, not recorded yet: the post-answer script records it (see {@link remembersReply}). */
  readonly unrecorded: UnrecordedPost | null;
  /** The attempt holding the lease of the reply it streamed, given up with the history; null: none held. */
  readonly streamOwner: string | null;
}

/**
 * Whether a posted reply's turns go into its conversation, so that the post-answer script runs: not for a
 * notice, nor when an earlier attempt appended them.
 */
export function remembersReply(
  decision: ReplyDecision,
  personality: Personality | null,
  record: DeliveryRecord,
): boolean {
  return !decision.isNotice && personality !== null && !record.historyAppended;
}

/**
 * What a posted reply leaves behind, in one round trip: its turns in the conversation, its lines in the channel's
 * window, and what it cost. The turns are appended once per reply by one script in the user's slot
 * (`finishReply`), which takes the delivery record's history claim and adds the user's usage counters with them
 * (so no attempt appends twice or counts twice, and none dies between the claim and the append), settles the
 * job and gives up the lease of a streamed reply (and records the last chunk's post, when the delivery left it
 * to it); the shared usage totals follow in-process. The reply's last message is recorded as its channel's newest
 * with its lines, in the channel's slot.
 */
export class PostedReplyWriter {
  constructor(private readonly deps: PostedReplyWriterDependencies) {}

  /** Writes it all; true when the job was settled with it (it appended), so the caller need not settle it. */
  async write(reply: PostedReply): Promise<boolean> {
    const { job, jobId, decision, record, personality, joined } = reply;
    const remember = remembersReply(decision, personality, record);
    // The reply joins its channel's window on every attempt that gets here (lines are kept once by message id).
    const ownLines = this.buildOwnLines(job, decision, personality, reply.messageIds);
    const usage: UsageEntry | null =
      remember && decision.usage !== undefined && this.deps.usage !== undefined
        ? {
            userId: job.authorId,
            guildId: job.guildId,
            personalityId: job.personalityId,
            usage: decision.usage,
            at: this.deps.now(),
          }
        : null;
    // Turns the caps trim go to the memory's pending list in the append's own script (docs/memory.md).
    const handOver =
      personality === null
        ? undefined
        : this.deps.memory?.buildHandOver(
            job.authorId,
            job.channelId,
            job.personalityId,
            personality.memoryScope,
          );
    const append = remember
      ? this.deps.conversations.buildAppendCall(
          job.authorId,
          job.channelId,
          job.personalityId,
          [
            // The whole group is one user turn, as the AI saw it; attachments by name only, never a URL
            // (CDN links expire) nor a file's contents: the answer holds what the model made of them.
            {
              role: 'user',
              content: buildMessageLines(
                job.authorName,
                [job.content, ...joined.map((part) => part.content)],
                buildAttachmentNames(job.attachments ?? []),
              ),
              messageId: job.messageId,
              ...(joined.length === 0 ? {} : { joinedIds: joined.map((part) => part.messageId) }),
              at: job.messageCreatedAt,
            },
            { role: 'assistant', content: decision.reply, messageId: job.messageId, at: this.deps.now() },
          ],
          handOver,
          {
            once: this.deps.ledger.buildHistoryClaim(job.authorId, jobId),
            counters: usage === null ? [] : (this.deps.usage?.buildUserCounters(usage) ?? []),
          },
        )
      : null;
    // Written only by an attempt whose turn check passed (ReplyProcessor.deliver), which took the waiting mark.
    const settle = append === null ? null : this.deps.admission.buildSettleCall(job, { turnChecked: true });
    // The own lines' entry in the user's window index rides in the same script (the user's slot).
    const windowIndex =
      append === null || ownLines.length === 0
        ? null
        : this.deps.channelWindows.buildUserIndexCall(job.channelId, job.authorId);
    // The caller left the last chunk's record to this script only when it runs (remembersReply).
    const postedIndex =
      append === null || reply.unrecorded === null
        ? null
        : this.deps.messageIndex.buildIndexCall(reply.unrecorded.entry, reply.unrecorded.record);
    const latest = this.describeLatest(job, decision, personality, reply.messageIds);
    const [finished] = await RedisBatch.together((batch) =>
      Promise.all([
        append === null || settle === null
          ? null
          : runReplyScript<[unknown, unknown, unknown, unknown]>(
              this.deps.redis,
              'finishReply',
              [
                ...append.keys,
                ...settle.keys,
                ...(windowIndex?.keys ?? [append.keys[0]!]),
                ...(postedIndex?.keys ?? [append.keys[0]!, append.keys[0]!]),
              ],
              [
                append.args.length,
                ...append.args,
                ...settle.args,
                reply.streamOwner ?? '',
                this.deps.now(),
                ...(windowIndex?.args ?? ['', '', '', '']),
                ...(postedIndex?.args ?? []),
              ],
              batch,
            ),
        postedIndex?.sendEntries(batch),
        ownLines.length > 0
          ? this.deps.channelWindows.appendOwnLines(job.channelId, ownLines, batch, {
              indexedApart: windowIndex !== null,
              latest,
            })
          : latest === undefined
            ? null
            : this.deps.channelActivity.recordLatest(job.channelId, latest.messageId, batch),
      ]),
    );
    if (finished === null || append === null || settle === null) return false;
    await postedIndex?.finish(finished[3]);
    const appended = await append.finish(finished[0]);
    await settle.finish(finished[1]);
    await windowIndex?.finish(finished[2]);
    if (!appended.appended) return true;
    if (usage !== null) this.deps.usage?.countShared(usage);
    if (handOver !== undefined)
      await this.deps.memory?.afterAppend(
        job.authorId,
        job.personalityId,
        job.correlationId,
        handOver,
        appended,
      );
    return true;
  }

  /**
   * The reply's last message as its channel's newest, when a personality's webhook posted it (in a server
   * channel): the gateway records every other message it sees, DMs' bot posts and the bot's notices included.
   */
  private describeLatest(
    job: ReplyJob,
    decision: ReplyDecision,
    personality: Personality | null,
    messageIds: readonly string[],
  ): ChannelLatestRecord | undefined {
    const last = messageIds.at(-1);
    if (decision.asBot || personality === null || job.guildId === null || last === undefined)
      return undefined;
    return this.deps.channelActivity.describeLatest(job.channelId, last, { human: false });
  }

  /**
   * A posted reply's lines in its channel's window: one per message, its text as posted without the quote line,
   * answering the job's message, in the personality's name, and the data of the person it answered (for
   * /forget-me). None for a notice or in a DM (DMs stay personal).
   */
  private buildOwnLines(
    job: ReplyJob,
    decision: ReplyDecision,
    personality: Personality | null,
    messageIds: readonly string[],
  ): WindowLine[] {
    if (decision.isNotice || decision.asBot || personality === null || job.guildId === null) return [];
    const answeredId = findAnsweredMessageIdOf(job);
    // Delivered: every chunk is posted, so the ids line up with the chunks.
    return messageIds.map((messageId, index) => ({
      id: messageId,
      // When Discord created it, like every other line: the window is in the channel's order, and people may
      // have spoken between the post and now.
      at: parseSnowflakeTimestamp(messageId),
      name: personality.name,
      content:
        index === 0
          ? stripReplyQuote(decision.chunks[0] ?? '', {
              guildId: job.guildId,
              channelId: job.channelId,
              messageId: answeredId,
            })
          : (decision.chunks[index] ?? ''),
      replyToId: answeredId,
      personalityId: personality.id,
      userId: job.authorId,
    }));
  }
}
