/**
 * ProviderClient over real HTTP on 127.0.0.1: against the AI stub (the wire format and its faults), and
 * against a small node:http server for what the stub does not do (odd error bodies, oversized answers, dropped
 * connections, connection reuse, base URLs with a path).
 */
import { execFile } from 'node:child_process';
import type { ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import type { ProviderFailure } from '../../../src/ai/index.js';
import { ProviderCallError } from '../../../src/ai/provider-client.js';
import {
  PROVIDER_TEST_MESSAGES,
  PROVIDER_TEST_NOW,
  STUB_FAILURES,
  useProviderClientHarness,
} from '../../support/provider-client-harness.js';

const execFileAsync = promisify(execFile);
const PROVIDER_CLIENT_URL = new URL('../../../src/ai/provider-client.ts', import.meta.url).href;
const KEY = 'sk-provider-client-test-key';
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const harness = useProviderClientHarness(KEY);
const { createClient, input, startServer } = harness;
const COMPLETION = JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'Ahoy!' } }] });

/**
 * Lets a turn of the event loop pass: undici checks an idle kept-alive connection in the turn after its answer
 * before reusing it, so a call sent at once would open another.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The call's ProviderCallError; fails the test when the call succeeds or throws anything else. */
async function errorOf(promise: Promise<unknown>): Promise<ProviderCallError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ProviderCallError);
  return error as ProviderCallError;
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderFailure> {
  return (await errorOf(promise)).failure;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(text);
}

/** A server answering every request with `status` and `body` (JSON unless a string). */
function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  return startServer((_request, response) => sendJson(response, status, body, headers));
}

describe('ProviderClient', () => {
  describe('against the AI stub', () => {
    it('returns the reply and sends the request the OpenAI way', async () => {
      const client = createClient();
      await expect(client.complete(input())).resolves.toEqual({
        content: '[stub:stub-small] system="You are Alice, a cheerful" turns=2 last="Bob: hello"',
        finishReason: 'stop',
        usage: { promptTokens: 11, completionTokens: 20, totalTokens: 31 },
        reasoningOnly: false,
      });
      expect(harness.stub.requests).toEqual([
        expect.objectContaining({
          model: 'stub-small',
          messages: PROVIDER_TEST_MESSAGES,
          apiKey: KEY,
          temperature: 0.5,
          stream: false,
          headers: expect.objectContaining({
            accept: 'application/json',
            'content-type': 'application/json',
            'user-agent': expect.stringMatching(/^chorus/),
          }),
        }),
      ]);
    });

    it('leaves temperature out when it is null', async () => {
      const server = await answering(200, COMPLETION);
      await createClient({ baseUrl: server.baseUrl }).complete(input({ temperature: null }));
      expect(JSON.parse(server.requests[0]!.body)).toEqual({
        model: 'stub-small',
        messages: PROVIDER_TEST_MESSAGES,
      });
    });

    it.each(STUB_FAILURES)('classifies %s', async (_name, behaviour, failure) => {
      harness.stub.setBehaviour(behaviour);
      expect(await failureOf(createClient().complete(input()))).toEqual(failure);
    });

    it('cuts a hanging call when its signal fires, and closes the connection', async () => {
      harness.stub.setBehaviour({ hangRate: 1 });
      const cancel = new AbortController();
      const signal = AbortSignal.any([AbortSignal.timeout(100), cancel.signal]);
      const pending = failureOf(createClient().complete(input({ signal, cancelSignal: cancel.signal })));
      expect(await pending).toEqual({ kind: 'timeout' });
      await vi.waitFor(() => expect(harness.stub.requests[0]?.outcome).toBe('client-closed'));
    });

    it('aborts the request when the caller cancels, as a cancellation', async () => {
      harness.stub.setBehaviour({ hangRate: 1 });
      const cancel = new AbortController();
      const signal = AbortSignal.any([AbortSignal.timeout(60_000), cancel.signal]);
      const pending = failureOf(createClient().complete(input({ signal, cancelSignal: cancel.signal })));
      await vi.waitFor(() => expect(harness.stub.requests).toHaveLength(1));
      cancel.abort();
      expect(await pending).toEqual({ kind: 'cancelled' });
      await vi.waitFor(() => expect(harness.stub.requests[0]?.outcome).toBe('client-closed'));
    });

    it('sends nothing when the signal fired before the call', async () => {
      const signal = AbortSignal.abort();
      expect(await failureOf(createClient().complete(input({ signal, cancelSignal: signal })))).toEqual({
        kind: 'cancelled',
      });
      expect(harness.stub.requests).toHaveLength(0);
    });
  });

  describe('error answers', () => {
    it.each([
      [
        '403',
        403,
        { error: { message: 'Forbidden', type: 'permission_error' } },
        {},
        { kind: 'invalid-key', status: 403 },
      ],
      [
        '429 with retry-after-ms',
        429,
        { error: { message: 'Rate limit reached', code: 'rate_limit_exceeded' } },
        { 'retry-after-ms': '1500', 'retry-after': '9' },
        { kind: 'rate-limited', retryAfterMs: 1_500 },
      ],
      [
        '429 with an HTTP-date retry-after',
        429,
        { error: { message: 'Slow down' } },
        { 'retry-after': new Date(PROVIDER_TEST_NOW + 30_000).toUTCString() },
        { kind: 'rate-limited', retryAfterMs: 30_000 },
      ],
      [
        '429 insufficient_quota',
        429,
        { error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } },
        {},
        { kind: 'quota-exceeded' },
      ],
      [
        '500 with a plain-text body',
        500,
        'upstream connect error',
        {},
        { kind: 'server-error', status: 500, retryAfterMs: null },
      ],
      [
        '503 with retry-after seconds',
        503,
        '',
        { 'retry-after': '3' },
        { kind: 'server-error', status: 503, retryAfterMs: 3_000 },
      ],
      [
        '400 context_length_exceeded',
        400,
        {
          error: {
            message: 'Too many tokens.',
            type: 'invalid_request_error',
            code: 'context_length_exceeded',
          },
        },
        {},
        { kind: 'context-length', detail: 'Too many tokens.' },
      ],
      [
        "404 with Ollama's string error",
        404,
        { error: "model 'nope' not found" },
        {},
        { kind: 'rejected', status: 404, detail: "model 'nope' not found" },
      ],
      [
        '400 with a JSON body that is no envelope',
        400,
        { detail: 'temperature: must be at most 2' },
        {},
        { kind: 'rejected', status: 400, detail: '{"detail":"temperature: must be at most 2"}' },
      ],
      ['422 with no body', 422, '', {}, { kind: 'rejected', status: 422, detail: 'HTTP 422 with no body' }],
      [
        'a redirect, not followed',
        308,
        '',
        { location: 'https://elsewhere.example/v1/chat/completions' },
        { kind: 'rejected', status: 308, detail: 'HTTP 308 with no body' },
      ],
    ] as const)('classifies %s', async (_name, status, body, headers, failure) => {
      const server = await answering(status, body, headers);
      expect(await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()))).toEqual(failure);
      expect(server.requests).toHaveLength(1);
    });

    it('keeps a long error text short', async () => {
      const server = await answering(400, `<html>${'x'.repeat(5_000)}</html>`);
      const failure = await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()));
      expect(failure).toMatchObject({ kind: 'rejected', status: 400 });
      expect((failure as { detail: string }).detail).toHaveLength(1_000);
    });

    it('never puts the key into a failure, even when the provider echoes it', async () => {
      const server = await answering(400, { error: { message: `Key ${KEY} may not use this model` } });
      const error = await errorOf(createClient({ baseUrl: server.baseUrl }).complete(input()));
      expect(error.failure).toEqual({
        kind: 'rejected',
        status: 400,
        detail: 'Key [redacted] may not use this model',
      });
      expect(JSON.stringify(error.failure)).not.toContain(KEY);
      expect(error.message).not.toContain(KEY);
    });
  });

  describe('bad answers', () => {
    it.each([
      ['invalid JSON', '{"choices": [', 'the answer is not JSON'],
      [
        'JSON that is no chat completion',
        { object: 'list', data: [] },
        'the answer is not a chat completion',
      ],
      ['an empty body', '', 'the answer is not JSON'],
    ])('classifies %s on a 200 as a bad response', async (_name, body, detail) => {
      const server = await answering(200, body);
      expect(await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()))).toEqual({
        kind: 'bad-response',
        detail,
      });
    });

    it('returns the refusal when there is no content', async () => {
      const server = await answering(200, {
        choices: [{ message: { role: 'assistant', content: null, refusal: 'I cannot help with that.' } }],
      });
      await expect(createClient({ baseUrl: server.baseUrl }).complete(input())).resolves.toMatchObject({
        content: 'I cannot help with that.',
      });
    });

    it('refuses an answer over the size cap that declares its length, then calls again on a new connection', async () => {
      let oversized = true;
      const server = await startServer((_request, response) => {
        if (!oversized) return sendJson(response, 200, COMPLETION);
        oversized = false;
        sendJson(response, 200, `"${'x'.repeat(MAX_RESPONSE_BYTES)}"`);
      });
      const client = createClient({ baseUrl: server.baseUrl });
      expect(await failureOf(client.complete(input()))).toEqual({
        kind: 'bad-response',
        detail: `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
      });
      await expect(client.complete(input())).resolves.toMatchObject({ content: 'Ahoy!' });
      expect(server.sockets).toHaveLength(2);
    });

    it('stops reading a streamed answer once it passes the size cap', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        const megabyte = 'x'.repeat(1024 * 1024);
        // Never ends: only the cap can finish the call.
        for (let part = 0; part < 5; part += 1) response.write(megabyte);
      });
      expect(await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()))).toEqual({
        kind: 'bad-response',
        detail: `the answer is larger than ${MAX_RESPONSE_BYTES} bytes`,
      });
      await vi.waitFor(() => expect(server.sockets[0]?.destroyed).toBe(true));
    });

    it('still classifies an error answer over the size cap by its status', async () => {
      const server = await answering(502, 'x'.repeat(MAX_RESPONSE_BYTES + 1));
      expect(await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()))).toEqual({
        kind: 'server-error',
        status: 502,
        retryAfterMs: null,
      });
    });
  });

  describe('connections', () => {
    it('fails as a network error when nobody listens', async () => {
      const server = await answering(200, COMPLETION);
      await server.close();
      const failure = await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()));
      expect(failure).toEqual({ kind: 'network', detail: expect.stringContaining('ECONNREFUSED') });
    });

    it('fails as a network error when the server drops a new connection', async () => {
      const server = await startServer((request) => request.socket.destroy());
      const failure = await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()));
      expect(failure).toEqual({ kind: 'network', detail: 'other side closed' });
      // A new connection is not resent on: only a kept-alive one may have been closed as idle.
      expect(server.requests).toHaveLength(1);
    });

    it('fails as a network error when the answer is cut off', async () => {
      const server = await startServer((request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': 1_000 });
        response.write('{"choices":', () => request.socket.destroy());
      });
      const failure = await failureOf(createClient({ baseUrl: server.baseUrl }).complete(input()));
      expect(failure).toMatchObject({ kind: 'network' });
    });

    it('times out by itself after timeoutMs, whatever the signal', async () => {
      const server = await startServer(() => undefined);
      const client = createClient({ baseUrl: server.baseUrl, timeoutMs: 150 });
      const error = await errorOf(client.complete(input()));
      expect(error.failure).toEqual({ kind: 'timeout' });
      expect(error.cause).toMatchObject({ code: 'UND_ERR_HEADERS_TIMEOUT' });
      await vi.waitFor(() => expect(server.sockets[0]?.destroyed).toBe(true));
    });

    it('reuses one connection for sequential calls', async () => {
      const server = await answering(200, COMPLETION);
      const client = createClient({ baseUrl: server.baseUrl });
      for (let call = 0; call < 3; call += 1) {
        await expect(client.complete(input())).resolves.toMatchObject({ content: 'Ahoy!' });
        await nextTurn();
      }
      expect(server.requests).toHaveLength(3);
      expect(server.sockets).toHaveLength(1);
    });

    it('opens one connection per concurrent call, and reuses them', async () => {
      const server = await answering(200, COMPLETION);
      const client = createClient({ baseUrl: server.baseUrl });
      await Promise.all([1, 2, 3].map(() => client.complete(input())));
      await nextTurn();
      await Promise.all([1, 2, 3].map(() => client.complete(input())));
      expect(server.requests).toHaveLength(6);
      expect(server.sockets).toHaveLength(3);
    });

    it('retries once on a new connection when a kept-alive one turns out closed', async () => {
      const server = await startServer((request, response) => {
        // The second request on the first connection: as if the server had closed it idle meanwhile.
        if (request.socket === server.sockets[0] && server.requests.length === 2) request.socket.destroy();
        else sendJson(response, 200, COMPLETION);
      });
      const client = createClient({ baseUrl: server.baseUrl });
      await client.complete(input());
      await nextTurn();
      await expect(client.complete(input())).resolves.toMatchObject({ content: 'Ahoy!' });
      expect(server.requests).toHaveLength(3);
      expect(server.sockets).toHaveLength(2);
    });

    it('does not keep the process alive with idle connections', async () => {
      const server = await answering(200, COMPLETION);
      // A fresh process: two calls (the second one reusing the connection), then what keeps its loop alive.
      const script = `
        const { ProviderClient } = await import(${JSON.stringify(PROVIDER_CLIENT_URL)});
        const client = new ProviderClient({
          baseUrl: ${JSON.stringify(server.baseUrl)}, apiKey: 'k', timeoutMs: 5000, now: Date.now,
        });
        const signal = new AbortController().signal;
        const input = { model: 'm', messages: [], temperature: null, signal, cancelSignal: signal };
        const first = (await client.complete(input)).content;
        await new Promise((resolve) => setImmediate(resolve));
        const replies = [first, (await client.complete(input)).content];
        await new Promise((resolve) => setImmediate(resolve));
        console.log(JSON.stringify({ replies, resources: process.getActiveResourcesInfo() }));
      `;
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '--eval', script],
        { timeout: 20_000 },
      );
      const report = JSON.parse(stdout) as { replies: string[]; resources: string[] };
      expect(report.replies).toEqual(['Ahoy!', 'Ahoy!']);
      expect(server.sockets).toHaveLength(1);
      expect(report.resources).not.toContain('TCPSocketWrap');
    });

    it('closes its idle connections on close(), and busy ones when their call ends', async () => {
      let release = (): void => undefined;
      const server = await startServer((_request, response) => {
        if (server.requests.length === 1) return sendJson(response, 200, COMPLETION);
        release = () => sendJson(response, 200, COMPLETION);
      });
      const client = createClient({ baseUrl: server.baseUrl });
      await client.complete(input());
      const pending = client.complete(input());
      await vi.waitFor(() => expect(server.requests).toHaveLength(2));
      client.close();
      expect(server.sockets[0]?.destroyed).toBe(false);
      release();
      await expect(pending).resolves.toMatchObject({ content: 'Ahoy!' });
      await vi.waitFor(() => expect(server.sockets[0]?.destroyed).toBe(true));
    });
  });

  describe('base URLs', () => {
    it('speaks TLS to an https: base URL', async () => {
      const server = await answering(200, COMPLETION);
      const baseUrl = server.baseUrl.replace('http:', 'https:');
      const failure = await failureOf(createClient({ baseUrl }).complete(input()));
      // The plain-HTTP server cannot answer a TLS handshake; plain HTTP would have got the reply.
      expect(failure).toMatchObject({ kind: 'network' });
      expect(server.requests).toHaveLength(0);
    });

    it('refuses a protocol other than http: and https:', () => {
      expect(() => createClient({ baseUrl: 'ftp://127.0.0.1/v1' })).toThrow('unsupported protocol ftp:');
    });

    it.each([
      ['a path', '/api/openai/v1', '/api/openai/v1/chat/completions'],
      ['a trailing slash', '/api/openai/v1/', '/api/openai/v1/chat/completions'],
      ['no path', '', '/chat/completions'],
      [
        'a query',
        '/openai/deployments/chat?api-version=2024-10-21',
        '/openai/deployments/chat/chat/completions?api-version=2024-10-21',
      ],
    ])('posts under a base URL with %s', async (_name, basePath, expected) => {
      const server = await startServer((_request, response) => sendJson(response, 200, COMPLETION), basePath);
      await createClient({ baseUrl: server.baseUrl }).complete(input());
      expect(server.requests[0]).toMatchObject({ method: 'POST', url: expected });
      expect(server.requests[0]?.headers).toMatchObject({
        authorization: `Bearer ${KEY}`,
        host: new URL(server.baseUrl).host,
        'content-length': String(Buffer.byteLength(server.requests[0]!.body)),
      });
    });
  });
});
