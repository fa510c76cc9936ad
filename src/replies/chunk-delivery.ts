import { buildSnowflake, DiscordLimits } from '../discord/index.js';
import type { Logger } from '../log/index.js';
import { findAnsweredMessageIdOf, type ReplyJob } from '../queue/reply-job.js';
import type { HashFieldWrite, MessageIndexRepository, Personality } from '../state/index.js';
import {
  ChannelBusyError,
  type PostedMessage,
  type PostTarget,
  type WebhookManager,
} from '../webhooks/index.js';
import type { ChunkClaim, DeliveryLedger, DeliveryRecord, ReplyDecision } from './delivery-ledger.js';

export interface ChunkDeliveryDependencies {
  readonly ledger: DeliveryLedger;
  readonly messageIndex: MessageIndexRepository;
  readonly webhooks: WebhookManager;
  readonly logger: Logger;
  readonly now: () => number;
}

export interface ChunkDeliveryOptions {
  /**
   * Most messages scanned (in pages of 100, oldest first from the chunk's intent on) when checking whether a
   * maybe-posted chunk reached Discord. A busy channel can hold many messages between the user's message and
   * the chunk, and the retry comes a lock duration after the crash. @defaultValue 1000
   */
  readonly recoveryScanLimit: number;
  /**
   * How far Discord's clock may run behind ours, in ms: the scan starts this long before the intent was
   * recorded (never before the user's message). @defaultValue 30_000
   */
  readonly clockSkewMs: number;
}

/** A chunk of the reply is being posted by another attempt of the same job: come back at the latest then. */
export interface DeliveryBusy {
  readonly busyUntil: number;
}

/** The answer an attempt posts. */
export interface Delivery {
  readonly decision: ReplyDecision;
  /** The claim on chunk 0 made with the decision (null when the decision was an earlier attempt's). */
  readonly firstChunk: ChunkClaim | null;
}

/** Every chunk of the answer is in the channel. */
export interface Delivered {
  /** Every chunk's message id, in order (posted by this attempt or an earlier one). */
  readonly messageIds: readonly string[];
  /** The last chunk's post when {@link ChunkPosting.recordLastWithHistory} left it unrecorded, else null. */
  readonly unrecorded: UnrecordedPost | null;
}

/** A post whose record and index entries the caller's next Redis call writes (a script of the user's slot). */
export interface UnrecordedPost {
  /** Its entry in the message index (with every chunk's id when the reply is split). */
  readonly entry: PostedEntry;
  /** The delivery record's `posted:<i>` field. */
  readonly record: HashFieldWrite;
}

/** One posting of a decided reply, as {@link ChunkDelivery.post} takes it. */
export interface ChunkPosting {
  readonly job: ReplyJob;
  readonly jobId: string;
  readonly delivery: Delivery;
  /** The job's delivery record, read at the start of the attempt. */
  readonly record: DeliveryRecord;
  /** Null for a notice posted by the bot when the personality is gone. */
  readonly personality: Personality | null;
  /** The attempt's name in the ledger's claims. */
  readonly owner: string;
  /**
   * The caller runs the post-answer script right after (it appends the history): the last chunk, when this
   * attempt posts or finds it, is left for that script to record, instead of a call of its own.
   */
  readonly recordLastWithHistory?: boolean;
}

/**
 * A posted message's entry in the message index: who it answered, in which personality's name (and, for a chain
 * link, the chain), and with `replyMessageIds` every message of a reply in several.
 */
export function buildPostedEntry(
  job: ReplyJob,
  personality: Personality,
  messageIds: readonly string[],
  replyMessageIds?: readonly string[],
): PostedEntry {
  return {
    messageIds,
    personalityId: personality.id,
    userId: job.authorId,
    channelId: job.channelId,
    sourceMessageId: findAnsweredMessageIdOf(job),
    ...(replyMessageIds === undefined ? {} : { replyMessageIds }),
    // The gateway reads it when this message names another personality: the next link's depth.
    ...(job.chain === undefined
      ? {}
      : { chain: { depth: job.chain.depth, rootMessageId: job.chain.rootMessageId } }),
  };
}

/** What {@link MessageIndexRepository.indexPosted} takes. */
type PostedEntry = Parameters<MessageIndexRepository['indexPosted']>[0];

/**
 * Posts a decided reply's chunks so that no retry posts one twice: each chunk is claimed in the delivery
 * ledger first, its lease renewed while the post runs, and a chunk an earlier attempt claimed but never
 * recorded is looked for in the channel before it is posted again.
 */
export class ChunkDelivery {
  private readonly log: Logger;

  constructor(
    private readonly deps: ChunkDeliveryDependencies,
    private readonly options: ChunkDeliveryOptions,
  ) {
    this.log = deps.logger.child({ module: 'chunk-delivery' });
  }

  /** Posts the chunks not posted yet, each claimed first. */
  async post(posting: ChunkPosting): Promise<DeliveryBusy | Delivered> {
    const { job, jobId, delivery, record, personality, owner } = posting;
    const { decision } = delivery;
    const target: PostTarget = {
      channelId: job.channelId,
      parentChannelId: job.parentChannelId,
      guildId: job.guildId,
    };
    const postedIds = new Map(record.posted);
    let unrecorded: UnrecordedPost | null = null;
    // Each chunk is recorded and indexed the moment it is posted (a user may reply to it before the rest are
    // out), in one round trip. With the last chunk of a split reply, every chunk's entry learns them all
    // ("Delete reply" on any removes the whole reply).
    const recordPosted = async (chunkIndex: number, messageId: string) => {
      const last = chunkIndex === decision.chunks.length - 1;
      postedIds.set(chunkIndex, messageId);
      const replyMessageIds =
        last && postedIds.size > 1
          ? decision.chunks.flatMap((_, index) => postedIds.get(index) ?? [])
          : undefined;
      // The record's write rides in the index's script (same slot) when there is an index entry to write.
      if (personality === null || decision.asBot) {
        await this.deps.ledger.recordPosted(job.authorId, jobId, chunkIndex, messageId);
        return;
      }
      const entry = buildPostedEntry(job, personality, replyMessageIds ?? [messageId], replyMessageIds);
      const postedRecord = this.deps.ledger.buildPostedRecord(job.authorId, jobId, chunkIndex, messageId);
      // The caller's post-answer script is the next Redis call: it records the post as this call would.
      if (last && posting.recordLastWithHistory === true) unrecorded = { entry, record: postedRecord };
      else await this.deps.messageIndex.indexPosted(entry, undefined, postedRecord);
    };
    for (const [chunkIndex, chunk] of decision.chunks.entries()) {
      if (record.posted.has(chunkIndex)) continue;
      // The record was read at the start; the claim is decided now, atomically, against every other attempt
      // (chunk 0's with the decision, when this attempt made it).
      const claim =
        chunkIndex === 0 && delivery.firstChunk !== null
          ? delivery.firstChunk
          : await this.deps.ledger.claimChunk(job.authorId, jobId, chunkIndex, owner, this.deps.now());
      if (claim.kind === 'posted') {
        postedIds.set(chunkIndex, claim.messageId);
        continue;
      }
      if (claim.kind === 'busy') return { busyUntil: claim.leaseUntil };
      if (claim.previousClaimAt !== null) {
        // A previous attempt may have posted this chunk and died before recording it. A streamed reply's message
        // shows what it was first posted with (its draft) until its id is recorded: look for that.
        const draft = record.drafts.get(chunkIndex);
        const found = await this.findPosted(job, draft ?? chunk, claim.previousClaimAt);
        if (found) {
          if (draft !== undefined && draft !== chunk)
            await this.deps.webhooks.editPosted(job.channelId, found, chunk);
          await recordPosted(chunkIndex, found);
          continue;
        }
      }
      // The claim outlives a slow post (rate-limit waits) but not a dead worker by more than one lease.
      const renewal = setInterval(() => {
        this.deps.ledger
          .renewChunk(job.authorId, jobId, chunkIndex, owner, this.deps.now())
          .catch((renewError: unknown) =>
            this.log.warn({ err: renewError, channelId: job.channelId }, 'chunk claim not renewed'),
          );
      }, this.deps.ledger.claimRenewalMs);
      renewal.unref();
      try {
        const posted: PostedMessage =
          decision.asBot || personality === null
            ? await this.deps.webhooks.postAsBot(job.channelId, chunk)
            : await this.deps.webhooks.postAsPersona(
                target,
                { username: personality.name, avatarUrl: personality.avatarUrl, content: chunk },
                { userId: job.authorId, requestId: `${jobId}:${chunkIndex}` },
              );
        await recordPosted(chunkIndex, posted.messageId);
      } catch (error) {
        // Refused, lost on the way, or posted but not recorded: either way no request of this attempt is in
        // flight any more. The next attempt looks for the chunk (in case it went through) and posts it only if
        // it is not there, without waiting out this attempt's claim.
        clearInterval(renewal);
        // A chunk the channel's budget put off was never sent: withdraw its claim, so the job resumes at it
        // without searching for it.
        const settleClaim =
          error instanceof ChannelBusyError && !error.maybeSent
            ? this.deps.ledger.withdrawChunk(job.authorId, jobId, chunkIndex, owner)
            : this.deps.ledger.releaseChunk(job.authorId, jobId, chunkIndex, owner, this.deps.now());
        await settleClaim.catch((releaseError: unknown) =>
          this.log.warn({ err: releaseError, channelId: job.channelId }, 'chunk claim not released'),
        );
        throw error;
      } finally {
        clearInterval(renewal);
      }
    }
    this.log.debug({ channelId: job.channelId, chunks: decision.chunks.length }, 'reply delivered');
    return {
      messageIds: decision.chunks.flatMap((_, index) => postedIds.get(index) ?? []),
      unrecorded,
    };
  }

  /**
   * Looks for our own message with exactly this content among those posted since the chunk was claimed (less
   * the clock skew, never before the user's message), page by page: Discord's `after` returns the oldest
   * messages past the id, so one page of a busy channel may end before the chunk.
   */
  async findPosted(job: ReplyJob, content: string, intentAt: number): Promise<string | null> {
    const ours = new Set(await this.deps.webhooks.fetchOwnWebhookIds(job.parentChannelId ?? job.channelId));
    const scanFrom = BigInt(buildSnowflake(intentAt - this.options.clockSkewMs));
    let after = scanFrom > BigInt(job.messageId) ? scanFrom.toString() : job.messageId;
    const pageSize = DiscordLimits.messagesPerFetch;
    for (let scanned = 0; scanned < this.options.recoveryScanLimit; scanned += pageSize) {
      const page = await this.deps.webhooks.fetchRecentMessages(job.channelId, { limit: pageSize, after });
      const match = page.find(
        (message) =>
          (message.webhookId !== null ? ours.has(message.webhookId) : message.authorIsBot) &&
          message.content.endsWith(content),
      );
      if (match) return match.id;
      if (page.length < pageSize) return null;
      after = page.reduce(
        (newest, message) => (BigInt(message.id) > BigInt(newest) ? message.id : newest),
        after,
      );
    }
    this.log.warn(
      { channelId: job.channelId, scanned: this.options.recoveryScanLimit },
      'maybe-posted chunk not found within the scan limit',
    );
    return null;
  }
}
