import type { Pool } from 'undici';
import { createKeepAlivePool } from '../http/keep-alive-pool.js';

/**
 * An undici pool of kept-alive HTTP/1.1 connections to one provider's origin ({@link createKeepAlivePool}).
 * undici's headers and body timeouts are set per request by the client (a backstop for a whole completion,
 * off for a stream, which keeps its own deadlines), and the client counts the size cap.
 */
export function createProviderPool(origin: string, connectTimeoutMs: number): Pool {
  return createKeepAlivePool(origin, connectTimeoutMs);
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
