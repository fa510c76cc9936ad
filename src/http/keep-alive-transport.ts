import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

/** Settings of one {@link KeepAliveTransport}. */
export interface KeepAliveTransportSettings {
  /** The server every request goes to: its protocol (`http:` or `https:`), host and port; the path is ignored. */
  readonly origin: URL;
  /** Backstop for a whole exchange, connecting to the last byte of the answer, ms. */
  readonly timeoutMs: number;
  /** Largest answer body read; a larger one is discarded and its connection closed. */
  readonly maxResponseBytes: number;
  /**
   * Send a request again, once, on a new connection when the kept-alive one it went out on turns out closed
   * before any answer. Far the likeliest cause is the server closing the connection as idle before it read the
   * request, but not the only one: only for requests that may reach the server twice.
   */
  readonly resendOnStaleConnection: boolean;
}

/** One request: everything but the server. */
export interface TransportRequest {
  readonly method: string;
  /** Path and query, e.g. `/v1/chat/completions`. */
  readonly path: string;
  /** Its headers (content-length is added from the body). */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | null;
}

/** An HTTP answer of any status. */
export interface TransportAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The whole body; null when it exceeded `maxResponseBytes`. */
  readonly body: Buffer | null;
}

/**
 * A header of an answer (any case), or null. Node joins a repeated header into one value, all but
 * `set-cookie`, which comes as a list: of that, the first.
 */
export function readAnswerHeader(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name.toLowerCase()];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** Why no answer came: the caller's signal, the backstop timeout, or the connection. */
export type TransportFailureReason = 'aborted' | 'timed-out' | 'connection';

/** An exchange that ended without an answer. Its message never holds request headers. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly reason: TransportFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * Idle connections kept for reuse. Calls through one transport are bounded by the worker's job concurrency,
 * so `maxSockets` stays unlimited: a cap would only queue calls inside the agent while their timeout runs.
 */
const MAX_FREE_SOCKETS = 256;
/**
 * An idle connection is closed after this long. Below the shortest idle timeout common among
 * OpenAI-compatible servers (uvicorn, under vLLM and others: 5 s), so we rarely reuse one the server is
 * closing; servers that announce `Keep-Alive: timeout=N` shorten it further (Node's agent reads the hint).
 * Node arms it on busy connections too, where it only emits an event nobody listens to.
 */
const FREE_SOCKET_TIMEOUT_MS = 4_000;
/** How a kept-alive connection the server closed just as we picked it fails: EPIPE, or "socket hang up". */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);

/**
 * Sends requests to one server over kept-alive connections (`node:http` or `node:https`), most recently used
 * connection first (`lifo`), so a quiet period leaves the cold ones to time out. Idle connections do not hold
 * the process open (the agent unrefs them). Never follows redirects. An exchange ends when the whole answer is
 * read, the caller's signal aborts it, or the backstop timeout fires; the latter two destroy the connection.
 * Leaner than `fetch` (no Request, Response, Headers or web streams per call), which is why the AI call and
 * the webhook posts, one each per reply, use it.
 */
export class KeepAliveTransport {
  readonly #settings: KeepAliveTransportSettings;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #server: http.RequestOptions;
  #inFlight = 0;
  #closed = false;

  constructor(settings: KeepAliveTransportSettings) {
    const { origin } = settings;
    const secure = origin.protocol === 'https:';
    if (!secure && origin.protocol !== 'http:') {
      throw new TypeError(`unsupported protocol ${origin.protocol} (http: or https: only)`);
    }
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets: Number.POSITIVE_INFINITY,
      maxFreeSockets: MAX_FREE_SOCKETS,
      scheduling: 'lifo',
      timeout: FREE_SOCKET_TIMEOUT_MS,
    };
    this.#settings = settings;
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
    // Node copies the options per request, and sets content-length itself from end(body).
    this.#server = {
      agent: this.#agent,
      protocol: origin.protocol,
      // An IPv6 literal comes bracketed in a URL, bare in a socket address.
      hostname: origin.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: origin.port === '' ? (secure ? 443 : 80) : Number(origin.port),
    };
  }

  /**
   * Sends `request`; resolves with the answer whatever its status. Rejects with {@link TransportError} only.
   * With `resendOnStaleConnection`, a kept-alive connection found closed before any answer is tried once more
   * on a new connection. Without a `signal`, the backstop timeout alone bounds the exchange.
   */
  send(request: TransportRequest, signal?: AbortSignal): Promise<TransportAnswer> {
    if (signal?.aborted) {
      return Promise.reject(
        new TransportError('aborted', 'aborted before sending', { cause: signal.reason }),
      );
    }
    this.#inFlight += 1;
    return new Promise<TransportAnswer>((resolve, reject) => {
      let current: ClientRequest;
      let settled = false;
      const settle = (outcome: TransportAnswer | TransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal?.removeEventListener('abort', onAbort);
        this.#exchangeEnded();
        if (outcome instanceof TransportError) reject(outcome);
        else resolve(outcome);
      };
      /** Ends the exchange now; its connection cannot be reused with an answer half read. */
      const stop = (outcome: TransportAnswer | TransportError): void => {
        settle(outcome);
        current.destroy();
      };
      const onAbort = (): void => {
        stop(new TransportError('aborted', 'aborted by the caller', { cause: signal?.reason }));
      };
      const deadline = setTimeout(() => {
        stop(new TransportError('timed-out', `no complete answer within ${this.#settings.timeoutMs} ms`));
      }, this.#settings.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });

      const options: http.RequestOptions = {
        ...this.#server,
        method: request.method,
        path: request.path,
        headers: request.headers,
      };
      const send = (isRetry: boolean): void => {
        let answered = false;
        const attempt = this.#request(options, (response) => {
          answered = true;
          this.#read(response, settle, stop);
        });
        current = attempt;
        attempt.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          if (
            this.#settings.resendOnStaleConnection &&
            !isRetry &&
            !answered &&
            attempt.reusedSocket &&
            STALE_CONNECTION_CODES.has(error.code ?? '')
          ) {
            this.#closeIdleSockets();
            send(true);
            return;
          }
          settle(new TransportError('connection', error.message, { cause: error }));
        });
        // Covers a connection that ends without an error event (e.g. a truncated answer).
        attempt.on('close', () => {
          if (!settled && current === attempt) {
            settle(new TransportError('connection', 'the connection closed before the answer was complete'));
          }
        });
        if (request.body === null) attempt.end();
        else attempt.end(request.body);
      };
      try {
        send(false);
      } catch (error) {
        // Invalid header values throw synchronously; their messages name the header, never its value.
        settle(
          new TransportError('connection', error instanceof Error ? error.message : String(error), {
            cause: error,
          }),
        );
      }
    });
  }

  /** Closes idle connections now and busy ones as their exchanges end. */
  close(): void {
    this.#closed = true;
    if (this.#inFlight === 0) this.#agent.destroy();
  }

  #read(
    response: IncomingMessage,
    settle: (outcome: TransportAnswer | TransportError) => void,
    stop: (outcome: TransportAnswer | TransportError) => void,
  ): void {
    const { maxResponseBytes } = this.#settings;
    const status = response.statusCode ?? 0;
    const { headers } = response;
    const tooLarge = (): void => stop({ status, headers, body: null });
    if (Number(headers['content-length']) > maxResponseBytes) {
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxResponseBytes) tooLarge();
      else chunks.push(chunk);
    });
    response.on('end', () => {
      settle({ status, headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
    });
    response.on('error', (error) => {
      settle(new TransportError('connection', error.message, { cause: error }));
    });
  }

  #exchangeEnded(): void {
    this.#inFlight -= 1;
    if (this.#closed && this.#inFlight === 0) this.#agent.destroy();
  }

  /** After one stale connection, the idle ones (older still, with `lifo`) are likely stale too. */
  #closeIdleSockets(): void {
    for (const sockets of Object.values(this.#agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
  }
}
