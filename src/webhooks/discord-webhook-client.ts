import { type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import { DefaultUserAgent, DiscordAPIError, HTTPError, type REST } from '@discordjs/rest';
import type { Dispatcher, Pool } from 'undici';
import { z } from 'zod';
import {
  createKeepAlivePool,
  readAnswerHeader,
  readCappedBody,
  TransportError,
} from '../http/keep-alive-pool.js';
import { type HeaderSource, parseRateLimitHeaders, type RateLimitObservation } from './rate-limiter/index.js';
import type { WebhookCredentials } from './webhook-repository.js';

/** A webhook as `GET /channels/{id}/webhooks` lists it. */
export interface ChannelWebhook {
  readonly id: string;
  readonly name: string | null;
  /** Present for incoming webhooks. */
  readonly token: string | null;
  /** The application that created it; ours is the one we may reuse. */
  readonly applicationId: string | null;
}

/** The Discord side of a channel's webhook pool; the seam the cache service is tested through. */
export interface ChannelWebhookApi {
  listChannelWebhooks(channelId: string): Promise<ChannelWebhook[]>;
  createWebhook(channelId: string, name: string): Promise<WebhookCredentials>;
}

/** A message as the manager's callers need it (exactly-once checks, "Delete reply"). */
export interface RecentMessage {
  readonly id: string;
  readonly channelId: string;
  /** The webhook that posted it; `null` for users and the bot. */
  readonly webhookId: string | null;
  /** The user id, or for webhook messages the webhook id. */
  readonly authorId: string;
  /** The author's username, or the name a webhook message was posted under. */
  readonly authorName: string;
  /** A bot user wrote it (ours, for notices and DMs); false for webhook messages. */
  readonly authorIsBot: boolean;
  readonly content: string;
}

/** A request on a webhook's own token route (`/webhooks/{id}/{token}…`), sent without the bot token. */
export interface WebhookTokenRequest {
  readonly method: 'POST' | 'PATCH' | 'DELETE';
  readonly webhook: WebhookCredentials;
  /** What follows `/webhooks/{id}/{token}`: `''` to execute, `/messages/{id}` to edit or delete. */
  readonly path: '' | `/${string}`;
  readonly query: URLSearchParams;
  readonly body?: unknown;
}

/** Discord's answer to a {@link WebhookTokenRequest}; errors other than 429 are thrown. */
export type WebhookTokenResponse =
  | { readonly kind: 'ok'; readonly body: unknown; readonly rateLimit: RateLimitObservation }
  | { readonly kind: 'rate-limited'; readonly rateLimit: RateLimitObservation };

/** Nobody is pinged by anything we post: not @everyone/@here, not roles, not users. */
export const NO_MENTIONS: { readonly parse: readonly string[] } = { parse: [] };

const WebhookSchema = z.object({
  id: z.string(),
  name: z.string().nullable().optional(),
  token: z.string().optional(),
  application_id: z.string().nullable().optional(),
});

const MessageSchema = z.object({
  id: z.string(),
  channel_id: z.string(),
  content: z.string(),
  webhook_id: z.string().optional(),
  author: z.object({ id: z.string(), username: z.string(), bot: z.boolean().optional() }),
});

/** Largest answer read on a webhook-token route: a message object is a few KB. */
const MAX_WEBHOOK_RESPONSE_BYTES = 1024 * 1024;

const CreatedWebhookSchema = z.object({ id: z.string(), token: z.string() });
const CreatedMessageSchema = z.object({ id: z.string() });

/**
 * Discord HTTP for the webhook manager. Bot-token routes go through `@discordjs/rest` (its per-route queues,
 * 429 handling and retries suit these rare calls). Webhook-token routes do not: see
 * {@link DiscordWebhookClient.requestWithWebhookToken}.
 */
export class DiscordWebhookClient implements ChannelWebhookApi {
  readonly #rest: REST;
  /** Kept-alive connections to the API's origin, for webhook-token routes. */
  readonly #webhookPool: Pool;
  /** The deadline of a whole webhook-token exchange, connecting to the last byte of the answer (REST's), ms. */
  readonly #timeoutMs: number;
  /** The API's path and version, e.g. `/api/v10`. */
  readonly #apiPath: string;
  readonly #webhookHeaders: Readonly<Record<string, string>>;

  constructor(rest: REST) {
    this.#rest = rest;
    const { api, version, timeout, userAgentAppendix } = rest.options;
    const origin = new URL(api);
    if (origin.protocol !== 'http:' && origin.protocol !== 'https:') {
      throw new TypeError(`unsupported protocol ${origin.protocol} (http: or https: only)`);
    }
    // An execute that may have reached Discord is never sent again here (undici resends nothing that went out
    // on a connection, and neither do we): the delivery ledger decides.
    this.#webhookPool = createKeepAlivePool(origin.origin, timeout);
    this.#timeoutMs = timeout;
    this.#apiPath = `${origin.pathname.replace(/\/$/, '')}/v${version}`;
    this.#webhookHeaders = {
      'user-agent': `${DefaultUserAgent} ${userAgentAppendix}`.trim(),
      // Without the header any coding is acceptable (RFC 9110), and undici's request() does not decompress.
      'accept-encoding': 'identity',
    };
  }

  /** `GET /channels/{id}/webhooks` (needs Manage Webhooks). */
  async listChannelWebhooks(channelId: string): Promise<ChannelWebhook[]> {
    const raw = await this.#rest.get(`/channels/${channelId}/webhooks`);
    return z
      .array(WebhookSchema)
      .parse(raw)
      .map((webhook) => ({
        id: webhook.id,
        name: webhook.name ?? null,
        token: webhook.token ?? null,
        applicationId: webhook.application_id ?? null,
      }));
  }

  /** `POST /channels/{id}/webhooks` (needs Manage Webhooks; 30007 past 15). */
  async createWebhook(channelId: string, name: string): Promise<WebhookCredentials> {
    const raw = await this.#rest.post(`/channels/${channelId}/webhooks`, { body: { name } });
    return CreatedWebhookSchema.parse(raw);
  }

  /** Posts as the bot, pinging nobody; resolves to the message id. */
  async createMessage(channelId: string, content: string): Promise<string> {
    const raw = await this.#rest.post(`/channels/${channelId}/messages`, {
      body: { content, allowed_mentions: NO_MENTIONS },
    });
    return CreatedMessageSchema.parse(raw).id;
  }

  /** Edits one of the bot's own messages, pinging nobody. */
  async editMessage(channelId: string, messageId: string, content: string): Promise<void> {
    await this.#rest.patch(`/channels/${channelId}/messages/${messageId}`, {
      body: { content, allowed_mentions: NO_MENTIONS },
    });
  }

  /** Deletes a message as the bot (someone else's needs Manage Messages). */
  async deleteMessage(channelId: string, messageId: string): Promise<void> {
    await this.#rest.delete(`/channels/${channelId}/messages/${messageId}`);
  }

  /** `GET /channels/{id}/messages/{id}`. */
  async fetchMessage(channelId: string, messageId: string): Promise<RecentMessage> {
    return toRecentMessage(
      MessageSchema.parse(await this.#rest.get(`/channels/${channelId}/messages/${messageId}`)),
    );
  }

  /** `GET /channels/{id}/messages?limit=&after=`, in Discord's order. */
  async fetchMessages(channelId: string, limit: number, after: string | undefined): Promise<RecentMessage[]> {
    const query = new URLSearchParams({ limit: String(limit) });
    if (after !== undefined) query.set('after', after);
    const raw = await this.#rest.get(`/channels/${channelId}/messages`, { query });
    return z.array(MessageSchema).parse(raw).map(toRecentMessage);
  }

  /**
   * Sends a request on a webhook's token route. Deliberately not `rest.post(Routes.webhook(id, token), { auth:
   * false })`: that path runs every execute through the REST instance's per-process global limiter (50/s per
   * process, so N workers could send N×50 while Discord allows 50 per IP), sleeps and resends on 429 by itself
   * without telling us (our fleet-wide state would never learn of it, and a resend bypasses our limiter), resends
   * 5xx at once with no backoff, and returns only the body, hiding the `X-RateLimit-*` headers we share through
   * Redis. So this sends on a kept-alive undici pool to the REST instance's API origin, base, version and
   * timeout (leaner per post than `fetch`), with our rate limiting in front, and hands back headers and 429s.
   * Never follows redirects, never resends, reads at most 1 MiB of an answer (a larger one reads as no body).
   * Errors mirror REST's (`DiscordAPIError` for 4xx, `HTTPError` for 5xx) with the token cut out of their URL;
   * a request that got no whole answer (connection lost, REST's timeout from connecting to the answer's last
   * byte) rejects with `TransportError`, which carries no HTTP status: it may have reached Discord.
   */
  async requestWithWebhookToken(request: WebhookTokenRequest): Promise<WebhookTokenResponse> {
    const route = `/webhooks/${request.webhook.id}/${request.webhook.token}${request.path}`;
    const query = request.query.toString();
    const answer = await this.#send({
      method: request.method,
      path: `${this.#apiPath}${route}${query === '' ? '' : `?${query}`}`,
      headers:
        request.body === undefined
          ? this.#webhookHeaders
          : { ...this.#webhookHeaders, 'content-type': 'application/json' },
      body: request.body === undefined ? null : JSON.stringify(request.body),
    });
    const text = answer.body === null ? '' : answer.body.toString('utf8');
    const body = parseJson(text);
    const headers = toHeaderSource(answer.headers);
    if (answer.status === 429) {
      return { kind: 'rate-limited', rateLimit: parseRateLimitHeaders(headers, body) };
    }
    const rateLimit = parseRateLimitHeaders(headers);
    if (answer.status >= 200 && answer.status <= 299) return { kind: 'ok', body, rateLimit };
    // The URL in errors (and so in logs and traces) never carries the token.
    const { api, version } = this.#rest.options;
    const safeUrl = `${api}/v${version}/webhooks/${request.webhook.id}/:token${request.path}`;
    const statusText = STATUS_CODES[answer.status] ?? '';
    if (answer.status >= 500) {
      throw new HTTPError(answer.status, statusText, request.method, safeUrl, { body: undefined });
    }
    const error =
      typeof body === 'object' && body !== null && 'code' in body && 'message' in body
        ? (body as { code: number; message: string })
        : { code: 0, message: text === '' ? statusText : text.slice(0, 200) };
    throw new DiscordAPIError(error, error.code, answer.status, request.method, safeUrl, {
      body: undefined,
    });
  }

  /** Closes idle connections now and busy ones as their requests end. */
  async close(): Promise<void> {
    if (!this.#webhookPool.closed) await this.#webhookPool.close();
  }

  /**
   * One exchange on the pool, bounded as a whole by the deadline (no signal of the caller's: it is cleared once
   * the answer is in). Resolves with any status; rejects with {@link TransportError} only, whose message is
   * undici's (never the path, which holds the token, nor a header).
   */
  async #send(request: {
    readonly method: Dispatcher.HttpMethod;
    readonly path: string;
    readonly headers: Readonly<Record<string, string>>;
    readonly body: string | null;
  }): Promise<WebhookAnswer> {
    const deadline = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      deadline.abort();
    }, this.#timeoutMs);
    try {
      const response = await this.#webhookPool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body,
        signal: deadline.signal,
      });
      const body = await readCappedBody(response, MAX_WEBHOOK_RESPONSE_BYTES);
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      throw toTransportError(error, timedOut, this.#timeoutMs);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** An answer of any status; `body` null when it exceeded the size cap. */
interface WebhookAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer | null;
}

/** Why an exchange got no whole answer: our deadline (or undici's connect timeout, the same), or the connection. */
function toTransportError(error: unknown, timedOut: boolean, timeoutMs: number): TransportError {
  const code = (error as { code?: unknown } | null)?.code;
  if (timedOut || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new TransportError('timed-out', `no complete answer within ${timeoutMs} ms`, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  // undici reports a refused connection as an AggregateError of the addresses tried, with an empty message.
  return new TransportError('connection', message === '' && typeof code === 'string' ? code : message, {
    cause: error,
  });
}

/** An answer's header object as the rate-limit parser reads headers. */
function toHeaderSource(headers: IncomingHttpHeaders): HeaderSource {
  return { get: (name) => readAnswerHeader(headers, name.toLowerCase()) };
}

function toRecentMessage(message: z.infer<typeof MessageSchema>): RecentMessage {
  return {
    id: message.id,
    channelId: message.channel_id,
    webhookId: message.webhook_id ?? null,
    authorId: message.author.id,
    authorName: message.author.username,
    authorIsBot: message.webhook_id === undefined && message.author.bot === true,
    content: message.content,
  };
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
