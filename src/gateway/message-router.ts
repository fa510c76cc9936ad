import { appendAttachmentLines, buildAttachmentNames } from '../context/index.js';
import {
  createPolicyLookup,
  type GuildSettings,
  type GuildSettingsRepository,
  type PolicyNoticeRepository,
  type PolicyRefusal,
  type PolicyVerdict,
} from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import {
  type AdmissionResult,
  applyJoinOutcomes,
  buildLimitNotice,
  type CoalesceSlot,
  decideCoalescing,
  type ReplyAdmission,
  type ReplyCoalescer,
} from '../queue/index.js';
import { buildReplyJobId, type ReplyJob, type Trigger } from '../queue/reply-job.js';
import { RedisBatch, type ScriptCall } from '../redis/index.js';
import type {
  ActivationRepository,
  ApiKeyRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  Personality,
  PersonalityRepository,
} from '../state/index.js';
import {
  decideQuota,
  hasQuotas,
  type QuotaUsage,
  type TokenQuotas,
  UsageMessages,
  type UsageRepository,
} from '../usage/index.js';
import { applyAliases, decideAddressees, findAliasedNames } from './addressing.js';
import type { DueUserIndex } from './due-user-index.js';
import type { InboundMessage } from './inbound-message.js';
import {
  collectCandidateKeys,
  extractMentionCandidates,
  type MentionCandidate,
  resolveMentions,
} from './mention-parser.js';

/** What the gateway needs from Redis to route a message. */
export interface MessageRouterDependencies {
  readonly personalities: Pick<PersonalityRepository, 'resolveNames' | 'fetchManyByIds'>;
  readonly activations: Pick<ActivationRepository, 'fetchForChannel' | 'fetchForChannels'>;
  readonly messageIndex: MessageIndexRepository;
  readonly dmSticky: DmStickyRepository;
  readonly messageEvents: MessageEventRepository;
  readonly admission: ReplyAdmission;
  /**
   * Lets a user's back-to-back follow-up join the reply to their previous message instead of getting its own
   * (docs/fair-queue.md, Coalescing); absent or with a 0 window, every message is admitted on its own.
   */
  readonly coalescer?: ReplyCoalescer;
  readonly guildSettings: Pick<GuildSettingsRepository, 'fetch'>;
  /** Claims the one DM per user per window telling why a personality stayed silent. */
  readonly policyNotices: PolicyNoticeRepository;
  /**
   * The operator's daily token quotas (docs/usage.md): today's counters and the providers the author has a key
   * for are read with the lookups; absent, or with no quota set, nothing is read and every message may pass.
   */
  readonly quotas?: QuotaChecks;
  readonly logger: Logger;
}

/** What routing needs to apply the operator's token quotas. */
export interface QuotaChecks {
  readonly limits: TokenQuotas;
  readonly usage: Pick<UsageRepository, 'fetchQuotaUsage' | 'claimQuotaNotice'>;
  /** Whether the author has a key for a provider (read, never decrypted: the gateway holds no keys). */
  readonly apiKeys: Pick<ApiKeyRepository, 'fetchProviders'>;
}

/** A message a personality would have answered, skipped because an operator quota is spent. */
export interface OverQuotaResult {
  readonly outcome: 'over-quota';
  readonly scope: 'user' | 'guild';
  /** When the quota resets, Unix ms. */
  readonly resetsAt: number;
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

/** A message that joined the reply to the same user's previous message (`jobId`) instead of being admitted. */
export interface JoinedResult {
  readonly outcome: 'joined';
  /** The reply job that answers the group. */
  readonly jobId: string;
}

/** What routing one message produced, for the caller to act on (notices) and for tests/metrics. */
export interface RoutingOutcome {
  readonly addressed: ReadonlyArray<{
    personalityId: string;
    trigger: Trigger;
    admission: AdmissionResult | JoinedResult | OverQuotaResult;
  }>;
  /** Limit notices to post as the bot (at most one per user per limit window, decided in Redis). */
  readonly notices: readonly string[];
  /**
   * A personality the message addressed (by mention or reply) that the server's settings keep silent, when the
   * sender is to be told by DM (claimed in Redis: at most once per user per window); null otherwise.
   */
  readonly policyNotice: PolicyNotice | null;
}

/**
 * A personality's message naming other personalities: one link of a chain (see `personality-chain.ts`). Its
 * {@link InboundMessage} is written for the human requester: `authorId` the human, `authorName` the speaking
 * personality.
 */
export interface ChainLink {
  /** Who speaks, how deep this link is and the human message that started the chain: put on each job. */
  readonly chain: NonNullable<ReplyJob['chain']>;
  /**
   * Decides, just before admission, whether the link to `personalityId` starts (once per reply and personality,
   * within the channel's budget); false skips it. The caller logs why.
   */
  readonly claim: (personalityId: string) => Promise<boolean>;
}

/** Why a personality the sender addressed did not answer. */
export interface PolicyNotice {
  readonly personalityName: string;
  readonly reason: PolicyRefusal;
}

const NOTHING: RoutingOutcome = { addressed: [], notices: [], policyNotice: null };
const NO_PERSONALITIES: ReadonlyMap<string, Personality> = new Map();
const NO_ALIASES: ReadonlyMap<string, string> = new Map();
const NO_SLOTS: ReadonlyMap<string, CoalesceSlot> = new Map();

/** What routing reads before deciding. */
interface Lookups {
  readonly replyTarget: { readonly personalityId: string } | null;
  readonly named: ReadonlyMap<string, Personality>;
  readonly activatedId: string | null;
  readonly stickyId: string | null;
  /** The queue depth admission needs, when it was read with the lookups. */
  readonly queueDepth: number | null;
  /** The server's settings; null in DMs. */
  readonly settings: GuildSettings | null;
  /** The author's replies in this channel that have not started (coalescing), by personality id. */
  readonly openSlots: ReadonlyMap<string, CoalesceSlot>;
  /** Today's operator-paid tokens and the author's key providers; null when no quota is set. */
  readonly quota: QuotaState | null;
}

/** What the quota check reads with the lookups. */
interface QuotaState {
  readonly usage: QuotaUsage;
  readonly keyProviders: ReadonlySet<string>;
}

/**
 * Decides who a message addresses and admits one job per personality. Never calls the AI.
 * Redis round trips for a mention: one for every lookup (reply target, names, activation, DM sticky, queue
 * depth, the server's settings, and whatever the caller adds to the batch), then admission's script, then
 * BullMQ's add. Reply, activation and sticky paths, and a server alias used, add one to load the personalities
 * they name by id; a DM's sticky pointer one more (its repository checks the personality still exists), a
 * reply not indexed yet its re-checks; a refusal by the server's settings one to claim its notice. With
 * coalescing on, the author's open replies in the channel are read with the lookups, and a follow-up that joins
 * one costs one round trip (its join) instead of admission and the add. In the gateway process, activations,
 * settings and names come from its routing cache (routing-cache.ts) and the depth from a sample (mostly no
 * command at all).
 */
export class MessageRouter {
  private readonly options: MessageRouterOptions;
  /**
   * Routings under way in this process, by message id: an edit Discord sends right after its message waits
   * for the message's admission, which decides whether the edit may be stored. A message's events reach
   * one gateway (its shard's), so a per-process map sees both.
   */
  private readonly routing = new Map<string, Promise<RoutingOutcome>>();
  /**
   * With coalescing on, the last routing under way per author and channel: the next message of that author there
   * is routed after it, so a follow-up sees the slot its predecessor opened (Discord delivers them in order, but
   * handlers run side by side). Per process, like {@link routing}; other users' messages never wait.
   */
  private readonly authorChannelTails = new Map<string, Promise<RoutingOutcome>>();

  constructor(
    private readonly deps: MessageRouterDependencies,
    options: Omit<MessageRouterOptions, 'replyIndexRetryDelaysMs'> & Partial<MessageRouterOptions>,
  ) {
    this.options = { replyIndexRetryDelaysMs: [150, 600], ...options };
  }

  /**
   * @param batch A batch the caller sends (inside its `RedisBatch.together`): the lookups join it, so they
   * share the caller's round trip (the gateway records the message's channel activity in it). Without one
   * the lookups are a batch of their own.
   * @param authorIndex The author's window-index entry their message's line may make due: the first admission
   * of theirs writes it (same slot); left to the caller otherwise.
   */
  route(message: InboundMessage, batch?: RedisBatch, authorIndex?: DueUserIndex): Promise<RoutingOutcome> {
    const tailKey = `${message.authorId}:${message.channelId}`;
    const serial = this.deps.coalescer?.enabled === true;
    const previous = serial ? this.authorChannelTails.get(tailKey) : undefined;
    // Behind a predecessor the caller's batch has been sent by the time this routes: it gets its own.
    const routeAfter = () => this.routeNow(message, undefined, null, authorIndex);
    const routing =
      previous === undefined
        ? this.routeNow(message, batch, null, authorIndex)
        : previous.then(routeAfter, routeAfter);
    this.routing.set(message.id, routing);
    if (serial) this.authorChannelTails.set(tailKey, routing);
    const done = () => {
      if (this.routing.get(message.id) === routing) this.routing.delete(message.id);
      if (this.authorChannelTails.get(tailKey) === routing) this.authorChannelTails.delete(tailKey);
    };
    routing.then(done, done);
    return routing;
  }

  /**
   * Routes a personality's message that names others, as `link`: only its `@` mentions address (never a reply
   * target, an activation or a DM's sticky personality), the speaking personality never answers itself, and the
   * names resolve, and the server's rules apply, for the human requester (`message.authorId`). Refusals (the
   * server's rules, limits, a link not claimed) are logged, never told: the human did not ask.
   */
  routeChainLink(message: InboundMessage, link: ChainLink): Promise<RoutingOutcome> {
    return this.routeNow(message, undefined, link);
  }

  private async routeNow(
    message: InboundMessage,
    batch?: RedisBatch,
    link: ChainLink | null = null,
    authorIndex?: DueUserIndex,
  ): Promise<RoutingOutcome> {
    const isDm = message.guildId === null;
    const candidates = message.content.includes('@') ? extractMentionCandidates(message.content) : [];
    const candidateKeys = this.collectKeys(message, candidates);
    const mentionsOnly = link !== null;
    // A chain link or a proxy bot's copy is no follow-up of its requester's: it never joins their open replies.
    const coalesces = link === null && message.proxiedFromMessageId === undefined;
    const lookups =
      batch === undefined
        ? RedisBatch.together((own) => this.lookUp(message, candidateKeys, own, mentionsOnly, coalesces))
        : this.lookUp(message, candidateKeys, batch, mentionsOnly, coalesces);
    const { replyTarget, named, activatedId, stickyId, queueDepth, settings, openSlots, quota } =
      await lookups;
    const aliased =
      settings === null
        ? NO_ALIASES
        : findAliasedNames(candidateKeys, named, settings.aliases, message.authorId);

    // Reply, activation and sticky paths, and server aliases, name personalities by id: load them to enforce
    // visibility and the server's rules.
    const byId = new Map<string, Personality>(
      [...named.values()].map((personality) => [personality.id, personality]),
    );
    const idsToLoad = [replyTarget?.personalityId, activatedId, stickyId, ...aliased.values()].filter(
      (id): id is string => typeof id === 'string' && !byId.has(id),
    );
    let depth = queueDepth;
    if (idsToLoad.length > 0) {
      const [loaded, loadedDepth] = await RedisBatch.together((loads) =>
        Promise.all([
          this.deps.personalities.fetchManyByIds(idsToLoad, loads),
          depth ?? this.deps.admission.readQueueDepth(loads),
        ]),
      );
      for (const [id, personality] of loaded) byId.set(id, personality);
      depth = loadedDepth;
    }
    const resolved = resolveMentions(
      message.content,
      candidates,
      applyAliases(named, aliased, byId, message.authorId),
    );
    const { strippedText } = resolved;
    // A personality never answers itself: that would loop.
    const mentioned =
      link === null
        ? resolved.mentioned
        : resolved.mentioned.filter(({ id }) => id !== link.chain.speakerPersonalityId);
    const policy = createPolicyLookup(byId, {
      settings,
      speakerId: message.authorId,
      channelId: message.channelId,
      parentChannelId: message.parentChannelId,
      channelNsfw: message.channelNsfw,
      memberRoleIds: message.memberRoleIds,
    });
    const canUse = (id: string) => policy(id)?.allowed === true;

    const decision = decideAddressees({
      replyToPersonalityId: replyTarget?.personalityId ?? null,
      mentioned,
      activatedPersonalityId: activatedId,
      isDm,
      dmStickyPersonalityId: stickyId,
      maxPersonalities: this.options.maxPersonalitiesPerMessage,
      canUse,
    });
    // Only a personality addressed on purpose earns a notice: an activated one stays silent.
    const refusedId = [replyTarget?.personalityId, ...mentioned.map(({ id }) => id)].find(
      (id) => id !== undefined && policy(id)?.allowed === false,
    );
    const policyNotice =
      refusedId === undefined
        ? null
        : await this.claimPolicyNotice(message, refusedId, byId, policy, link === null);
    const plan = decideCoalescing({
      addressed: decision.personalityIds.map((personalityId) => ({
        personalityId,
        trigger: decision.triggers[personalityId] ?? 'mention',
      })),
      namesSomeone: mentioned.length > 0 || replyTarget !== null,
      openSlots,
      createdAt: message.createdAt,
      windowMs: coalesces ? (this.deps.coalescer?.options.windowMs ?? 0) : 0,
    });
    if (plan.join.length === 0 && plan.admit.length === 0)
      return policyNotice === null ? NOTHING : { ...NOTHING, policyNotice };
    if (decision.newDmSticky !== null) await this.deps.dmSticky.set(message.authorId, decision.newDmSticky);

    // A follow-up joining a reply gets no attachments of its own in the job: its files are named in its text.
    const part = {
      messageId: message.id,
      content: appendAttachmentLines(strippedText, buildAttachmentNames(message.attachments ?? [])).slice(
        0,
        4000,
      ),
      at: message.createdAt,
    };
    const joinOutcomes =
      (await this.deps.coalescer?.joinAll(
        { authorId: message.authorId, channelId: message.channelId, part },
        plan.join,
      )) ?? [];
    const { joined, admit } = applyJoinOutcomes(plan, joinOutcomes, decision.personalityIds);
    const addressed: Array<RoutingOutcome['addressed'][number]> = joined.map(
      ({ personalityId, trigger, jobId, outcome }) => ({
        personalityId,
        trigger,
        admission: { outcome, jobId },
      }),
    );
    if (joined.length > 0)
      this.deps.logger.debug({ messageId: message.id, joined }, 'follow-up message joined replies');
    const notices: string[] = [];
    const now = this.options.now();
    let enqueued = 0;
    for (const { personalityId, trigger } of admit) {
      const overQuota = this.checkQuota(quota, byId.get(personalityId), now);
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
    return { addressed, notices, policyNotice };
  }

  /**
   * Whether a spent quota skips the message to `personality`: never when its provider would be paid by the
   * author's own key. null = it may be admitted.
   */
  private checkQuota(
    quota: QuotaState | null,
    personality: Personality | undefined,
    now: number,
  ): OverQuotaResult | null {
    const limits = this.deps.quotas?.limits;
    if (quota === null || limits === undefined || personality === undefined) return null;
    const ownKey = quota.keyProviders.has(personality.provider);
    const decision = decideQuota(limits, quota.usage, ownKey, now);
    return decision.allowed
      ? null
      : { outcome: 'over-quota', scope: decision.scope, resetsAt: decision.resetsAt };
  }

  /**
   * The notice for a refused personality, when this user has not been told in the current window and is to be
   * told at all (`notify`: a chain link's refusal is only logged).
   */
  private async claimPolicyNotice(
    message: InboundMessage,
    personalityId: string,
    byId: ReadonlyMap<string, Personality>,
    policy: (id: string) => PolicyVerdict | undefined,
    notify: boolean,
  ): Promise<PolicyNotice | null> {
    const verdict = policy(personalityId);
    const personality = byId.get(personalityId);
    if (verdict === undefined || verdict.allowed || personality === undefined) return null;
    this.deps.logger.debug(
      { messageId: message.id, guildId: message.guildId, personalityId, reason: verdict.reason },
      'personality kept silent by the server’s settings',
    );
    if (!notify || !(await this.deps.policyNotices.claim(message.authorId))) return null;
    return { personalityName: personality.name, reason: verdict.reason };
  }

  /**
   * A deleted message cancels its pending replies (even mid-AI-call: workers listen for the publish,
   * and check the mark before posting, so a worker restart does not lose the cancel). The mark is kept under
   * `channelId`'s tag, where workers read it along with the channel's newest message.
   */
  async cancel(channelId: string, messageId: string): Promise<void> {
    const { messageEvents, coalescer } = this.deps;
    await Promise.all([
      messageEvents.markDeleted(channelId, messageId).then(() => messageEvents.publishDeleted(messageId)),
      this.leaveGroups(messageId, coalescer),
    ]);
  }

  /**
   * A deleted follow-up leaves the groups it joined while their replies have not started (after its routing,
   * when still under way, so its join is done). A deleted first message cancels its reply, above.
   */
  private async leaveGroups(messageId: string, coalescer: ReplyCoalescer | undefined): Promise<void> {
    if (coalescer?.enabled !== true) return;
    await this.routing.get(messageId)?.catch(() => undefined);
    await coalescer.forgetMessage(messageId);
  }

  /**
   * An edit made before processing starts is used instead of the original text. It is stored only when the
   * message produced a job (after the message's routing, when still under way); returns whether it was.
   */
  async recordEdit(message: InboundMessage): Promise<boolean> {
    await this.routing.get(message.id)?.catch(() => undefined);
    const candidates = message.content.includes('@') ? extractMentionCandidates(message.content) : [];
    const keys = this.collectKeys(message, candidates);
    const { guildId } = message;
    const [named, settings] =
      keys.length > 0
        ? await RedisBatch.together((batch) =>
            Promise.all([
              this.deps.personalities.resolveNames(message.authorId, keys, batch),
              guildId === null ? null : this.deps.guildSettings.fetch(guildId, batch),
            ]),
          )
        : [NO_PERSONALITIES, null];
    const aliased =
      settings === null ? NO_ALIASES : findAliasedNames(keys, named, settings.aliases, message.authorId);
    const byId =
      aliased.size > 0 ? await this.deps.personalities.fetchManyByIds([...aliased.values()]) : new Map();
    const { strippedText } = resolveMentions(
      message.content,
      candidates,
      applyAliases(named, aliased, byId, message.authorId),
    );
    const text = strippedText.slice(0, 4000);
    const kept = await this.deps.messageEvents.recordEdit(message.authorId, message.id, text);
    // A joined follow-up is recorded as admitted, so its edit is kept: its part takes it too, until the reply starts.
    if (kept && this.deps.coalescer?.enabled === true)
      await this.deps.coalescer.recordEdit(
        message.authorId,
        message.id,
        appendAttachmentLines(text, buildAttachmentNames(message.attachments ?? [])).slice(0, 4000),
      );
    return kept;
  }

  /** The names to look up for `candidates`, capped in total (`MAX_NAME_LOOKUPS`); a cut is logged. */
  private collectKeys(message: InboundMessage, candidates: readonly MentionCandidate[]): string[] {
    const { keys, ignored } = collectCandidateKeys(candidates);
    if (ignored > 0) {
      this.deps.logger.debug(
        { messageId: message.id, lookedUp: keys.length, ignored },
        'name look-ups capped; later names ignored',
      );
    }
    return keys;
  }

  /**
   * Starts every read routing needs before deciding, in `batch` (one round trip). The queue depth is read
   * with them when the message is likely to address someone (a mention, a reply, a DM); a message only an
   * activation could address reads it with the activated personality instead, and one addressing nobody
   * never. With `mentionsOnly` (a chain link) only the names are looked up, with the depth and the settings.
   */
  private lookUp(
    message: InboundMessage,
    candidateKeys: readonly string[],
    batch: RedisBatch,
    mentionsOnly: boolean,
    coalesces: boolean,
  ): Promise<Lookups> {
    const isDm = message.guildId === null;
    const likelyAddressed = candidateKeys.length > 0 || message.replyToMessageId !== null || isDm;
    return Promise.all([
      message.replyToMessageId && !mentionsOnly
        ? this.fetchReplyTarget(message.channelId, message.replyToMessageId, candidateKeys.length > 0, batch)
        : null,
      candidateKeys.length > 0
        ? this.deps.personalities.resolveNames(message.authorId, candidateKeys, batch)
        : NO_PERSONALITIES,
      isDm || mentionsOnly ? null : this.fetchActivation(message, batch),
      isDm && !mentionsOnly ? this.deps.dmSticky.fetch(message.authorId, batch) : null,
      likelyAddressed ? this.deps.admission.readQueueDepth(batch) : null,
      message.guildId === null ? null : this.deps.guildSettings.fetch(message.guildId, batch),
      coalesces && this.deps.coalescer?.enabled === true
        ? this.deps.coalescer.fetchOpenSlots(message.authorId, message.channelId, batch)
        : NO_SLOTS,
      this.fetchQuotaState(message, batch),
    ]).then(([replyTarget, named, activatedId, stickyId, queueDepth, settings, openSlots, quota]) => ({
      replyTarget,
      named,
      activatedId,
      stickyId,
      queueDepth,
      settings,
      openSlots,
      quota,
    }));
  }

  /**
   * Today's operator-paid tokens of the author and the server, and the providers the author has a key for, in
   * `batch`; null (nothing read) when no quota is set.
   */
  private async fetchQuotaState(message: InboundMessage, batch: RedisBatch): Promise<QuotaState | null> {
    const quotas = this.deps.quotas;
    if (quotas === undefined || !hasQuotas(quotas.limits)) return null;
    const [usage, keyProviders] = await Promise.all([
      quotas.usage.fetchQuotaUsage(message.authorId, message.guildId, this.options.now(), batch),
      quotas.apiKeys.fetchProviders(message.authorId, batch),
    ]);
    return { usage, keyProviders };
  }

  /**
   * The personality behind a replied-to message. Discord can deliver a reply to a webhook message before the
   * worker that posted it has its id back and indexed, so a miss is re-checked briefly — unless the message
   * mentions someone anyway (then the mention path decides without waiting). The first look is in `batch`,
   * re-checks on their own. A reply is in its message's channel, so `channelId` is the replied-to message's.
   */
  private async fetchReplyTarget(
    channelId: string,
    messageId: string,
    hasMentions: boolean,
    batch: RedisBatch,
  ) {
    const delays = hasMentions ? [] : this.options.replyIndexRetryDelaysMs;
    let found = await this.deps.messageIndex.fetchPersonalityForMessage(channelId, messageId, batch);
    for (const delayMs of delays) {
      if (found !== null) break;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      found = await this.deps.messageIndex.fetchPersonalityForMessage(channelId, messageId);
    }
    return found;
  }

  private async fetchActivation(message: InboundMessage, batch: RedisBatch): Promise<string | null> {
    if (message.parentChannelId === null)
      return this.deps.activations.fetchForChannel(message.channelId, batch);
    // A thread inherits its parent's activation unless it has its own.
    const found = await this.deps.activations.fetchForChannels(
      [message.channelId, message.parentChannelId],
      batch,
    );
    return found.get(message.channelId) ?? found.get(message.parentChannelId) ?? null;
  }
}
