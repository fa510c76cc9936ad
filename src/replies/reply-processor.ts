import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job, UnrecoverableError } from 'bullmq';
import type { AiService } from '../ai/index.js';
import { buildGreetingText } from '../cards/index.js';
import type {
  ChannelWindowReader,
  ChannelWindowRepository,
  PromptSettings,
  ReplyChainWalker,
  WindowLine,
} from '../context/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { PromptRecorder, PromptTrace } from '../inspector/index.js';
import type { Logger } from '../log/index.js';
import { runWithCorrelation } from '../log/index.js';
import type { ConversationMemory } from '../memory/index.js';
import type { CoalescedPart, ConversationGate, ReplyAdmission, ReplyCoalescer } from '../queue/index.js';
import { findAnsweredMessageIdOf, type ReplyJob, ReplyJobSchema } from '../queue/reply-job.js';
import { RedisBatch, type RedisClient } from '../redis/index.js';
import {
  type ApiKeyRepository,
  type ChannelActivityRepository,
  type ConversationRepository,
  type GreetingRepository,
  isPersonalityUsableBy,
  type MessageEventRepository,
  type MessageIndexRepository,
  type Personality,
  type PersonalityRepository,
} from '../state/index.js';
import type { UsageRepository } from '../usage/index.js';
import type { WebhookManager } from '../webhooks/index.js';
import { ChannelBusyError, WebhookUnavailableError, WebhookUnavailableReason } from '../webhooks/index.js';
import type { AttachmentReader } from './attachment-reader.js';
import type { CancellationListener } from './cancellation-listener.js';
import {
  ChunkDelivery,
  type ChunkDeliveryOptions,
  type Delivery,
  type DeliveryBusy,
} from './chunk-delivery.js';
import type { DeliveryLedger, DeliveryRecord, ReplyDecision } from './delivery-ledger.js';
import { ReplyMessages } from './messages.js';
import { PostedReplyWriter, remembersReply } from './posted-reply-writer.js';
import { buildTraceStart } from './prompt-trace-start.js';
import { findChunkLength, ReplyAnswerer } from './reply-answerer.js';
import { DefaultStreamPacing, type StreamPacing } from './stream-pacing.js';
import { StreamRecovery } from './stream-recovery.js';
import type { TypingIndicator } from './typing-indicator.js';

/**
 * Webhook failures after which the user needs no notice from us: the webhook manager already told the
 * channel (50013, 30007), or nobody can be told there (no access, channel gone). A refused message is not
 * among them: the asker hears that it failed.
 */
const TOLD_OR_UNREACHABLE: ReadonlySet<WebhookUnavailableReason> = new Set([
  WebhookUnavailableReason.MissingPermissions,
  WebhookUnavailableReason.MaxWebhooks,
  WebhookUnavailableReason.MissingAccess,
  WebhookUnavailableReason.UnknownChannel,
]);

export interface ReplyProcessorDependencies {
  /** The commands connection: runs the post-answer script of the user's slot (PostedReplyWriter). */
  readonly redis: RedisClient;
  /** Read by id for every reply: the worker's `PersonalityCache` in front of the repository. */
  readonly personalities: Pick<PersonalityRepository, 'fetchById'>;
  readonly conversations: ConversationRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly messageEvents: MessageEventRepository;
  readonly messageIndex: MessageIndexRepository;
  readonly channelActivity: ChannelActivityRepository;
  /** The channels' kept conversation: read for the prompt and reply chains; a personality's posted reply joins it. */
  readonly channelWindows: ChannelWindowReader &
    Pick<ChannelWindowRepository, 'appendOwnLines' | 'buildUserIndexCall'>;
  readonly admission: ReplyAdmission;
  readonly gate: ConversationGate;
  /** Reads the follow-ups joined to a reply as it starts (docs/fair-queue.md, Coalescing); absent = none. */
  readonly coalescer?: ReplyCoalescer;
  /** Who was greeted in DMs (a personality's greeting before its first DM reply); absent = no DM greetings. */
  readonly greetings?: Pick<GreetingRepository, 'markUserGreeted'>;
  /** The AI service; replies stream when it can (`stream`) and the personality or operator wants it. */
  readonly ai: AiService;
  readonly webhooks: WebhookManager;
  readonly ledger: DeliveryLedger;
  readonly typing: TypingIndicator;
  readonly cancellations: CancellationListener;
  readonly replyChains: ReplyChainWalker;
  /** How much channel context a prompt shows, and each model's context length. */
  readonly prompt: PromptSettings;
  /** Fetches a message's attachments for its prompt (docs/context.md, Attachments). */
  readonly attachments: Pick<AttachmentReader, 'read'>;
  /** Token counters (docs/usage.md): a reply's answer is counted with its history; absent = not counted. */
  readonly usage?: Pick<UsageRepository, 'buildUserCounters' | 'countShared'>;
  /** Long-term memory (docs/memory.md): the summary in the prompt, trimmed turns handed over; absent = none. */
  readonly memory?: ConversationMemory;
  /** Records each reply's prompt and timings (`DEBUG_PROMPTS`, docs/inspector.md); absent = nothing recorded. */
  readonly prompts?: Pick<PromptRecorder, 'begin'>;
  readonly logger: Logger;
  readonly now: () => number;
}

export interface ReplyProcessorOptions extends ChunkDeliveryOptions {
  /**
   * How soon a job re-checks a chunk another attempt of it is posting (that attempt lost its BullMQ lock but
   * still runs), in ms: it finishes then, or its claim lapses. @defaultValue 1000
   */
  readonly busyRecheckMs: number;
  /**
   * Server-channel replies stream (`STREAM_REPLIES`) unless their personality says otherwise; DMs never do.
   * @defaultValue true
   */
  readonly streamReplies: boolean;
  /** How a streamed reply paces its posts and edits (`STREAM_EDIT_INTERVAL_MS`). @defaultValue DefaultStreamPacing */
  readonly streamPacing: StreamPacing;
}

/** An earlier message of the job's conversation is still being answered. */
const NOT_YET_ITS_TURN = 'not-yet-its-turn';

const NO_PARTS: readonly CoalescedPart[] = [];

/** What an attempt has done that its end must know. */
interface AttemptProgress {
  /** The job was settled with its history (the post-answer script): no second settle. */
  settled: boolean;
  /**
   * Gives up the lease of the reply this attempt streamed, while it is still held: the post-answer script gives it
   * up with the history, else the attempt's end does.
   */
  streamLease: (() => Promise<void>) | null;
}

/** How a job ended, returned as the BullMQ job's result. */
export type ReplyOutcome = 'replied' | 'notice' | 'cancelled';

/**
 * Processes one reply job: AI call, posting, history. Safe to run again for the same job (retries after a
 * crash or stall): the delivery ledger makes posting exactly-once and history append once.
 */
export class ReplyProcessor {
  private readonly options: ReplyProcessorOptions;
  private readonly log: Logger;
  private readonly chunks: ChunkDelivery;
  private readonly answerer: ReplyAnswerer;
  private readonly recovery: StreamRecovery;
  private readonly postedReplies: PostedReplyWriter;

  constructor(
    private readonly deps: ReplyProcessorDependencies,
    options: Partial<ReplyProcessorOptions> = {},
  ) {
    this.options = {
      recoveryScanLimit: 1000,
      clockSkewMs: 30_000,
      busyRecheckMs: 1000,
      streamReplies: true,
      streamPacing: DefaultStreamPacing,
      ...options,
    };
    this.log = deps.logger.child({ module: 'reply-processor' });
    this.chunks = new ChunkDelivery(deps, this.options);
    this.postedReplies = new PostedReplyWriter(deps);
    this.recovery = new StreamRecovery(deps, this.chunks);
    this.answerer = new ReplyAnswerer(deps, this.options, this.recovery);
  }

  /** The BullMQ processor function. */
  async process(job: Job, token: string | undefined): Promise<ReplyOutcome> {
    const parsed = ReplyJobSchema.safeParse(job.data);
    if (!parsed.success) {
      // A malformed job can never succeed: fail it with the reason instead of retrying or crashing.
      throw new UnrecoverableError(
        `invalid reply job: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
      );
    }
    const data = parsed.data;
    const jobId = job.id ?? 'unknown';
    return runWithCorrelation(
      { correlationId: data.correlationId, jobId, userId: data.authorId },
      async () => {
        let outcome: ReplyOutcome | DeliveryBusy | typeof NOT_YET_ITS_TURN;
        const progress: AttemptProgress = { settled: false, streamLease: null };
        try {
          // The attempt's lock token names its claims in the delivery ledger.
          outcome = await this.deliver(
            data,
            jobId,
            token ?? `attempt-${randomUUID()}`,
            job.attemptsStarted <= 1,
            progress,
          );
        } catch (error) {
          if (error instanceof ChannelBusyError) {
            // The channel's webhook budget is spent (or Discord paused it): wait for its slot as a delayed job,
            // holding no worker; the ledger resumes at the first chunk not posted.
            const { channelId, retryAt, reason } = error;
            this.log.info(
              { channelId, retryAfterMs: Math.max(0, retryAt - this.deps.now()), reason },
              "reply delayed until the channel's next slot",
            );
            await job.moveToDelayed(retryAt, token);
            throw new DelayedError();
          }
          if (!(error instanceof ChorusError && error.code === ChorusErrorCode.Cancelled)) throw error;
          // The worker is shutting down and cancelled the AI call: nothing was decided or posted, so the job
          // goes straight back to the queue for another worker, without spending one of its attempts.
          this.log.info({ channelId: data.channelId }, 'reply job handed back at shutdown');
          await job.moveToDelayed(this.deps.now(), token);
          throw new DelayedError();
        }
        if (outcome === NOT_YET_ITS_TURN) {
          // An earlier message of this conversation is still being answered: wait, holding no slot, until its
          // settle wakes this job.
          await this.deps.gate.wait(data, job, token);
          throw new DelayedError();
        }
        if (typeof outcome === 'object') {
          // Another attempt of this job (its lock lapsed, but it still runs) is posting: never post beside it.
          this.log.info(
            { channelId: data.channelId },
            'reply being posted by another attempt; checking back',
          );
          await job.moveToDelayed(
            Math.min(outcome.busyUntil, this.deps.now() + this.options.busyRecheckMs),
            token,
          );
          throw new DelayedError();
        }
        // A reply that appended its history was settled by the same script.
        if (!progress.settled) await this.deps.admission.settle(data);
        return outcome;
      },
    );
  }

  /**
   * Called when a job has failed for good: the user gets one clear notice instead of silence, unless a
   * reply or a notice already reached the channel.
   */
  async notifyFailure(job: Job, error: Error): Promise<void> {
    const parsed = ReplyJobSchema.safeParse(job.data);
    if (!parsed.success) return;
    const data = parsed.data;
    const jobId = job.id ?? 'unknown';
    try {
      let record = await this.deps.ledger.fetch(data.authorId, jobId);
      if (record.decision === null && record.drafts.size > 0) {
        // A reply streamed part-way and never finished: take it down, so the notice is all that remains.
        const owner = `notice-${randomUUID()}`;
        record = await this.recovery.withdrawWhenFree({ job: data, jobId, owner, record });
      }
      const alreadyTold =
        record.posted.size > 0 ||
        (error instanceof WebhookUnavailableError && TOLD_OR_UNREACHABLE.has(error.reason));
      if (!alreadyTold) {
        const owner = `notice-${randomUUID()}`;
        const notice = ReplyMessages.failed();
        const delivery = await this.deps.ledger.decideReply(
          data.authorId,
          jobId,
          { chunks: [notice], reply: notice, isNotice: true, asBot: true },
          owner,
          this.deps.now(),
        );
        const posting = { job: data, jobId, record, personality: null, owner };
        const posted = await this.chunks.post({ ...posting, delivery });
        if ('busyUntil' in posted) {
          // A dead attempt's claim on a maybe-posted chunk: once it lapses, look for that chunk, else post.
          await sleep(Math.max(0, posted.busyUntil - this.deps.now()));
          await this.chunks.post({ ...posting, delivery: { decision: delivery.decision, firstChunk: null } });
        }
      }
    } finally {
      await this.deps.admission.settle(data);
    }
  }

  private async deliver(
    job: ReplyJob,
    jobId: string,
    owner: string,
    firstTry: boolean,
    progress: AttemptProgress,
  ): Promise<ReplyOutcome | DeliveryBusy | typeof NOT_YET_ITS_TURN> {
    // A later try (most often a job woken from a conversation wait) checks its turn on its own first, so a job
    // still waiting reads nothing else.
    if (!firstTry && !(await this.deps.gate.isTurn(job))) return NOT_YET_ITS_TURN;
    // The conversation's turn (first try) and everything the attempt may need before the AI call, in one round
    // trip (a retry that finds a decision uses only the first three reads and the joined parts; a job whose turn
    // it is not, none). The claim of the joined parts comes after the turn check: it closes the job's coalesce
    // group only when the job starts, and every attempt gets the same parts.
    // The channel's window is read in every guild channel: the personality, read here too, decides its mode.
    const { channelContext } = this.deps.prompt;
    const readsWindow = job.guildId !== null && channelContext.messages > 0;
    const repliedToId = job.guildId === null ? null : (job.replyToMessageId ?? null);
    const [
      isTurn,
      record,
      personality,
      deleted,
      edited,
      history,
      keyring,
      latestHuman,
      windowLines,
      repliedTo,
      joined,
      summaries,
    ] = await RedisBatch.together((batch) =>
      Promise.all([
        firstTry ? this.deps.gate.isTurn(job, batch) : true,
        this.deps.ledger.fetch(job.authorId, jobId, batch),
        this.deps.personalities.fetchById(job.personalityId, batch),
        this.deps.messageEvents.isDeleted(job.channelId, findAnsweredMessageIdOf(job), batch),
        this.deps.messageEvents.fetchEdit(job.authorId, findAnsweredMessageIdOf(job), batch),
        this.deps.conversations.fetchHistory(job.authorId, job.channelId, job.personalityId, batch),
        this.deps.apiKeys.fetchKeyring(job.authorId, batch),
        job.chain === undefined ? null : this.deps.channelActivity.fetchLatestHuman(job.channelId, batch),
        readsWindow
          ? this.deps.channelWindows.fetchRecent(
              job.channelId,
              {
                limit: channelContext.messages,
                sinceMs: job.messageCreatedAt - channelContext.maxAgeSeconds * 1000,
                beforeMs: job.messageCreatedAt,
              },
              batch,
            )
          : [],
        repliedToId === null
          ? new Map<string, WindowLine>()
          : this.deps.channelWindows.fetchLines(job.channelId, [repliedToId], batch),
        this.deps.coalescer?.claim(job, batch) ?? NO_PARTS,
        this.deps.memory?.fetchSummaries(job.authorId, job.channelId, job.personalityId, batch) ?? null,
      ]),
    );
    if (!isTurn) return NOT_YET_ITS_TURN;
    // The reply has started: a deletion of a joined follow-up no longer changes it, so its deletion index (which
    // names the author) goes now, whatever this attempt ends with. Only for a coalesced group.
    if (joined.length > 0) await this.deps.coalescer?.forgetJoinedMessages(joined);
    // An earlier attempt streamed part of the reply: this one takes over its messages, under their lease.
    const streamLease = record.drafts.size > 0 ? this.recovery.hold(job, jobId, owner) : null;
    if (streamLease !== null && !(await streamLease.take())) {
      await streamLease.release();
      return { busyUntil: streamLease.lostUntil ?? this.deps.now() };
    }
    const takeover = { job, jobId, owner, record };
    const trace =
      personality === null ? undefined : this.deps.prompts?.begin(buildTraceStart(job, jobId, personality));
    try {
      let delivery: Delivery;
      let current = record;
      if (record.decision === null) {
        const cancelled = async () => (await this.recovery.withdraw(takeover)) ?? ('cancelled' as const);
        if (deleted) return streamLease === null ? 'cancelled' : await cancelled();
        if (job.chain !== undefined && latestHuman !== null && BigInt(latestHuman) > BigInt(job.messageId)) {
          // A person spoke after the personality's message this link answers: the room moved on, and the chain
          // stops here (links already started finish).
          this.log.info(
            { channelId: job.channelId, personalityId: job.personalityId, chainDepth: job.chain.depth },
            'personality chain link cancelled: a person spoke since',
          );
          return streamLease === null ? 'cancelled' : await cancelled();
        }
        // Checked here, at run time, whatever queued the job: a forged job, or one queued before the
        // personality went private, ends with a notice, before any key is opened or the AI is called.
        const answer =
          personality !== null && isPersonalityUsableBy(personality, job.authorId)
            ? await this.answerer.answer(
                job,
                personality,
                {
                  edited,
                  history,
                  keyring,
                  windowLines,
                  repliedTo,
                  joined,
                  ...(summaries === null || this.deps.memory === undefined
                    ? {}
                    : { memory: this.deps.memory.buildPromptMemory(summaries, personality.memoryScope) }),
                },
                { jobId, owner, record },
                trace,
              )
            : this.cannotAnswer(job, personality);
        if (answer === 'cancelled') return streamLease === null ? 'cancelled' : await cancelled();
        if ('busyUntil' in answer) return answer;
        if ('kind' in answer) {
          delivery = answer.delivery;
          current = answer.record;
          progress.streamLease = answer.releaseLease;
        } else {
          delivery = await this.deps.ledger.decideReply(job.authorId, jobId, answer, owner, this.deps.now());
        }
      } else {
        // A deletion before anything was posted still cancels; after the first chunk the reply is completed.
        if (record.posted.size === 0 && deleted) return 'cancelled';
        delivery = { decision: record.decision, firstChunk: null };
      }
      if (streamLease !== null) {
        // The earlier attempt's messages become the decided reply's: edited to it, the surplus deleted.
        const reconciled = await this.recovery.reconcile(takeover, delivery.decision);
        if ('busyUntil' in reconciled) return reconciled;
        current = reconciled;
      }
      return await this.complete(job, jobId, owner, delivery, current, personality, joined, progress, trace);
    } catch (error) {
      // A channel's busy budget only delays the reply: its record stands until the post completes it.
      if (!(error instanceof ChannelBusyError)) {
        trace?.fail(error);
        await trace?.save();
      }
      throw error;
    } finally {
      await streamLease?.release();
      await progress.streamLease?.();
    }
  }

  /** Posts what of the decided reply is not posted yet, then remembers it: history, and the channel's window. */
  private async complete(
    job: ReplyJob,
    jobId: string,
    owner: string,
    delivery: Delivery,
    record: DeliveryRecord,
    personality: Personality | null,
    joined: readonly CoalescedPart[],
    progress: AttemptProgress,
    trace: PromptTrace | undefined,
  ): Promise<ReplyOutcome | DeliveryBusy> {
    const { decision } = delivery;
    if (!decision.isNotice && personality !== null && record.posted.size === 0)
      await this.greetInDm(job, personality);
    const posted = await this.chunks.post({
      job,
      jobId,
      delivery,
      record,
      personality,
      owner,
      recordLastWithHistory: remembersReply(decision, personality, record),
    });
    if ('busyUntil' in posted) return posted;
    // The post-answer script is the first Redis call after the last post: it may be the one that records it.
    progress.settled = await this.postedReplies.write({
      job,
      jobId,
      decision,
      record,
      personality,
      joined,
      messageIds: posted.messageIds,
      unrecorded: posted.unrecorded,
      streamOwner: progress.streamLease === null ? null : owner,
    });
    await trace?.posted(posted.messageIds);
    // The post-answer script gave the stream's lease up with the history.
    if (progress.settled) progress.streamLease = null;
    return decision.isNotice ? 'notice' : 'replied';
  }

  /**
   * A personality with a greeting (a card's `first_mes`) posts it before its first DM reply to a user. The marker
   * is set first (atomic): a crash between it and the post loses the greeting rather than posting it twice.
   */
  private async greetInDm(job: ReplyJob, personality: Personality): Promise<void> {
    if (job.guildId !== null || personality.greeting === null || this.deps.greetings === undefined) return;
    if (!(await this.deps.greetings.markUserGreeted(job.authorId, personality.id))) return;
    const content = buildGreetingText(
      personality.greeting,
      { char: personality.name, user: job.authorName },
      findChunkLength(job, personality),
    );
    await this.deps.webhooks.postAsPersona(
      { guildId: null, channelId: job.channelId, parentChannelId: null },
      { username: personality.name, avatarUrl: personality.avatarUrl, content },
    );
  }

  /** The bot's notice for a job nobody may answer: its personality is gone, or private to someone else. */
  private cannotAnswer(job: ReplyJob, personality: Personality | null): ReplyDecision {
    if (personality !== null)
      this.log.warn(
        { channelId: job.channelId, personalityId: personality.id },
        'reply job refused: private personality, requester not its owner',
      );
    const notice =
      personality === null ? ReplyMessages.personalityGone() : ReplyMessages.personalityPrivate();
    return { chunks: [notice], reply: notice, isNotice: true, asBot: true };
  }
}
