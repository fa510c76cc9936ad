import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordErrorCode } from '../discord/index.js';
import type { Logger } from '../log/index.js';
import type { ReplyJob } from '../queue/reply-job.js';
import type { WebhookManager } from '../webhooks/index.js';
import type { ChunkDelivery, DeliveryBusy } from './chunk-delivery.js';
import type { DeliveryLedger, DeliveryRecord, ReplyDecision } from './delivery-ledger.js';
import { StreamLeaseHolder } from './stream-lease.js';

/** What {@link StreamRecovery} needs. */
export interface StreamRecoveryDependencies {
  readonly ledger: DeliveryLedger;
  readonly webhooks: Pick<WebhookManager, 'editPosted' | 'deletePosted'>;
  readonly logger: Logger;
  readonly now: () => number;
}

/** One streamed reply an attempt takes over, as {@link StreamRecovery} works on it. */
export interface StreamTakeover {
  readonly job: ReplyJob;
  readonly jobId: string;
  /** The attempt's name in the ledger's claims; it holds the stream's lease. */
  readonly owner: string;
  /** The job's delivery record, read at the start of the attempt. */
  readonly record: DeliveryRecord;
}

/**
 * What an attempt does with the messages an earlier attempt of its job streamed (it died, or was handed back at
 * shutdown): bring them to the job's decided reply, or take them down. The attempt holds the stream's lease, so no
 * other attempt writes them meanwhile. Messages whose ids were never recorded are looked for by the content they
 * were first posted with (their draft), as chunks are.
 */
export class StreamRecovery {
  private readonly log: Logger;

  constructor(
    private readonly deps: StreamRecoveryDependencies,
    private readonly chunks: Pick<ChunkDelivery, 'findPosted'>,
  ) {
    this.log = deps.logger.child({ module: 'stream-recovery' });
  }

  /**
   * Edits the posted messages the decision keeps to its chunks and deletes the others (also those maybe posted),
   * so that, once the chunks not posted yet are, exactly the decided reply remains. A notice the bot posts
   * replaces them all. Resolves to the record as it now stands (what it deleted forgotten).
   */
  async reconcile(takeover: StreamTakeover, decision: ReplyDecision): Promise<DeliveryRecord | DeliveryBusy> {
    const { job, record } = takeover;
    const kept = decision.asBot ? 0 : decision.chunks.length;
    const posted = new Map(record.posted);
    let edited = 0;
    for (const [index, messageId] of record.posted) {
      if (index >= kept) continue;
      edited += 1;
      await this.deps.webhooks
        .editPosted(job.channelId, messageId, decision.chunks[index]!)
        .catch((error: unknown) => {
          // Deleted by someone else (a moderator): nothing of it to bring up to date.
          if ((error as { code?: unknown }).code !== DiscordErrorCode.UnknownMessage) throw error;
        });
    }
    const removed = await this.remove(takeover, (index) => index >= kept);
    if (!Array.isArray(removed)) return removed;
    for (const index of removed) posted.delete(index);
    this.log.info(
      { channelId: job.channelId, edited, deleted: removed.length },
      'streamed reply brought to its decided text',
    );
    return { ...record, posted };
  }

  /** Deletes every message of the streamed reply (a withdrawn reply), and forgets them. */
  async withdraw(takeover: StreamTakeover): Promise<DeliveryBusy | null> {
    const removed = await this.remove(takeover, () => true);
    if (!Array.isArray(removed)) return removed;
    if (removed.length > 0)
      this.log.info(
        { channelId: takeover.job.channelId, deleted: removed.length },
        'streamed reply withdrawn',
      );
    return null;
  }

  /** A hold on the stream's lease for `owner`, not taken yet. */
  hold(job: ReplyJob, jobId: string, owner: string): StreamLeaseHolder {
    const scope = { userId: job.authorId, jobId, owner, channelId: job.channelId };
    return new StreamLeaseHolder(this.deps.ledger, scope, this.deps.now, this.log);
  }

  /**
   * Takes the stream's lease (waiting out another attempt's once) and deletes its messages: a job that failed for
   * good, before its one notice. Returns the record without them.
   * @throws Error when another attempt still holds the messages after that wait.
   */
  async withdrawWhenFree(takeover: StreamTakeover): Promise<DeliveryRecord> {
    const { job, jobId, owner, record } = takeover;
    for (let round = 1; round <= 2; round += 1) {
      const lease = this.hold(job, jobId, owner);
      try {
        const busyUntil = (await lease.take())
          ? ((await this.withdraw(takeover))?.busyUntil ?? null)
          : (lease.lostUntil ?? this.deps.now());
        if (busyUntil === null) return { ...record, posted: new Map() };
        if (round === 1) await sleep(Math.max(0, busyUntil - this.deps.now()));
      } finally {
        await lease.release();
      }
    }
    throw new Error('a streamed reply is still being written by another attempt');
  }

  /** Deletes the stream's messages whose index `select` picks: posted, and maybe posted. */
  private async remove(
    { job, jobId, owner, record }: StreamTakeover,
    select: (index: number) => boolean,
  ): Promise<number[] | DeliveryBusy> {
    const { ledger, webhooks } = this.deps;
    const removed: number[] = [];
    const indexes = new Set([...record.posted.keys(), ...record.drafts.keys()]);
    for (const index of [...indexes].filter(select).sort((a, b) => a - b)) {
      const messageId = record.posted.get(index);
      if (messageId !== undefined) {
        await webhooks.deletePosted(job.channelId, messageId);
      } else if (record.intents.has(index)) {
        // Claimed, never recorded: it may be in the channel with its draft as content.
        const claim = await ledger.claimChunk(job.authorId, jobId, index, owner, this.deps.now());
        if (claim.kind === 'busy') return { busyUntil: claim.leaseUntil };
        const draft = record.drafts.get(index);
        const found =
          claim.kind === 'posted'
            ? claim.messageId
            : claim.previousClaimAt === null || draft === undefined
              ? null
              : await this.chunks.findPosted(job, draft, claim.previousClaimAt);
        if (found !== null) await webhooks.deletePosted(job.channelId, found);
      }
      await ledger.forgetMessage(job.authorId, jobId, index);
      removed.push(index);
    }
    return removed;
  }
}
