import { DiscordErrorCode } from '../discord/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import {
  type DiscordWebhookClient,
  NO_MENTIONS,
  type WebhookTokenRequest,
} from './discord-webhook-client.js';
import { findDiscordCode } from './failure-policy.js';
import type { FleetRateLimiter } from './rate-limiter/index.js';
import type { WebhookCredentials } from './webhook-repository.js';

/**
 * The bucket of edits and deletes of a webhook's messages (`/webhooks/:id/:token/messages/:id`), in our bucket
 * keys: Discord limits them per webhook apart from executes (its own `X-RateLimit-Bucket` hash, which the limiter
 * learns the limit and window of from the headers like the execute bucket's, and logs as `discordBucket`).
 */
export const WEBHOOK_MESSAGE_BUCKET = 'message';

/** One of our webhook's messages, where its edits and deletes go. */
export interface WebhookMessageLocation {
  readonly webhook: WebhookCredentials;
  /** The channel that owns the webhook (the thread's parent for a thread). */
  readonly ownerChannelId: string;
  /** The thread the message is in (sent as `thread_id`), or null. */
  readonly threadId: string | null;
  readonly messageId: string;
}

/**
 * Edits and deletes of our webhooks' messages: each waits for a slot on the webhook's message bucket and the
 * fleet-wide limiter (edits count toward Discord's global limit, not toward the channel's message budget: they
 * post nothing new), records what the answer said about the bucket, and sends again after a 429 a bounded number
 * of times (each retry waits out the state the 429 recorded). Other failures are thrown as the client throws them.
 */
export class WebhookMessageSender {
  constructor(
    private readonly client: DiscordWebhookClient,
    private readonly limiter: FleetRateLimiter,
    private readonly maxRateLimitRetries: number,
  ) {}

  /** Replaces the message's content (`PATCH`), pinging nobody. */
  async edit(location: WebhookMessageLocation, content: string): Promise<void> {
    await this.send(location, 'PATCH', { content, allowed_mentions: NO_MENTIONS });
  }

  /** Deletes the message (`DELETE`); one already gone (10008 Unknown Message) counts as deleted. */
  async delete(location: WebhookMessageLocation): Promise<void> {
    try {
      await this.send(location, 'DELETE', undefined);
    } catch (error) {
      if (findDiscordCode(error) !== DiscordErrorCode.UnknownMessage) throw error;
    }
  }

  private async send(
    location: WebhookMessageLocation,
    method: 'PATCH' | 'DELETE',
    body: object | undefined,
  ): Promise<void> {
    const { ownerChannelId: channelId, threadId, webhook } = location;
    const request: WebhookTokenRequest = {
      method,
      webhook,
      path: `/messages/${location.messageId}`,
      query: new URLSearchParams(threadId === null ? {} : { thread_id: threadId }),
      ...(body === undefined ? {} : { body }),
    };
    for (let attempt = 0; ; attempt += 1) {
      const slot = await this.limiter.waitForSendSlot({
        channelId,
        threadId,
        bucket: WEBHOOK_MESSAGE_BUCKET,
        candidateIds: [webhook.id],
        mayGrow: false,
      });
      const response = await this.client.requestWithWebhookToken(request);
      await this.limiter.recordResponse({
        channelId,
        threadId,
        bucket: WEBHOOK_MESSAGE_BUCKET,
        slot,
        rateLimit: response.rateLimit,
        rateLimited: response.kind !== 'ok',
      });
      if (response.kind === 'ok') return;
      if (attempt >= this.maxRateLimitRetries) {
        throw new ChorusError(
          ChorusErrorCode.RateLimited,
          'Discord kept rate limiting a webhook message edit',
          {
            channelId,
          },
        );
      }
    }
  }
}
