import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { DiscordErrors, DiscordHttpError } from './discord-errors.js';
import { parseRequestBody } from './parse-request-body.js';
import type { RateLimitEngine } from './rate-limits.js';
import type { RestResponse, RestRouter } from './rest-router.js';
import type { RouteFaults } from './route-faults.js';

/** One answered REST request. */
export interface RequestLogEntry {
  readonly method: string;
  /** Path after `/api/v10`, webhook and interaction tokens replaced by `:token`, query kept. */
  readonly path: string;
  /** `METHOD /route/:id` template, or null for unknown routes. */
  readonly route: string | null;
  readonly status: number;
  /** Discord's JSON error code when the answer was an error body. */
  readonly code: number | null;
  /** Unix ms when the request arrived. */
  readonly at: number;
  readonly durationMs: number;
}

/** What the REST server asks of the rest of the sandbox. */
export interface RestServerHooks {
  isBotToken(token: string): boolean;
  /** Bytes of a stored attachment, for its CDN-style URL. */
  attachment(
    channelId: string,
    attachmentId: string,
  ): { data: Buffer; contentType: string | null } | undefined;
  /** Called once per answered request. */
  onRequest(entry: RequestLogEntry): void;
  /** Hands WebSocket upgrades on the gateway path to the gateway. */
  onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** Discord's generic bodies for statuses a fault may inject. */
function genericBody(status: number): { message: string; code: number } {
  const text: Record<number, string> = {
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    405: 'Method Not Allowed',
    429: 'Too Many Requests',
    500: 'Internal Server Error',
    502: 'Bad Gateway',
    503: 'Service Unavailable',
    504: 'Gateway Timeout',
  };
  return { message: `${status}: ${text[status] ?? 'Error'}`, code: 0 };
}

/** Tokens must never reach logs: webhook and interaction URLs carry them in the path. */
function redactPath(path: string): string {
  return path
    .replace(/^(\/webhooks\/\d+\/)[^/?]+/, '$1:token')
    .replace(/^(\/interactions\/\d+\/)[^/?]+/, '$1:token');
}

/**
 * The HTTP side of the sandbox: `/api[/vN]/…` REST with Discord's auth, rate-limit headers, 429s and error
 * bodies; `/attachments/…` serves uploaded files; `/gateway` upgrades to the WebSocket gateway.
 */
export class RestServer {
  readonly #server: Server;
  readonly #now: () => number;

  constructor(
    private readonly router: RestRouter,
    private readonly rateLimits: RateLimitEngine,
    private readonly faults: RouteFaults,
    private readonly hooks: RestServerHooks,
    now: () => number,
  ) {
    this.#now = now;
    this.#server = createServer((request, response) => {
      void this.#handle(request, response);
    });
    this.#server.on('upgrade', (request, socket, head: Buffer) => {
      const path = new URL(request.url ?? '/', 'http://sandbox').pathname;
      if (path === '/gateway' || path === '/gateway/') this.hooks.onUpgrade(request, socket, head);
      else socket.destroy();
    });
  }

  /** Starts listening; resolves to the bound port. */
  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    return (this.#server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every open connection (hung requests included). */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.#now();
    const started = performance.now();
    const method = (request.method ?? 'GET').toUpperCase();
    const url = new URL(request.url ?? '/', 'http://sandbox');
    const apiMatch = /^\/api(?:\/v(\d+))?(\/.*)$/.exec(url.pathname);
    const path = apiMatch?.[2] ?? url.pathname;
    const logged = `${redactPath(path)}${url.search}`;
    let routeName: string | null = null;
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const code =
        status >= 400 &&
        typeof body === 'object' &&
        body !== null &&
        typeof (body as { code?: unknown }).code === 'number'
          ? ((body as { code: number }).code ?? null)
          : null;
      if (!response.headersSent && !response.destroyed) {
        const payload = status === 204 || body === undefined ? undefined : JSON.stringify(body);
        response.writeHead(status, {
          ...headers,
          ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }),
        });
        response.end(payload);
      }
      this.hooks.onRequest({
        method,
        path: logged,
        route: routeName,
        status,
        code,
        at,
        durationMs: performance.now() - started,
      });
    };

    try {
      const raw = await readBody(request);
      if (!apiMatch) {
        const file = this.#attachment(method, url.pathname);
        if (file) {
          response.writeHead(200, { 'Content-Type': file.contentType ?? 'application/octet-stream' });
          response.end(file.data);
          return;
        }
        throw DiscordErrors.notFound();
      }

      const fault = this.faults.take(method, path);
      if (fault) {
        if (fault.hang) return; // The socket stays open until the client gives up or the sandbox closes.
        if (fault.delayMs) await sleep(fault.delayMs);
        if (fault.status !== undefined) {
          finish(fault.status, fault.body ?? genericBody(fault.status));
          return;
        }
      }

      const match = this.router.match(method, path);
      if (match === null) throw DiscordErrors.notFound();
      if (match === 'method-not-allowed') throw DiscordErrors.methodNotAllowed();
      routeName = match.name;

      const authorization = request.headers.authorization;
      const botToken = /^Bot\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
      const authenticated = botToken !== undefined && this.hooks.isBotToken(botToken);
      if (match.route.auth === 'bot' && !authenticated) throw DiscordErrors.unauthorized();

      const decision = this.rateLimits.take({
        route: match.name,
        majorId: match.majorId,
        authenticated,
        ...(match.route.channelFor ? { channelId: match.route.channelFor(match.params) } : {}),
      });
      if (!decision.allowed) {
        finish(429, decision.body, decision.headers);
        return;
      }

      let result: RestResponse;
      try {
        const body = await parseRequestBody(request.headers['content-type'], raw);
        result = await match.route.handler({
          method,
          path,
          params: match.params,
          query: url.searchParams,
          body: body.json,
          files: body.files,
          authenticated,
        });
      } catch (error) {
        if (error instanceof DiscordHttpError) {
          finish(error.status, error.body, { ...decision.headers, ...error.headers });
          return;
        }
        throw error;
      }
      finish(result.status, result.body, decision.headers);
    } catch (error) {
      if (error instanceof DiscordHttpError) {
        finish(error.status, error.body, error.headers);
        return;
      }
      finish(500, { message: '500: Internal Server Error', code: 0 });
      process.emitWarning(`sandbox: ${method} ${logged} failed: ${String((error as Error)?.stack ?? error)}`);
    }
  }

  #attachment(method: string, pathname: string): { data: Buffer; contentType: string | null } | undefined {
    const match = /^\/attachments\/(\d+)\/(\d+)\/[^/]+$/.exec(pathname);
    if (method !== 'GET' || !match) return undefined;
    return this.hooks.attachment(match[1] ?? '', match[2] ?? '');
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
