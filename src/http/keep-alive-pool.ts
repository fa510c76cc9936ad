import type { IncomingHttpHeaders } from 'node:http';
import { type Dispatcher, Pool } from 'undici';

/**
 * An idle connection is closed after this long: below the shortest idle timeout common among HTTP servers we
 * call (uvicorn, under vLLM and others: 5 s), so we rarely reuse one the server is closing. A server's
 * `Keep-Alive: timeout=N` hint shortens it (undici takes N minus 2 s).
 */
const KEEP_ALIVE_TIMEOUT_MS = 4_000;

/**
 * An undici pool of kept-alive HTTP/1.1 connections to one origin. Unlimited connections: calls are bounded by
 * the worker's job concurrency, and a cap would only queue calls while their deadline runs. undici's headers
 * and body timeouts are off here (each caller sets its own per request), and its size cap is off (callers read
 * through {@link readCappedBody}). undici follows no redirects unless told to, and resends nothing that went out
 * on a connection. Idle connections do not hold the process open. HTTP/2 stays off: one slow stream cannot hold
 * up others on a shared session, and calls behave on the wire as they were measured (docs/performance.md,
 * "HTTP transport").
 */
export function createKeepAlivePool(origin: string, connectTimeoutMs: number): Pool {
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

/** A header of an answer (lower-case name), or null; of a repeated one (undici gives a list), the first. */
export function readAnswerHeader(headers: IncomingHttpHeaders, name: string): string | null {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * A whole answer body up to `maxBytes`; null (and the connection dropped) when it is larger, at once when its
 * `content-length` says so. Rejects as the body stream does (connection lost, request aborted).
 */
export async function readCappedBody(
  response: Dispatcher.ResponseData,
  maxBytes: number,
): Promise<Buffer | null> {
  const { body } = response;
  if (Number(readAnswerHeader(response.headers, 'content-length')) > maxBytes) {
    body.destroy();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** Why no answer came: the caller's signal, a deadline, or the connection. */
export type TransportFailureReason = 'aborted' | 'timed-out' | 'connection';

/** An exchange that ended without an answer. Its message never holds request headers or the request path. */
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
