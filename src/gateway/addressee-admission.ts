import type { GuildSettings } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import { buildLimitNotice, type ReplyAdmission } from '../queue/index.js';
import { buildReplyJobId, type ReplyJob, type Trigger } from '../queue/reply-job.js';
import type { ScriptCall } from '../redis/index.js';
import type { Personality } from '../state/index.js';
import { UsageMessages } from '../usage/index.js';
import type { ChainLink } from './chain-link.js';
import type { DueUserIndex } from './due-user-index.js';
import type { InboundMessage } from './inbound-message.js';
import { checkQuota, type QuotaChecks, type QuotaState } from './quota-check.js';
import type { AddressedPersonality } from './routing-outcome.js';

/** What admitting a message's addressees needs. */
export interface AddresseeAdmissionDependencies {
  readonly admission: ReplyAdmission;
  readonly quotas?: QuotaChecks;
  readonly logger: Logger;
}

/** The clock and the correlation ids of admitted jobs. */
export interface AddresseeAdmissionOptions {
  readonly now: () => number;
  readonly newCorrelationId: () => string;
}

/** One message's addressees to admit, with what routing read and decided for them. */
export interface AdmissionRound {
  readonly message: InboundMessage;
  /** The chain link the message is; null for a person's message. */
  readonly link: ChainLink | null;
  /** The message's text without the mentions that addressed. */
  readonly strippedText: string;
  readonly addressees: ReadonlyArray<{ readonly personalityId: string; readonly trigger: Trigger }>;
  readonly byId: ReadonlyMap<string, Personality>;
  readonly quota: QuotaState | null;
  /** The queue depth read for the message; null for admission to read it. */
  readonly depth: number | null;
  /** The server's settings; null in DMs. */
  readonly settings: GuildSettings | null;
  /** The author's window-index entry their message's line may make due: the first admission writes it. */
  readonly authorIndex: DueUserIndex | undefined;
}

/** What admitting a message's addressees produced. */
export interface AdmittedAddressees {
  readonly addressed: AddressedPersonality[];
  /** Quota and limit notices to post as the bot. */
  readonly notices: string[];
}

/**
 * Admits one reply job per addressee, in order: a spent operator quota skips it (with the quota notice), a
 * chain link's claim may skip it, then admission's script decides (with its limit notice).
 */
export class AddresseeAdmission {
  constructor(
    private readonly deps: AddresseeAdmissionDependencies,
    private readonly options: AddresseeAdmissionOptions,
  ) {}

  async admitAll(round: AdmissionRound): Promise<AdmittedAddressees> {
    const { message, link, byId, quota, depth, settings, authorIndex } = round;
    const addressed: AddressedPersonality[] = [];
    const notices: string[] = [];
    const now = this.options.now();
    let enqueued = 0;
    for (const { personalityId, trigger } of round.addressees) {
      const overQuota = checkQuota(this.deps.quotas?.limits, quota, byId.get(personalityId), now);
      if (overQuota !== null) {
        addressed.push({ personalityId, trigger, admission: overQuota });
        this.deps.logger.info(
          { messageId: message.id, guildId: message.guildId, personalityId, scope: overQuota.scope },
          'message skipped: token quota spent',
        );
        // One notice per user per window, and none for a chain link (the human did not ask).
        if (link === null && (await this.deps.quotas?.usage.claimQuotaNotice(message.authorId)) === true)
          notices.push(UsageMessages.quotaReached(overQuota.scope, overQuota.resetsAt));
        continue;
      }
      if (link !== null && !(await link.claim(personalityId))) continue;
      const job = buildReplyJob(round, personalityId, trigger, this.options.newCorrelationId(), now);
      // The depth read once for the message, plus the jobs it has added since; the server's stricter limits
      // as read with the lookups.
      const admit = (userIndex?: ScriptCall<void>) =>
        this.deps.admission.admit(job, depth === null ? undefined : depth + enqueued, settings, userIndex);
      const admission = await (authorIndex?.writeWith(message.authorId, admit) ?? admit());
      if (admission.outcome === 'enqueued') enqueued += 1;
      addressed.push({ personalityId, trigger, admission });
      if (admission.outcome === 'refused' && admission.notify && link === null) {
        notices.push(buildLimitNotice(admission.reason, admission.retryAfterMs, admission.limit));
      }
      this.deps.logger.debug(
        {
          messageId: message.id,
          personalityId,
          jobId: buildReplyJobId(message.id, personalityId),
          // Each addressed personality's job has its own correlation id; its worker logs the same one.
          correlationId: job.correlationId,
          outcome: admission.outcome,
          ...(admission.outcome === 'refused' ? { reason: admission.reason } : {}),
          ...(link === null ? {} : { chainDepth: link.chain.depth }),
        },
        'message routed',
      );
    }
    return { addressed, notices };
  }
}

/** The reply job for one addressee of `round`'s message. */
function buildReplyJob(
  { message, link, strippedText }: AdmissionRound,
  personalityId: string,
  trigger: Trigger,
  correlationId: string,
  enqueuedAt: number,
): ReplyJob {
  return {
    kind: 'reply',
    version: 1,
    correlationId,
    messageId: message.id,
    channelId: message.channelId,
    parentChannelId: message.parentChannelId,
    guildId: message.guildId,
    authorId: message.authorId,
    authorName: message.authorName.slice(0, 100),
    content: strippedText.slice(0, 4000),
    trigger,
    personalityId,
    messageCreatedAt: message.createdAt,
    enqueuedAt,
    ...(link === null ? {} : { chain: link.chain }),
    ...(message.proxiedFromMessageId === undefined
      ? {}
      : { proxiedFromMessageId: message.proxiedFromMessageId }),
    // The worker puts the replied-to message and its ancestors into the prompt.
    ...(message.replyToMessageId === null ? {} : { replyToMessageId: message.replyToMessageId }),
    // As data, for the worker to show or read (its CDN URLs travel with the job only).
    ...(message.attachments === undefined || message.attachments.length === 0
      ? {}
      : { attachments: [...message.attachments] }),
    ...(message.repliedToAttachments === undefined || message.repliedToAttachments.length === 0
      ? {}
      : { repliedToAttachments: [...message.repliedToAttachments] }),
  };
}
