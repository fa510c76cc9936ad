import { Pool } from 'undici';

/**
 * An idle connection is closed after this long: below the shortest idle timeout common among OpenAI-compatible
 * servers (uvicorn, under vLLM and others: 5 s), so we rarely reuse one the server is closing. A server's
 * `Keep-Alive: timeout=N` hint shortens it (undici takes N minus 2 s).
 */
const KEEP_ALIVE_TIMEOUT_MS = 4_000;

/**
 * An undici pool of kept-alive HTTP/1.1 connections to one provider's origin. Unlimited connections: calls are
 * bounded by the worker's job concurrency, and a cap would only queue calls while their deadline runs.
 * undici's headers and body timeouts are set per request by the client (a backstop for a whole completion,
 * off for a stream, which keeps its own deadlines), and its size cap is off (the client counts). undici
 * follows no redirects unless told to, so a redirect never carries the key elsewhere. HTTP/2 stays off: one
 * slow stream cannot hold up others on a shared session, and the calls behave on the wire as they were
 * measured (docs/performance.md, "HTTP transport").
 */
export function createProviderPool(origin: string, connectTimeoutMs: number): Pool {
  return new Pool(origin, {
    connections: null,
    pipelining: 1,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    headersTimeout: 0,
    bodyTimeout: 0,
    connectTimeout: connectTimeoutMs,
    allowH2: false,
  });
}

/**
 * One {@link createProviderPool} pool per provider origin (scheme, host, port), shared by every model and key
 * of that provider: connections are reused across breakers. Origins come from the operator's configuration,
 * so the map stays as small as the provider list.
 */
export class ProviderPools {
  readonly #pools = new Map<string, Pool>();
  readonly #connectTimeoutMs: number;
  #closed = false;

  constructor(connectTimeoutMs: number) {
    this.#connectTimeoutMs = connectTimeoutMs;
  }

  /** The pool for `baseUrl`'s origin, created on first use. */
  get(baseUrl: string): Pool {
    if (this.#closed) throw new Error('provider pools are closed');
    const origin = new URL(baseUrl).origin;
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = createProviderPool(origin, this.#connectTimeoutMs);
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes idle connections now and busy ones as their requests end. */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
