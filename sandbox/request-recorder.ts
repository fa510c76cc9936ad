import type { SandboxStats } from './control-api-types.js';
import type { RequestLogEntry } from './rest-server.js';

/** Requests kept in {@link RequestRecorder.log}; older ones are dropped (stats still count them). */
const REQUEST_LOG_LIMIT = 20_000;

/** The REST requests the sandbox answered: the last ones in full, and counters over all of them. */
export class RequestRecorder {
  readonly #log: RequestLogEntry[] = [];
  readonly #stats = {
    requests: 0,
    rateLimited: 0,
    invalidRequests: 0,
    routes: {} as Record<string, number>,
    statuses: {} as Record<number, number>,
  };

  /** Answered REST requests, oldest first (the last 20,000). */
  get log(): readonly RequestLogEntry[] {
    return this.#log;
  }

  record(entry: RequestLogEntry): void {
    this.#log.push(entry);
    if (this.#log.length > REQUEST_LOG_LIMIT) this.#log.shift();
    this.#stats.requests += 1;
    this.#stats.statuses[entry.status] = (this.#stats.statuses[entry.status] ?? 0) + 1;
    if (entry.route) this.#stats.routes[entry.route] = (this.#stats.routes[entry.route] ?? 0) + 1;
    if (entry.status === 429) this.#stats.rateLimited += 1;
    if (entry.status === 401 || entry.status === 403 || entry.status === 429)
      this.#stats.invalidRequests += 1;
  }

  /** A copy of the counters. */
  stats(): SandboxStats {
    return {
      requests: this.#stats.requests,
      rateLimited: this.#stats.rateLimited,
      invalidRequests: this.#stats.invalidRequests,
      routes: { ...this.#stats.routes },
      statuses: { ...this.#stats.statuses },
    };
  }
}
