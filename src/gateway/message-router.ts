import { appendAttachmentLines, buildAttachmentNames } from '../context/index.js';
import {
  createPolicyLookup,
  type GuildSettings,
  type GuildSettingsRepository,
  type PolicyNoticeRepository,
} from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import {
  applyJoinOutcomes,
  type CoalesceSlot,
  decideCoalescing,
  type ReplyAdmission,
  type ReplyCoalescer,
} from '../queue/index.js';
import { RedisBatch } from '../redis/index.js';
import type {
  ActivationRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  Personality,
  PersonalityRepository,
} from '../state/index.js';
import { AddresseeAdmission } from './addressee-admission.js';
import { applyAliases, decideAddressees, findAliasedNames } from './addressing.js';
import type { ChainLink } from './chain-link.js';
import type { DueUserIndex } from './due-user-index.js';
import type { InboundMessage } from './inbound-message.js';
import { resolveMentions } from './mention-parser.js';
import { MessageChanges } from './message-changes.js';
import { readMentions } from './message-mentions.js';
import { claimPolicyNotice } from './policy-notice.js';
import { fetchQuotaState, type QuotaChecks, type QuotaState } from './quota-check.js';
import type { AddressedPersonality, RoutingOutcome } from './routing-outcome.js';

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
  private readonly admission: AddresseeAdmission;
  private readonly changes: MessageChanges;

  constructor(
    private readonly deps: MessageRouterDependencies,
    options: Omit<MessageRouterOptions, 'replyIndexRetryDelaysMs'> & Partial<MessageRouterOptions>,
  ) {
    this.options = { replyIndexRetryDelaysMs: [150, 600], ...options };
    this.admission = new AddresseeAdmission(deps, this.options);
    this.changes = new MessageChanges(deps, (messageId) => this.routing.get(messageId));
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
    const { candidates, keys: candidateKeys } = readMentions(message, this.deps.logger);
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
    const policyNotice = await claimPolicyNotice(this.deps, {
      message,
      addressedIds: [replyTarget?.personalityId, ...mentioned.map(({ id }) => id)],
      byId,
      policy,
      notify: link === null,
    });
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
    const addressed: AddressedPersonality[] = joined.map(({ personalityId, trigger, jobId, outcome }) => ({
      personalityId,
      trigger,
      admission: { outcome, jobId },
    }));
    if (joined.length > 0)
      this.deps.logger.debug({ messageId: message.id, joined }, 'follow-up message joined replies');
    const admitted = await this.admission.admitAll({
      message,
      link,
      strippedText,
      addressees: admit,
      byId,
      quota,
      depth,
      settings,
      authorIndex,
    });
    return { addressed: [...addressed, ...admitted.addressed], notices: admitted.notices, policyNotice };
  }

  /** @see MessageChanges.cancel */
  cancel(channelId: string, messageId: string): Promise<void> {
    return this.changes.cancel(channelId, messageId);
  }

  /** @see MessageChanges.recordEdit */
  recordEdit(message: InboundMessage): Promise<boolean> {
    return this.changes.recordEdit(message);
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
      fetchQuotaState(this.deps.quotas, message, this.options, batch),
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
