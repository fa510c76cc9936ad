import http, { type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';

/** Settings of one {@link KeepAliveTransport}. */
export interface KeepAliveTransportSettings {
  /** The endpoint every request is POSTed to (`http:` or `https:`). */
  readonly url: URL;
  /** Sent with every request (content-length is added per request). */
  readonly headers: Readonly<Record<string, string>>;
  /** Backstop for a whole exchange, connecting to the last byte of the answer, ms. */
  readonly timeoutMs: number;
  /** Largest answer body read; a larger one is discarded and its connection closed. */
  readonly maxResponseBytes: number;
}

/** An HTTP answer of any status. */
export interface TransportAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The whole body; null when it exceeded `maxResponseBytes`. */
  readonly body: Buffer | null;
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
 * POSTs bodies to one endpoint over kept-alive connections (`node:http` or `node:https`), most recently used
 * connection first (`lifo`), so a quiet period leaves the cold ones to time out. Idle connections do not hold
 * the process open (the agent unrefs them). An exchange ends when the whole answer is read, the caller's
 * signal aborts it, or the backstop timeout fires; the latter two destroy the connection.
 */
export class KeepAliveTransport {
  readonly #settings: KeepAliveTransportSettings;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #options: http.RequestOptions;
  #inFlight = 0;
  #closed = false;

  constructor(settings: KeepAliveTransportSettings) {
    const { url } = settings;
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      throw new TypeError(`unsupported protocol ${url.protocol} (http: or https: only)`);
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
    // One options object for every request: Node copies it, and sets content-length itself from end(body).
    this.#options = {
      agent: this.#agent,
      method: 'POST',
      protocol: url.protocol,
      // An IPv6 literal comes bracketed in a URL, bare in a socket address.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
      path: `${url.pathname}${url.search}`,
      headers: settings.headers,
    };
  }

  /**
   * POSTs `body`; resolves with the answer whatever its status. Rejects with {@link TransportError} only.
   * A kept-alive connection found closed by the server before any answer is retried once on a new
   * connection: far the likeliest cause is the server closing it as idle, before it read the request.
   */
  post(body: string, signal: AbortSignal): Promise<TransportAnswer> {
    if (signal.aborted) {
      return Promise.reject(
        new TransportError('aborted', 'aborted before sending', { cause: signal.reason }),
      );
    }
    this.#inFlight += 1;
    return new Promise<TransportAnswer>((resolve, reject) => {
      let request: ClientRequest;
      let settled = false;
      const settle = (outcome: TransportAnswer | TransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        signal.removeEventListener('abort', onAbort);
        this.#exchangeEnded();
        if (outcome instanceof TransportError) reject(outcome);
        else resolve(outcome);
      };
      /** Ends the exchange now; its connection cannot be reused with an answer half read. */
      const stop = (outcome: TransportAnswer | TransportError): void => {
        settle(outcome);
        request.destroy();
      };
      const onAbort = (): void => {
        stop(new TransportError('aborted', 'aborted by the caller', { cause: signal.reason }));
      };
      const deadline = setTimeout(() => {
        stop(new TransportError('timed-out', `no complete answer within ${this.#settings.timeoutMs} ms`));
      }, this.#settings.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });

      const send = (isRetry: boolean): void => {
        let answered = false;
        const attempt = this.#request(this.#options, (response) => {
          answered = true;
          this.#read(response, settle, stop);
        });
        request = attempt;
        attempt.on('error', (error: NodeJS.ErrnoException) => {
          if (settled) return;
          if (!isRetry && !answered && attempt.reusedSocket && STALE_CONNECTION_CODES.has(error.code ?? '')) {
            this.#closeIdleSockets();
            send(true);
            return;
          }
          settle(new TransportError('connection', error.message, { cause: error }));
        });
        // Covers a connection that ends without an error event (e.g. a truncated answer).
        attempt.on('close', () => {
          if (!settled && request === attempt) {
            settle(new TransportError('connection', 'the connection closed before the answer was complete'));
          }
        });
        attempt.end(body);
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
