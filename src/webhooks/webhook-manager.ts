import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { CredentialCipher } from '../crypto/index.js';
import { DiscordErrorCode, DiscordLimits } from '../discord/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { Logger } from '../log/index.js';
import {
  DiscordWebhookClient,
  NO_MENTIONS,
  type RecentMessage,
  type WebhookTokenResponse,
} from './discord-webhook-client.js';
import {
  classifyDiscordFailure,
  type DiscordFailure,
  decideExecuteFailure,
  type ExecuteAttempts,
  findDiscordCode,
  findUnavailableReason,
} from './failure-policy.js';
import { assertContentFits } from './message-splitter.js';
import { buildUnavailableNotice } from './messages.js';
import { buildDmPrefixedContent, sanitizePersonaUsername } from './persona-username.js';
import {
  ChannelBusyError,
  type ChannelWaiter,
  DefaultFleetRateLimiterOptions,
  FleetRateLimiter,
  type FleetRateLimiterStats,
  type GrantedSendSlot,
} from './rate-limiter/index.js';
import type { PersonaMessage, PostedMessage, PostTarget, ReplyPoster } from './reply-poster.js';
import { WebhookCacheService, type WebhookCacheStats } from './webhook-cache-service.js';
import {
  DefaultWebhookManagerOptions,
  type WebhookManagerOptionalOptions,
  type WebhookManagerOptions,
  type WebhookManagerRequiredOptions,
} from './webhook-manager-options.js';
import { type WebhookMessageLocation, WebhookMessageSender } from './webhook-message-sender.js';
import { type WebhookCredentials, WebhookRepository } from './webhook-repository.js';
import { WebhookUnavailableError, type WebhookUnavailableReason } from './webhook-unavailable-error.js';

/** What {@link WebhookManager.stats} reports: the cache's and the limiter's counters plus the sender's. */
export interface WebhookManagerStats extends WebhookCacheStats, FleetRateLimiterStats {
  /** Messages Discord accepted (webhook and bot). */
  readonly posted: number;
  readonly serverRetries: number;
  readonly noticesPosted: number;
}

/** Bounds of {@link WebhookManager.fetchRecentMessages}. */
export interface RecentMessagesQuery {
  /** 1–100 (Discord's page size). */
  readonly limit: number;
  /** Only messages after this message id. */
  readonly after?: string;
}

/**
 * The bucket of webhook executes, in our bucket keys. Discord's own `X-RateLimit-Bucket` hash is known only
 * after a first response; keying by it split one limit over two keys while the fleet learned it (four workers
 * bursting into fresh channels drew 429s in the sandbox). Every execute of a webhook (with or without
 * `thread_id`/`wait`) shares one bucket, so the route names it; Discord's hash is logged as `discordBucket`.
 */
const EXECUTE_BUCKET = 'execute';

/** The fleet rate limiter's keyspace for webhook requests (Discord counts them per IP, apart from the bot's). */
const WEBHOOK_LIMITER_KEYSPACE = DefaultFleetRateLimiterOptions.keyspace;

const ExecutedMessageSchema = z.object({ id: z.string() });

interface ReservedSlot {
  readonly webhook: WebhookCredentials;
  readonly poolIds: readonly string[];
  /** The limiter's slot, to record the response against. */
  readonly granted: GrantedSendSlot;
}

type PostedLocation =
  | ({ readonly kind: 'our-webhook' } & WebhookMessageLocation)
  | { readonly kind: 'other-webhook' }
  | { readonly kind: 'bot-or-user' };

/**
 * Posts as personalities through pooled channel webhooks (after PluralKit's `WebhookExecutorService`), shared by
 * every worker through Redis: the pools, a fleet-wide limiter every execute passes, and each webhook's bucket.
 * Threads and forum posts go through their parent's webhook with `thread_id`; DMs, which have no webhooks,
 * get a bot message with a `**Name:**` prefix. Nothing it posts pings anyone.
 */
export class WebhookManager implements ReplyPoster {
  readonly options: Readonly<WebhookManagerOptions>;
  readonly #log: Logger;
  readonly #client: DiscordWebhookClient;
  readonly #webhooks: WebhookRepository;
  readonly #limiter: FleetRateLimiter;
  readonly #cache: WebhookCacheService;
  readonly #messages: WebhookMessageSender;
  readonly #stats = { posted: 0, serverRetries: 0, noticesPosted: 0 };

  constructor(options: WebhookManagerRequiredOptions & Partial<WebhookManagerOptionalOptions>) {
    this.options = { ...DefaultWebhookManagerOptions, ...options };
    const { redis, prefix, now } = this.options;
    this.#log = this.options.logger.child({ module: 'webhooks' });
    this.#client = new DiscordWebhookClient(this.options.rest);
    this.#webhooks = new WebhookRepository(redis, {
      prefix,
      cipher: new CredentialCipher(this.options),
      logger: this.#log,
    });
    this.#limiter = new FleetRateLimiter({
      redis,
      logger: this.#log,
      prefix,
      keyspace: WEBHOOK_LIMITER_KEYSPACE,
      globalRatePerSecond: this.options.globalRatePerSecond,
      marginMs: this.options.rateLimitMarginMs,
      bucketDefaults: this.options.bucketDefaults,
      idleTtlMs: this.options.bucketIdleTtlMs,
      channelBudget: this.options.channelBudget,
      now,
    });
    this.#cache = new WebhookCacheService({
      api: this.#client,
      repository: this.#webhooks,
      applicationId: this.options.applicationId,
      webhookName: this.options.webhookName,
      poolLimit: this.options.webhooksPerChannel,
      lockTtlMs: this.options.lockTtlMs,
      memoryTtlMs: this.options.memoryTtlMs,
      maxCachedPools: this.options.maxCachedPools,
      unavailableTtlMs: this.options.unavailableTtlMs,
      growthBlockedTtlMs: this.options.growthBlockedTtlMs,
      now,
      logger: this.#log,
    });
    this.#messages = new WebhookMessageSender(this.#client, this.#limiter, this.options.maxRateLimitRetries);
  }

  /** A copy of the counters, for metrics. */
  stats(): WebhookManagerStats {
    return { ...this.#cache.stats(), ...this.#limiter.stats(), ...this.#stats };
  }

  /**
   * {@inheritDoc ReplyPoster.postAsPersona}
   * `message.content` must already fit Discord's limit (one chunk of the splitter); longer is a bug and throws.
   * Throws `WebhookUnavailableError` (unrecoverable) when the channel cannot take webhook posts; the channel
   * has then been told once, where it can fix it. With a `waiter`, throws {@link ChannelBusyError} when the
   * channel's budget or a pause would hold the post back for long (nothing of it was sent unless the error says
   * `maybeSent`); the waiter keeps its turn for when it comes back.
   */
  async postAsPersona(
    target: PostTarget,
    message: PersonaMessage,
    waiter?: ChannelWaiter,
  ): Promise<PostedMessage> {
    if (target.guildId === null) {
      return this.postAsBot(target.channelId, buildDmPrefixedContent(message.username, message.content));
    }
    assertContentFits(message.content);
    const channelId = target.parentChannelId ?? target.channelId;
    const threadId = target.parentChannelId === null ? null : target.channelId;
    const body = {
      content: message.content,
      username: sanitizePersonaUsername(message.username),
      ...(message.avatarUrl === null ? {} : { avatar_url: message.avatarUrl }),
      allowed_mentions: NO_MENTIONS,
    };
    try {
      return await this.#execute(channelId, threadId, body, waiter);
    } catch (error) {
      if (error instanceof WebhookUnavailableError)
        await this.#noticeOnce(target.channelId, channelId, error.reason);
      throw error;
    }
  }

  /** {@inheritDoc ReplyPoster.postAsBot} Throws `WebhookUnavailableError` when Discord refuses it for good. */
  async postAsBot(channelId: string, content: string): Promise<PostedMessage> {
    assertContentFits(content);
    try {
      const messageId = await this.#client.createMessage(channelId, content);
      this.#stats.posted += 1;
      return { messageId, webhookId: null };
    } catch (error) {
      const reason = findUnavailableReason(classifyDiscordFailure(error));
      if (reason === null) throw error;
      throw new WebhookUnavailableError(reason, 'Discord refused a bot message', {
        channelId,
        discordCode: findDiscordCode(error),
        cause: error,
      });
    }
  }

  /**
   * Ids of our webhooks in `channelId`: the channel that owns them, i.e. the parent for a thread or forum post
   * (`target.parentChannelId ?? target.channelId`). For recognising our own messages; creates nothing.
   */
  fetchOwnWebhookIds(channelId: string): Promise<string[]> {
    return this.#cache.fetchOwnWebhookIds(channelId);
  }

  /**
   * Forgets the webhook pools of channels that no longer exist for us (Discord sent CHANNEL_DELETE or
   * THREAD_DELETE, or the bot left their guild): their tokens and markers in Redis and this process's memory of
   * them. Deletes nothing on Discord. Ids without a pool (a thread posts through its parent's) are no-ops.
   */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    await this.#cache.forgetChannels(channelIds);
    this.#log.info({ count: channelIds.length }, 'webhook pools of gone channels forgotten');
  }

  /**
   * Recent messages of a channel or thread, in Discord's order (newest first), for the worker's exactly-once
   * check: after a retry that recorded intent but no result, it looks here for our webhook's message.
   */
  fetchRecentMessages(channelId: string, query: RecentMessagesQuery): Promise<RecentMessage[]> {
    if (!Number.isInteger(query.limit) || query.limit < 1 || query.limit > DiscordLimits.messagesPerFetch) {
      throw new ChorusError(
        ChorusErrorCode.InvalidInput,
        `limit must be an integer from 1 to ${DiscordLimits.messagesPerFetch}`,
        { channelId },
      );
    }
    return this.#client.fetchMessages(channelId, query.limit, query.after);
  }

  /**
   * Replaces the content of a message we posted (`channelId` = where it appears, thread included): through the
   * webhook that posted it, or as the bot for the bot's own messages. Pings nobody.
   */
  async editPosted(channelId: string, messageId: string, content: string): Promise<void> {
    assertContentFits(content);
    const location = await this.#locatePosted(channelId, messageId);
    if (location.kind === 'other-webhook') {
      throw new ChorusError(
        ChorusErrorCode.Forbidden,
        'The message was posted by a webhook that is not ours',
        {
          channelId,
        },
      );
    }
    if (location.kind === 'bot-or-user') {
      await this.#client.editMessage(channelId, messageId, content);
      return;
    }
    await this.#messages.edit(location, content);
  }

  /**
   * Deletes a message we posted ("Delete reply"): through the webhook that posted it when it is ours, else as
   * the bot (someone else's message needs Manage Messages). A message already gone counts as deleted.
   */
  async deletePosted(channelId: string, messageId: string): Promise<void> {
    try {
      const location = await this.#locatePosted(channelId, messageId);
      if (location.kind === 'our-webhook') await this.#messages.delete(location);
      else await this.#client.deleteMessage(channelId, messageId);
    } catch (error) {
      if (findDiscordCode(error) === DiscordErrorCode.UnknownMessage) return;
      throw error;
    }
  }

  /**
   * Replaces the content of a message {@link WebhookManager.postAsPersona} posted, through the webhook that posted
   * it (known from `posted`, so unlike {@link WebhookManager.editPosted} nothing is looked up on Discord): a
   * streamed reply's edits. Waits for the webhook's message bucket and the fleet-wide limiter; it takes no slot of
   * the channel's message budget. Pings nobody. Throws Discord's error when the edit is refused (10008 when the
   * message was deleted; 10015 when its webhook was).
   */
  async editPersonaMessage(target: PostTarget, posted: PostedMessage, content: string): Promise<void> {
    assertContentFits(content);
    await this.#messages.edit(await this.#locatePersonaMessage(target, posted), content);
  }

  /**
   * Deletes a message {@link WebhookManager.postAsPersona} posted, through the webhook that posted it (a streamed
   * reply withdrawn mid-way), on the same limits as {@link WebhookManager.editPersonaMessage}. A message already
   * gone counts as deleted; one whose webhook is gone is deleted as {@link WebhookManager.deletePosted} does.
   */
  async deletePersonaMessage(target: PostTarget, posted: PostedMessage): Promise<void> {
    let location: WebhookMessageLocation;
    try {
      location = await this.#locatePersonaMessage(target, posted);
    } catch (error) {
      if (!(error instanceof ChorusError && error.code === ChorusErrorCode.NotFound)) throw error;
      await this.deletePosted(target.channelId, posted.messageId);
      return;
    }
    try {
      await this.#messages.delete(location);
    } catch (error) {
      if (findDiscordCode(error) !== DiscordErrorCode.UnknownWebhook) throw error;
      await this.deletePosted(target.channelId, posted.messageId);
    }
  }

  /** Where a persona message's edits go: the pool's webhook that posted it (memory first, then Redis). */
  async #locatePersonaMessage(target: PostTarget, posted: PostedMessage): Promise<WebhookMessageLocation> {
    const ownerChannelId = target.parentChannelId ?? target.channelId;
    const threadId = target.parentChannelId === null ? null : target.channelId;
    const { webhookId, messageId } = posted;
    const pool = webhookId === null ? [] : await this.#cache.fetchPool(ownerChannelId).catch(() => []);
    const webhook =
      pool.find((candidate) => candidate.id === webhookId) ??
      (webhookId === null ? null : await this.#webhooks.fetchWebhook(ownerChannelId, webhookId));
    if (webhook === null) {
      throw new ChorusError(ChorusErrorCode.NotFound, 'The webhook that posted the message is gone', {
        channelId: target.channelId,
        discordCode: DiscordErrorCode.UnknownWebhook,
      });
    }
    return { webhook, ownerChannelId, threadId, messageId };
  }

  async #execute(
    channelId: string,
    threadId: string | null,
    body: object,
    waiter: ChannelWaiter | undefined,
  ): Promise<PostedMessage> {
    const query = buildThreadQuery(threadId);
    // Learn each message's id: without `wait` Discord answers 204 with no body.
    query.set('wait', 'true');
    let attempts: ExecuteAttempts = { recreatedWebhook: false, serverRetries: 0, rateLimitRetries: 0 };
    for (;;) {
      const slot = await this.#reserveSlot(channelId, threadId, waiter).catch((error: unknown) => {
        // A 5xx answer may still have posted: then the caller must look for the message before posting again.
        if (error instanceof ChannelBusyError && attempts.serverRetries > 0)
          throw new ChannelBusyError({ ...error, maybeSent: true });
        throw error;
      });
      let failure: DiscordFailure | null;
      let thrown: unknown = null;
      try {
        const response = await this.#client.requestWithWebhookToken({
          method: 'POST',
          webhook: slot.webhook,
          path: '',
          query,
          body,
        });
        await this.#recordResponse(channelId, threadId, EXECUTE_BUCKET, slot, response);
        if (response.kind === 'ok') {
          this.#stats.posted += 1;
          return { messageId: ExecutedMessageSchema.parse(response.body).id, webhookId: slot.webhook.id };
        }
        failure = { kind: 'rate-limited', rateLimit: response.rateLimit };
      } catch (error) {
        thrown = error;
        failure = classifyDiscordFailure(error);
      }
      const decision = decideExecuteFailure(failure, attempts, this.options);
      const context = {
        channelId,
        threadId,
        webhookId: slot.webhook.id,
        discordCode: findDiscordCode(thrown),
      };
      switch (decision.action) {
        case 'recreate-webhook':
          await this.#cache.invalidate(channelId, slot.webhook.id);
          attempts = { ...attempts, recreatedWebhook: true };
          break;
        case 'retry-rate-limited':
          attempts = { ...attempts, rateLimitRetries: attempts.rateLimitRetries + 1 };
          break;
        case 'retry-server-error':
          this.#stats.serverRetries += 1;
          this.#log.warn({ ...context, retryAfterMs: decision.delayMs }, 'discord server error; retrying');
          await sleep(decision.delayMs);
          attempts = { ...attempts, serverRetries: attempts.serverRetries + 1 };
          break;
        case 'unavailable':
          this.#log.warn({ ...context, reason: decision.reason }, 'webhook post refused');
          throw new WebhookUnavailableError(decision.reason, 'Discord refused the webhook post', {
            channelId,
            discordCode: findDiscordCode(thrown),
            cause: thrown,
          });
        case 'give-up':
          throw this.#giveUp(failure, thrown, channelId);
      }
    }
  }

  /**
   * Reserves a send on the pool's webhook that can send soonest (growing a pool whose every webhook is full
   * first), then waits for it.
   */
  async #reserveSlot(
    channelId: string,
    threadId: string | null,
    waiter: ChannelWaiter | undefined,
  ): Promise<ReservedSlot> {
    let pool = await this.#cache.fetchPool(channelId);
    let mayGrow = pool.length < this.options.webhooksPerChannel;
    for (;;) {
      const poolIds = pool.map((candidate) => candidate.id);
      const granted = await this.#limiter.waitForSendSlot({
        channelId,
        threadId,
        bucket: EXECUTE_BUCKET,
        candidateIds: poolIds,
        mayGrow,
        countsInChannel: true,
        ...(waiter === undefined ? {} : { waiter }),
      });
      if (granted !== null)
        return { webhook: pool.find((candidate) => candidate.id === granted.id)!, poolIds, granted };
      const grown = await this.#cache.growPool(channelId);
      if (grown.length > pool.length) pool = grown;
      mayGrow = false;
    }
  }

  /** Shares what a response said about rate limits through the fleet rate limiter (never throws). */
  #recordResponse(
    channelId: string,
    threadId: string | null,
    bucket: string,
    slot: ReservedSlot,
    response: WebhookTokenResponse,
  ): Promise<void> {
    return this.#limiter.recordResponse({
      channelId,
      threadId,
      bucket,
      slot: slot.granted,
      rateLimit: response.rateLimit,
      rateLimited: response.kind !== 'ok',
    });
  }

  async #locatePosted(channelId: string, messageId: string): Promise<PostedLocation> {
    const message = await this.#client.fetchMessage(channelId, messageId);
    if (message.webhookId === null) return { kind: 'bot-or-user' };
    const ownerChannelId = await this.#webhooks.fetchWebhookChannel(message.webhookId);
    if (ownerChannelId === null) return { kind: 'other-webhook' };
    const webhook = await this.#webhooks.fetchWebhook(ownerChannelId, message.webhookId);
    if (webhook === null) return { kind: 'other-webhook' };
    return {
      kind: 'our-webhook',
      webhook,
      ownerChannelId,
      threadId: ownerChannelId === channelId ? null : channelId,
      messageId,
    };
  }

  async #noticeOnce(
    postChannelId: string,
    ownerChannelId: string,
    reason: WebhookUnavailableReason,
  ): Promise<void> {
    const notice = buildUnavailableNotice(reason);
    if (notice === null) return;
    try {
      if (!(await this.#webhooks.claimNotice(ownerChannelId, reason, this.options.noticeTtlMs))) return;
      await this.#client.createMessage(postChannelId, notice);
      this.#stats.noticesPosted += 1;
      this.#log.info({ channelId: postChannelId, reason }, 'channel told why personalities cannot post');
    } catch (error) {
      this.#log.warn(
        { channelId: postChannelId, discordCode: findDiscordCode(error), err: error },
        'notice could not be posted',
      );
    }
  }

  /** The error a spent (or unknowable) execute ends with; the job's own retry takes it from there. */
  #giveUp(failure: DiscordFailure | null, thrown: unknown, channelId: string): unknown {
    if (failure === null) return thrown;
    if (failure.kind === 'rate-limited') {
      return new ChorusError(ChorusErrorCode.RateLimited, 'Discord kept rate limiting the webhook post', {
        channelId,
      });
    }
    return new ChorusError(ChorusErrorCode.DiscordRejected, 'Discord failed the webhook post', {
      channelId,
      discordCode: findDiscordCode(thrown),
      cause: thrown,
    });
  }
}

function buildThreadQuery(threadId: string | null): URLSearchParams {
  return new URLSearchParams(threadId === null ? {} : { thread_id: threadId });
}
