import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AiStreamEvent,
  ProviderRejectedError,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
} from '../ai/index.js';
import { DiscordErrorCode, DiscordLimits } from '../discord/index.js';
import type { Logger } from '../log/index.js';
import { findAnsweredMessageIdOf } from '../queue/reply-job.js';
import { RedisBatch } from '../redis/index.js';
import type { AnswerUsage } from '../usage/index.js';
import { ChannelBusyError, type PostedMessage, type PostTarget } from '../webhooks/index.js';
import { buildAnswerUsage } from './answer-usage.js';
import { buildPostedEntry } from './chunk-delivery.js';
import type { DeliveryRecord, ReplyDecision } from './delivery-ledger.js';
import { ReplyMessages } from './messages.js';
import type {
  StreamDelivery,
  StreamDeliveryDependencies,
  StreamOutcome,
  StreamRun,
} from './stream-delivery.js';
import { StreamLayout } from './stream-layout.js';
import { StreamLeaseHolder } from './stream-lease.js';
import { planStreamWrite, type StreamPacing } from './stream-pacing.js';

/** A message of the stream in the channel. */
interface LiveMessage {
  readonly posted: PostedMessage;
  shown: string;
  /** When its last write was answered (Unix ms). */
  writtenAt: number;
  /** Deleted by someone else: no more edits. */
  gone: boolean;
}

/** How the AI side of a stream finished. */
type StreamEnd = { readonly kind: 'ended' } | { readonly kind: 'failed'; readonly error: unknown };

/** The state of one {@link StreamDelivery.run}: one attempt at streaming a reply. */
export class StreamAttempt {
  private readonly stopper = new AbortController();
  private readonly lease: StreamLeaseHolder;
  private readonly target: PostTarget;
  private readonly live: LiveMessage[] = [];
  private readonly drafts = new Map<number, string>();
  private layout: StreamLayout | null = null;
  private text = '';
  /** The stream's end said the model only reasoned (no text came). */
  private reasoningOnly = false;
  /** What the call cost, from its `end` event. */
  private usage: AnswerUsage | null = null;
  private firstTextAt: number | null = null;
  private mayPost = true;
  /** Messages whose post failed ambiguously (a 5xx, then the channel's budget): maybe in the channel. */
  private readonly maybePosted = new Set<number>();
  /** The answered message was found deleted before the first post. */
  private deleted = false;
  /** Another attempt holds the stream until then (Unix ms); null while this one does. */
  private takenOverUntil: number | null = null;
  private end: StreamEnd | null = null;
  private wake: (() => void) | null = null;
  /** Whether new text should end the current wait (it can change the plan). */
  private wakeOnText: () => boolean = () => true;

  constructor(
    private readonly deps: StreamDeliveryDependencies,
    private readonly pacing: StreamPacing,
    private readonly log: Logger,
    private readonly run_: StreamRun,
  ) {
    const { job, jobId, owner } = run_;
    this.target = { channelId: job.channelId, parentChannelId: job.parentChannelId, guildId: job.guildId };
    const scope = { userId: job.authorId, jobId, owner, channelId: job.channelId };
    this.lease = new StreamLeaseHolder(deps.ledger, scope, deps.now, this.log, () => this.stop());
  }

  async run(): Promise<StreamOutcome> {
    let outcome: StreamOutcome | null = null;
    try {
      outcome = await this.stream();
      return outcome;
    } finally {
      this.run_.endTyping();
      // A decided reply's lease is given up by the caller, with its post-answer writes; any other end gives it
      // up now, so a retry may take over at once.
      if (outcome?.kind === 'posted') this.lease[Symbol.dispose]();
      else await this.lease.release();
    }
  }

  private async stream(): Promise<StreamOutcome> {
    const { deletion } = this.run_;
    const pulling = this.pull(this.run_.open(AbortSignal.any([deletion, this.stopper.signal])));
    const onDeletion = () => this.notify();
    deletion.addEventListener('abort', onDeletion);
    try {
      try {
        await this.publish();
      } catch (error) {
        this.stop();
        await pulling;
        throw error;
      }
      await pulling;
      const takenOver = this.takenOverUntil ?? this.lease.lostUntil;
      if (takenOver !== null) return { kind: 'busy', busyUntil: takenOver };
      if (deletion.aborted || this.deleted || (this.live.length > 0 && (await this.isDeleted())))
        return await this.withdraw();
      const end = this.end ?? { kind: 'ended' };
      if (end.kind === 'failed') {
        if (this.live.length === 0 || !isBrokenStream(end.error)) throw end.error;
        this.log.warn(
          { channelId: this.target.channelId, err: end.error },
          'reply stream broke; shown as interrupted',
        );
        this.layout?.end(ReplyMessages.streamInterrupted());
      }
      if (this.live.length === 0 && this.maybePosted.size === 0)
        return { kind: 'unposted', text: this.text, reasoningOnly: this.reasoningOnly, usage: this.usage };
      return await this.finish();
    } finally {
      deletion.removeEventListener('abort', onDeletion);
    }
  }

  /** Reads the AI's events into the text; records how the stream ended. Never throws. */
  private async pull(events: AsyncIterable<AiStreamEvent>): Promise<void> {
    try {
      for await (const event of events) {
        if (event.type === 'end') {
          this.reasoningOnly = event.reasoningOnly;
          this.usage = buildAnswerUsage(event.usage, event.answeredBy);
        }
        if (event.type !== 'text' || event.text === '') continue;
        this.text += event.text;
        this.firstTextAt ??= this.deps.now();
        this.layout?.append(event.text);
        if (this.wakeOnText()) this.notify();
      }
      this.end = { kind: 'ended' };
    } catch (error) {
      this.end = { kind: 'failed', error };
    }
    this.notify();
  }

  /** Writes to Discord while the stream runs: one write at a time, each when it is due. */
  private async publish(): Promise<void> {
    while (this.end === null && !this.stopper.signal.aborted && !this.run_.deletion.aborted) {
      const now = this.deps.now();
      const wanted = this.layout?.messages() ?? (this.text.trim() === '' ? [] : [this.text]);
      const plan = planStreamWrite(
        {
          wanted,
          // A message deleted by someone else wants nothing more.
          shown: this.live.map((message, index) => ({
            shown: message.gone ? (wanted[index] ?? message.shown) : message.shown,
            writtenAt: message.writtenAt,
          })),
          mayPost: this.mayPost,
          textChars: this.text.length,
          firstTextAt: this.firstTextAt,
        },
        now,
        this.pacing,
      );
      if (plan.kind === 'wait') await this.waitFor(plan.until);
      else if (plan.kind === 'post') await this.post(plan.index);
      else await this.edit(plan.index);
    }
  }

  /** Posts message `index` (the first one decides the quote line and ends typing). */
  private async post(index: number): Promise<void> {
    const { job, jobId, owner, personality } = this.run_;
    if (this.layout === null) {
      const [deleted, latest] = await RedisBatch.together((batch) =>
        Promise.all([
          this.deps.messageEvents.isDeleted(job.channelId, findAnsweredMessageIdOf(job), batch),
          this.deps.channelActivity.fetchLatest(job.channelId, batch),
        ]),
      );
      if (deleted) {
        this.deleted = true;
        this.stop();
        return;
      }
      this.layout = new StreamLayout({
        prefix: this.run_.buildPrefix(latest),
        maxLength: DiscordLimits.messageContent,
      });
      this.layout.append(this.text);
    }
    const content = this.layout.messages()[index];
    if (content === undefined) {
      this.mayPost = false;
      return;
    }
    const { ledger } = this.deps;
    const claim = await ledger.claimStreamMessage(
      job.authorId,
      jobId,
      index,
      owner,
      this.deps.now(),
      content,
    );
    if (claim.kind !== 'claimed') {
      // Another attempt holds the stream (or posted this message): it took over from this one.
      this.takenOverUntil = claim.kind === 'busy' ? claim.leaseUntil : this.deps.now();
      this.stop();
      return;
    }
    this.lease.start(this.deps.now() + ledger.claimRenewalMs * 3);
    this.drafts.set(index, content);
    let posted: PostedMessage;
    try {
      posted = await this.deps.webhooks.postAsPersona(
        this.target,
        { username: personality.name, avatarUrl: personality.avatarUrl, content },
        { userId: job.authorId, requestId: `${jobId}:${index}` },
      );
    } catch (error) {
      const unsent = error instanceof ChannelBusyError && !error.maybeSent;
      await (unsent
        ? ledger.withdrawChunk(job.authorId, jobId, index, owner)
        : ledger.releaseChunk(job.authorId, jobId, index, owner, this.deps.now())
      ).catch((settleError: unknown) =>
        this.log.warn({ err: settleError, channelId: job.channelId }, 'stream message claim not released'),
      );
      if (!(error instanceof ChannelBusyError)) throw error;
      // The channel's budget is spent: the text goes on growing, and the messages not posted wait for the end.
      this.log.info(
        { channelId: job.channelId, retryAfterMs: error.retryAt - this.deps.now() },
        'streamed post put off',
      );
      this.mayPost = false;
      if (!unsent) this.maybePosted.add(index);
      return;
    }
    // Indexed at once (a user may reply to, or delete, a message of the reply before it is complete), with the
    // record's write in the index's script.
    await this.deps.messageIndex.indexPosted(
      buildPostedEntry(job, personality, [posted.messageId]),
      undefined,
      ledger.buildPostedRecord(job.authorId, jobId, index, posted.messageId),
    );
    this.live.push({ posted, shown: content, writtenAt: this.deps.now(), gone: false });
    if (index === 0) this.run_.endTyping();
  }

  /**
   * Edits message `index` to what the text makes of it now. A failed edit is logged and left to the next one (a
   * message deleted by someone else gets none).
   */
  private async edit(index: number): Promise<void> {
    const message = this.live[index];
    const content = this.layout?.messages()[index];
    if (message === undefined || content === undefined) return;
    if (!(await this.lease.ensure())) {
      this.stop();
      return;
    }
    try {
      await this.deps.webhooks.editPersonaMessage(this.target, message.posted, content);
      message.shown = content;
    } catch (error) {
      if ((error as { code?: unknown }).code === DiscordErrorCode.UnknownMessage) message.gone = true;
      else this.log.warn({ err: error, channelId: this.target.channelId }, 'streamed message not edited');
    } finally {
      message.writtenAt = this.deps.now();
    }
  }

  /**
   * Decides the reply (its final text, as the messages will show it) and gives each posted message its final text,
   * each when its interval allows. A decision an earlier attempt recorded wins: messages it does not need go.
   */
  private async finish(): Promise<StreamOutcome> {
    const { job, jobId, owner, personality } = this.run_;
    if (!(await this.lease.ensure()))
      return { kind: 'busy', busyUntil: this.lease.lostUntil ?? this.deps.now() };
    const layout = this.layout!;
    const reply: ReplyDecision = {
      chunks: layout.messages(),
      reply: this.text,
      isNotice: false,
      asBot: false,
      ...(this.usage === null ? {} : { usage: this.usage }),
    };
    const decided = await this.deps.ledger.decideReply(job.authorId, jobId, reply, owner, this.deps.now());
    const { decision } = decided;
    const posted = new Map<number, string>();
    for (const [index, message] of this.live.entries()) {
      if (index >= decision.chunks.length) {
        await this.deps.webhooks.deletePersonaMessage(this.target, message.posted);
        await this.deps.ledger.forgetMessage(job.authorId, jobId, index);
        continue;
      }
      posted.set(index, message.posted.messageId);
      const wanted = decision.chunks[index]!;
      if (message.gone || message.shown === wanted) continue;
      const waitMs = message.writtenAt + this.pacing.editIntervalMs - this.deps.now();
      if (waitMs > 0) await sleep(waitMs);
      await this.editTo(message, wanted);
    }
    if (this.lease.lostUntil !== null) return { kind: 'busy', busyUntil: this.lease.lostUntil };
    let record: DeliveryRecord = { ...this.run_.record, posted, drafts: this.drafts };
    if (this.maybePosted.size > 0) {
      // A post that failed ambiguously may be in the channel: look for it (the rare path reads what was recorded).
      const fresh = await this.deps.ledger.fetch(job.authorId, jobId);
      const reconciled = await this.deps.recovery.reconcile({ job, jobId, owner, record: fresh }, decision);
      if ('busyUntil' in reconciled) return { kind: 'busy', busyUntil: reconciled.busyUntil };
      record = reconciled;
    } else if (posted.size > 1 && posted.size === decision.chunks.length) {
      // Every message of the reply learns them all ("Delete reply" on any removes the whole reply).
      const ids = [...posted.values()];
      await this.deps.messageIndex.indexPosted(buildPostedEntry(job, personality, ids, ids));
    }
    this.log.debug(
      { channelId: job.channelId, messages: decision.chunks.length, posted: posted.size },
      'streamed reply decided',
    );
    return {
      kind: 'posted',
      delivery: { decision, firstChunk: decided.firstChunk },
      record,
      releaseLease: () => this.lease.release(),
    };
  }

  /** The final edit of a message (a deletion by someone else meanwhile is no error). */
  private async editTo(message: LiveMessage, content: string): Promise<void> {
    if (!(await this.lease.ensure())) return;
    try {
      await this.deps.webhooks.editPersonaMessage(this.target, message.posted, content);
      message.shown = content;
    } catch (error) {
      if ((error as { code?: unknown }).code !== DiscordErrorCode.UnknownMessage) throw error;
    } finally {
      message.writtenAt = this.deps.now();
    }
  }

  /** The author deleted the message: takes down what was posted, and forgets it. */
  private async withdraw(): Promise<StreamOutcome> {
    const { job, jobId } = this.run_;
    for (const [index, message] of this.live.entries()) {
      await this.deps.webhooks.deletePersonaMessage(this.target, message.posted);
      await this.deps.ledger.forgetMessage(job.authorId, jobId, index);
    }
    if (this.maybePosted.size > 0) {
      const fresh = await this.deps.ledger.fetch(job.authorId, jobId);
      const busy = await this.deps.recovery.withdraw({ job, jobId, owner: this.run_.owner, record: fresh });
      if (busy !== null) return { kind: 'busy', busyUntil: busy.busyUntil };
    }
    if (this.live.length > 0)
      this.log.info({ channelId: job.channelId, deleted: this.live.length }, 'streamed reply withdrawn');
    return { kind: 'cancelled' };
  }

  private isDeleted(): Promise<boolean> {
    const { job } = this.run_;
    return this.deps.messageEvents.isDeleted(job.channelId, findAnsweredMessageIdOf(job));
  }

  /** Stops the AI call and the writes (the stream was taken over, or the message was deleted before its post). */
  private stop(): void {
    this.stopper.abort(new Error('stream stopped'));
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /**
   * Resolves at `until` (Unix ms), or when the stream ends or is stopped, or when new text can change the plan:
   * any text before the first post or with nothing else to wait for, else only text that fills a message (a post
   * is due). Text meanwhile waits for the edit that is due anyway.
   */
  private async waitFor(until: number | null): Promise<void> {
    const frozen = this.layout?.frozenCount ?? 0;
    const anyText = until === null || this.live.length === 0;
    this.wakeOnText = () => anyText || (this.layout?.frozenCount ?? 0) !== frozen;
    await new Promise<void>((resolve) => {
      const timer = until === null ? null : setTimeout(resolve, Math.max(0, until - this.deps.now()));
      timer?.unref();
      this.wake = () => {
        if (timer !== null) clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Errors that mean the provider's stream broke after text was shown: the reply ends there, marked. */
function isBrokenStream(error: unknown): boolean {
  return (
    error instanceof ProviderStreamBrokenError ||
    error instanceof ProviderUnavailableError ||
    error instanceof ProviderRejectedError
  );
}
