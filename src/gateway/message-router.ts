import type { Logger } from '../log/index.js';
import { type AdmissionResult, buildLimitNotice, type ReplyAdmission } from '../queue/index.js';
import { buildReplyJobId, type ReplyJob, type Trigger } from '../queue/reply-job.js';
import type {
  ActivationRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  Personality,
  PersonalityRepository,
} from '../state/index.js';
import { decideAddressees } from './addressing.js';
import type { InboundMessage } from './inbound-message.js';
import { collectCandidateKeys, extractMentionCandidates, resolveMentions } from './mention-parser.js';

/** What the gateway needs from Redis to route a message. */
export interface MessageRouterDependencies {
  readonly personalities: PersonalityRepository;
  readonly activations: ActivationRepository;
  readonly messageIndex: MessageIndexRepository;
  readonly dmSticky: DmStickyRepository;
  readonly messageEvents: MessageEventRepository;
  readonly admission: ReplyAdmission;
  readonly logger: Logger;
}

export interface MessageRouterOptions {
  /** MAX_PERSONALITIES_PER_MESSAGE. */
  readonly maxPersonalitiesPerMessage: number;
  readonly now: () => number;
  readonly newCorrelationId: () => string;
  /**
   * Waits before re-checking a replied-to message missing from the posted-message index (a reply racing
   * the worker's index write). @defaultValue [150, 600]
   */
  readonly replyIndexRetryDelaysMs: readonly number[];
}

/** What routing one message produced, for the caller to act on (notices) and for tests/metrics. */
export interface RoutingOutcome {
  readonly addressed: ReadonlyArray<{ personalityId: string; trigger: Trigger; admission: AdmissionResult }>;
  /** Limit notices to post as the bot (at most one per user per limit window, decided in Redis). */
  readonly notices: readonly string[];
}

const NOTHING: RoutingOutcome = { addressed: [], notices: [] };

/**
 * Decides who a message addresses and admits one job per personality. Never calls the AI.
 * Redis round trips: the reply-target, mention and activation lookups run concurrently.
 */
export class MessageRouter {
  private readonly options: MessageRouterOptions;

  constructor(
    private readonly deps: MessageRouterDependencies,
    options: Omit<MessageRouterOptions, 'replyIndexRetryDelaysMs'> & Partial<MessageRouterOptions>,
  ) {
    this.options = { replyIndexRetryDelaysMs: [150, 600], ...options };
  }

  async route(message: InboundMessage): Promise<RoutingOutcome> {
    const isDm = message.guildId === null;
    const candidates = message.content.includes('@') ? extractMentionCandidates(message.content) : [];
    const candidateKeys = collectCandidateKeys(candidates);

    const [replyTarget, named, activatedId, stickyId] = await Promise.all([
      message.replyToMessageId
        ? this.fetchReplyTarget(message.replyToMessageId, candidateKeys.length > 0)
        : null,
      candidateKeys.length > 0
        ? this.deps.personalities.resolveNames(message.authorId, candidateKeys)
        : new Map<string, Personality>(),
      isDm ? null : this.fetchActivation(message),
      isDm ? this.deps.dmSticky.fetch(message.authorId) : null,
    ]);
    const { mentioned, strippedText } = resolveMentions(message.content, candidates, named);

    // Reply, activation and sticky paths name personalities by id: load them to enforce visibility.
    const byId = new Map<string, Personality>(mentioned.map((personality) => [personality.id, personality]));
    const idsToLoad = [replyTarget?.personalityId, activatedId, stickyId].filter(
      (id): id is string => typeof id === 'string' && !byId.has(id),
    );
    if (idsToLoad.length > 0) {
      for (const [id, personality] of await this.deps.personalities.fetchManyByIds(idsToLoad))
        byId.set(id, personality);
    }
    const canUse = (id: string) => {
      const personality = byId.get(id);
      return (
        personality !== undefined &&
        (personality.visibility === 'public' || personality.ownerId === message.authorId)
      );
    };

    const decision = decideAddressees({
      replyToPersonalityId: replyTarget?.personalityId ?? null,
      mentioned,
      activatedPersonalityId: activatedId,
      isDm,
      dmStickyPersonalityId: stickyId,
      maxPersonalities: this.options.maxPersonalitiesPerMessage,
      canUse,
    });
    if (decision.personalityIds.length === 0) return NOTHING;
    if (decision.newDmSticky !== null) await this.deps.dmSticky.set(message.authorId, decision.newDmSticky);

    const addressed: Array<RoutingOutcome['addressed'][number]> = [];
    const notices: string[] = [];
    const now = this.options.now();
    for (const personalityId of decision.personalityIds) {
      const trigger = decision.triggers[personalityId] ?? 'mention';
      const job: ReplyJob = {
        kind: 'reply',
        version: 1,
        correlationId: this.options.newCorrelationId(),
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
        enqueuedAt: now,
      };
      const admission = await this.deps.admission.admit(job);
      addressed.push({ personalityId, trigger, admission });
      if (admission.outcome === 'refused' && admission.notify) {
        notices.push(buildLimitNotice(admission.reason, admission.retryAfterMs));
      }
      this.deps.logger.debug(
        {
          messageId: message.id,
          personalityId,
          jobId: buildReplyJobId(message.id, personalityId),
          // Each addressed personality's job has its own correlation id; its worker logs the same one.
          correlationId: job.correlationId,
          outcome: admission.outcome,
        },
        'message routed',
      );
    }
    return { addressed, notices };
  }

  /**
   * A deleted message cancels its pending replies (even mid-AI-call: workers listen for the publish,
   * and check the mark before posting, so a worker restart does not lose the cancel).
   */
  async cancel(messageId: string): Promise<void> {
    await this.deps.messageEvents.markDeleted(messageId);
    await this.deps.messageEvents.publishDeleted(messageId);
  }

  /** An edit made before processing starts is used instead of the original text. */
  async recordEdit(message: InboundMessage): Promise<void> {
    const candidates = message.content.includes('@') ? extractMentionCandidates(message.content) : [];
    const keys = collectCandidateKeys(candidates);
    const named =
      keys.length > 0 ? await this.deps.personalities.resolveNames(message.authorId, keys) : new Map();
    const { strippedText } = resolveMentions(message.content, candidates, named);
    await this.deps.messageEvents.recordEdit(message.id, strippedText.slice(0, 4000));
  }

  /**
   * The personality behind a replied-to message. Discord can deliver a reply to a webhook message before the
   * worker that posted it has its id back and indexed, so a miss is re-checked briefly — unless the message
   * mentions someone anyway (then the mention path decides without waiting).
   */
  private async fetchReplyTarget(messageId: string, hasMentions: boolean) {
    const delays = hasMentions ? [] : this.options.replyIndexRetryDelaysMs;
    let found = await this.deps.messageIndex.fetchPersonalityForMessage(messageId);
    for (const delayMs of delays) {
      if (found !== null) break;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      found = await this.deps.messageIndex.fetchPersonalityForMessage(messageId);
    }
    return found;
  }

  private async fetchActivation(message: InboundMessage): Promise<string | null> {
    if (message.parentChannelId === null) return this.deps.activations.fetchForChannel(message.channelId);
    // A thread inherits its parent's activation unless it has its own.
    const found = await this.deps.activations.fetchForChannels([message.channelId, message.parentChannelId]);
    return found.get(message.channelId) ?? found.get(message.parentChannelId) ?? null;
  }
}
