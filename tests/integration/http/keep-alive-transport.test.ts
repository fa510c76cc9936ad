/**
 * KeepAliveTransport over real HTTP on 127.0.0.1: what one request carries, and what happens when a kept-alive
 * connection turns out closed, with and without a resend. (The AI client's tests cover timeouts, size caps,
 * aborts and TLS through it.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAliveTransport, TransportError } from '../../../src/http/keep-alive-transport.js';
import { startRecordingServer } from '../../support/recording-server.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that answers 200 `{"ok":true}`, except that it cuts the connection when `drop` says so. */
async function startServer(drop: (index: number) => boolean = () => false) {
  const server = await startRecordingServer((request, response) => {
    if (drop(server.requests.length - 1)) {
      request.socket.destroy();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4' });
    response.end('{"ok":true}');
  });
  cleanups.push(() => server.close());
  return { ...server, origin: new URL(`${server.url}/ignored/path`) };
}

function transportTo(origin: URL, resendOnStaleConnection: boolean, timeoutMs = 5_000): KeepAliveTransport {
  const transport = new KeepAliveTransport({
    origin,
    timeoutMs,
    maxResponseBytes: 1024,
    resendOnStaleConnection,
  });
  cleanups.push(() => transport.close());
  return transport;
}

const signal = () => new AbortController().signal;

describe('KeepAliveTransport', () => {
  it("sends each request's method, path, headers and body to the origin, and returns the whole answer", async () => {
    const server = await startServer();
    const transport = transportTo(server.origin, false);
    const answer = await transport.send(
      { method: 'PATCH', path: '/api/v10/a?wait=true', headers: { 'x-test': 'one' }, body: '{"a":1}' },
      signal(),
    );
    expect(answer.status).toBe(200);
    expect(answer.headers['x-ratelimit-remaining']).toBe('4');
    expect(answer.body?.toString('utf8')).toBe('{"ok":true}');
    await transport.send({ method: 'DELETE', path: '/api/v10/b', headers: {}, body: null }, signal());
    expect(server.requests.map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      { method: 'PATCH', url: '/api/v10/a?wait=true', body: '{"a":1}' },
      { method: 'DELETE', url: '/api/v10/b', body: '' },
    ]);
    expect(server.requests[0]!.headers['x-test']).toBe('one');
    expect(server.requests[0]!.headers['content-length']).toBe('7');
    // One connection, kept alive between the two.
    expect(server.sockets).toHaveLength(1);
  });

  it('does not send a request again when its kept-alive connection turns out closed, unless told to', async () => {
    // The second request on the first connection: as if the server had closed it idle meanwhile.
    const dropSecond = (index: number) => index === 1;
    const once = await startServer(dropSecond);
    const noResend = transportTo(once.origin, false);
    await noResend.send({ method: 'POST', path: '/x', headers: {}, body: 'first' }, signal());
    const failure = await noResend
      .send({ method: 'POST', path: '/x', headers: {}, body: 'second' }, signal())
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).reason).toBe('connection');
    expect(once.requests.map((request) => request.body)).toEqual(['first', 'second']);

    const twice = await startServer(dropSecond);
    const resend = transportTo(twice.origin, true);
    await resend.send({ method: 'POST', path: '/x', headers: {}, body: 'first' }, signal());
    const answer = await resend.send({ method: 'POST', path: '/x', headers: {}, body: 'second' }, signal());
    expect(answer.status).toBe(200);
    expect(twice.requests.map((request) => request.body)).toEqual(['first', 'second', 'second']);
  });

  it('bounds an exchange by its own deadline when the caller passes no signal', async () => {
    const silent = await startRecordingServer(() => undefined);
    cleanups.push(() => silent.close());
    const transport = transportTo(new URL(silent.url), false, 100);
    const failure = await transport
      .send({ method: 'POST', path: '/x', headers: {}, body: 'unanswered' })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).reason).toBe('timed-out');
  });
});
