/**
 * ProviderClient.stream over real HTTP on 127.0.0.1 (undici): against the AI stub (its stream and its stream
 * faults), and against a small node:http server for what the stub does not do (odd bodies, silences, sizes).
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import type { ProviderFailure } from '../../../src/ai/index.js';
import {
  ProviderCallError,
  type ProviderCallInput,
  type ProviderClient,
  type ProviderReply,
} from '../../../src/ai/provider-client.js';
import {
  PROVIDER_TEST_MESSAGES,
  STUB_FAILURES,
  useProviderClientHarness,
} from '../../support/provider-client-harness.js';

const KEY = 'sk-provider-stream-test-key';
const harness = useProviderClientHarness(KEY);
const { createClient, input, startServer } = harness;

/** Streams one call; resolves with its text pieces and end, or its failure. */
async function streamOf(
  client: ProviderClient,
  callInput: ProviderCallInput,
): Promise<{ texts: string[]; reply: ProviderReply | null; failure: ProviderFailure | null }> {
  const texts: string[] = [];
  try {
    const reply = await client.stream(callInput, (text) => texts.push(text));
    return { texts, reply, failure: null };
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderCallError);
    return { texts, reply: null, failure: (error as ProviderCallError).failure };
  }
}

const sse = (payload: unknown) =>
  `data: ${typeof payload === 'string' ? payload : JSON.stringify(payload)}\n\n`;
const delta = (fields: Record<string, unknown>, finishReason: string | null = null) =>
  sse({ choices: [{ index: 0, delta: fields, finish_reason: finishReason }] });

/** A server that writes `events` as an SSE body, then ends (or does `after` with the response). */
function streaming(events: readonly string[], after: (response: ServerResponse) => void = (r) => r.end()) {
  return startServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of events) response.write(event);
    after(response);
  });
}

describe('ProviderClient.stream', () => {
  describe('against the AI stub', () => {
    it('passes the text on as it arrives and ends with the finish reason', async () => {
      const { texts, reply } = await streamOf(createClient(), input());
      expect(texts.join('')).toBe(
        '[stub:stub-small] system="You are Alice, a cheerful" turns=2 last="Bob: hello"',
      );
      expect(texts.length).toBeGreaterThan(1);
      expect(reply).toEqual({ content: '', finishReason: 'stop', usage: null, reasoningOnly: false });
      expect(harness.stub.requests[0]).toMatchObject({
        stream: true,
        includeUsage: false,
        outcome: 'answered',
      });
      expect(harness.stub.requests[0]?.headers).toMatchObject({ accept: 'text/event-stream' });
    });

    it('asks for usage only when the provider takes stream_options', async () => {
      const { reply } = await streamOf(createClient({ streamUsage: true }), input());
      expect(reply?.usage).toEqual({ promptTokens: 11, completionTokens: 20, totalTokens: 31 });
      expect(harness.stub.requests[0]).toMatchObject({ includeUsage: true });
    });

    it.each(STUB_FAILURES)(
      'classifies %s before the stream as complete does',
      async (_name, behaviour, failure) => {
        harness.stub.setBehaviour(behaviour);
        expect((await streamOf(createClient(), input())).failure).toEqual(failure);
      },
    );

    it('fails a stream broken mid-way as a network failure, after its first text', async () => {
      const { texts, failure } = await streamOf(
        createClient(),
        input({}, '!break 10 !say one two three four five six'),
      );
      expect(texts.join('')).toBe('one two three');
      expect(failure).toEqual({ kind: 'network', detail: expect.any(String) });
    });

    it('fails on an error event inside the 200 stream, classified by its code', async () => {
      const { texts, failure } = await streamOf(
        createClient(),
        input({}, '!stream-error 1 !say abc def ghi jkl'),
      );
      expect(texts.join('')).toBe('abc def ghi');
      expect(failure).toEqual({ kind: 'server-error', status: 502, retryAfterMs: null });
    });

    it('ends cleanly with [DONE] and no finish_reason', async () => {
      const { texts, reply } = await streamOf(createClient(), input({}, '!no-finish !say hi there'));
      expect(texts.join('')).toBe('hi there');
      expect(reply).toMatchObject({ finishReason: null });
    });

    it('ends cleanly with a finish_reason and no [DONE]', async () => {
      const { reply } = await streamOf(createClient(), input({}, '!no-done !say hi there'));
      expect(reply).toMatchObject({ finishReason: 'stop' });
    });

    it.each(['think-tags', 'reasoning_content', 'reasoning'] as const)(
      'never passes reasoning sent as %s on as text',
      async (reasoningStyle) => {
        harness.stub.setBehaviour({ reasoningStyle });
        const { texts, reply } = await streamOf(createClient(), input({}, '!think SECRET plan !say Ahoy'));
        expect(texts.join('')).toBe('Ahoy');
        expect(reply?.reasoningOnly).toBe(false);
        const only = await streamOf(createClient(), input({}, '!think-only SECRET plan'));
        expect(only.texts).toEqual([]);
        expect(only.reply?.reasoningOnly).toBe(true);
      },
    );

    it('aborts the request when the caller cancels mid-stream: the stub sees the connection close', async () => {
      harness.stub.setBehaviour({ chunkDelayMs: 50 });
      const cancel = new AbortController();
      const texts: string[] = [];
      const pending = createClient()
        .stream(input({ signal: cancel.signal, cancelSignal: cancel.signal }, '!long 2000'), (text) => {
          texts.push(text);
          cancel.abort();
        })
        .catch((error: unknown) => error);
      const error = await pending;
      expect(error).toBeInstanceOf(ProviderCallError);
      expect((error as ProviderCallError).failure).toEqual({ kind: 'cancelled' });
      expect(texts).toHaveLength(1);
      await vi.waitFor(() => expect(harness.stub.requests[0]?.outcome).toBe('client-closed'));
    });

    it('times out before the model answers after timeoutMs', async () => {
      harness.stub.setBehaviour({ hangRate: 1 });
      const { failure } = await streamOf(createClient({ timeoutMs: 150 }), input());
      expect(failure).toEqual({ kind: 'timeout' });
      await vi.waitFor(() => expect(harness.stub.requests[0]?.outcome).toBe('client-closed'));
    });

    it('sends nothing when the signal fired before the call', async () => {
      const signal = AbortSignal.abort();
      expect((await streamOf(createClient(), input({ signal, cancelSignal: signal }))).failure).toEqual({
        kind: 'cancelled',
      });
      expect(harness.stub.requests).toHaveLength(0);
    });
  });

  describe('against other servers', () => {
    it('times out a stream that goes silent after the model answered, after streamIdleTimeoutMs', async () => {
      const server = await streaming([delta({ content: 'Hello' })], () => undefined);
      const { texts, failure } = await streamOf(
        createClient({ baseUrl: server.baseUrl, timeoutMs: 5_000, streamIdleTimeoutMs: 150 }),
        input(),
      );
      expect(texts).toEqual(['Hello']);
      expect(failure).toEqual({ kind: 'timeout' });
      await vi.waitFor(() => expect(server.sockets[0]?.destroyed).toBe(true));
    });

    it('keeps the first-answer deadline while only the role chunk came', async () => {
      const server = await streaming([delta({ role: 'assistant', content: '' })], () => undefined);
      const startedAt = Date.now();
      const { failure } = await streamOf(
        createClient({ baseUrl: server.baseUrl, timeoutMs: 300, streamIdleTimeoutMs: 50 }),
        input(),
      );
      expect(failure).toEqual({ kind: 'timeout' });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
    });

    it('ends cleanly when a finish_reason is followed by a dropped connection', async () => {
      const server = await streaming([delta({ content: 'Hi' }), delta({}, 'stop')], (response) =>
        setTimeout(() => response.socket?.destroy(), 20),
      );
      const { texts, reply } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(texts).toEqual(['Hi']);
      expect(reply).toMatchObject({ finishReason: 'stop' });
    });

    it('ends cleanly when a server keeps the connection open after [DONE]', async () => {
      const server = await streaming([delta({ content: 'Hi' }), sse('[DONE]')], () => undefined);
      const { reply } = await streamOf(
        createClient({ baseUrl: server.baseUrl, streamIdleTimeoutMs: 100 }),
        input(),
      );
      expect(reply).toMatchObject({ finishReason: null });
    });

    it('fails a body that ends before [DONE] and without a finish_reason', async () => {
      const server = await streaming([delta({ content: 'Hi' })]);
      const { texts, failure } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(texts).toEqual(['Hi']);
      expect(failure).toEqual({
        kind: 'network',
        detail: 'the stream ended before [DONE] and without a finish_reason',
      });
    });

    it.each([
      [
        '`event: error`',
        'event: error\ndata: {"message":"overloaded","code":503}\n\n',
        { kind: 'server-error', status: 503, retryAfterMs: null },
      ],
      [
        'an error object without a status',
        sse({ error: { message: 'Something broke', type: 'server_error' } }),
        { kind: 'bad-response', detail: 'the stream carried an error: Something broke' },
      ],
      [
        'data that is not JSON',
        sse('{"choices": ['),
        { kind: 'bad-response', detail: 'a stream event is not a JSON object' },
      ],
    ])('fails on %s in a 200 stream', async (_name, event, failure) => {
      const server = await streaming([event, sse('[DONE]')]);
      expect((await streamOf(createClient({ baseUrl: server.baseUrl }), input())).failure).toEqual(failure);
    });

    it('never puts the key into a failure, even when the stream echoes it', async () => {
      const server = await streaming([sse({ error: { message: `Key ${KEY} is not allowed here` } })]);
      const { failure } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(failure).toEqual({
        kind: 'bad-response',
        detail: 'the stream carried an error: Key [redacted] is not allowed here',
      });
    });

    it('classifies an error status with its body and retry-after, as complete does', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '3' });
        response.end(JSON.stringify({ error: { message: 'Slow down', code: 'rate_limit_exceeded' } }));
      });
      expect((await streamOf(createClient({ baseUrl: server.baseUrl }), input())).failure).toEqual({
        kind: 'rate-limited',
        retryAfterMs: 3_000,
      });
    });

    it('does not follow a redirect', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(308, { location: 'https://elsewhere.example/v1/chat/completions' });
        response.end();
      });
      expect((await streamOf(createClient({ baseUrl: server.baseUrl }), input())).failure).toEqual({
        kind: 'rejected',
        status: 308,
        detail: 'HTTP 308 with no body',
      });
      expect(server.requests).toHaveLength(1);
    });

    it('takes a whole completion from a server that ignores stream: true', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            choices: [{ message: { content: '<think>x</think>Whole reply' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
          }),
        );
      });
      const { texts, reply } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(texts).toEqual(['Whole reply']);
      expect(reply).toEqual({
        content: '',
        finishReason: 'stop',
        usage: { promptTokens: 1, completionTokens: 2, totalTokens: 3 },
        reasoningOnly: false,
      });
    });

    it('stops reading a stream past the size cap', async () => {
      const server = await startServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const megabyte = delta({ content: 'x'.repeat(1024 * 1024 - 100) });
        for (let part = 0; part < 5; part += 1) response.write(megabyte);
      });
      const { failure } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(failure).toEqual({ kind: 'bad-response', detail: 'the stream is larger than 4194304 bytes' });
      await vi.waitFor(() => expect(server.sockets[0]?.destroyed).toBe(true));
    });

    it('sends the request the OpenAI way, the key in the authorization header only', async () => {
      const server = await streaming([delta({ content: 'ok' }), sse('[DONE]')]);
      await streamOf(
        createClient({ baseUrl: server.baseUrl, streamUsage: true }),
        input({ temperature: null }),
      );
      const [received] = server.requests;
      expect(received).toMatchObject({ method: 'POST', url: '/v1/chat/completions' });
      expect(received?.headers).toMatchObject({
        authorization: `Bearer ${KEY}`,
        accept: 'text/event-stream',
        'content-type': 'application/json',
        'accept-encoding': 'identity',
      });
      expect(JSON.parse(received!.body)).toEqual({
        model: 'stub-small',
        messages: PROVIDER_TEST_MESSAGES,
        stream: true,
        stream_options: { include_usage: true },
      });
      expect(received!.url).not.toContain(KEY);
    });

    it('reuses one connection for sequential streams', async () => {
      const server = await streaming([delta({ content: 'ok' }, 'stop'), sse('[DONE]')]);
      const client = createClient({ baseUrl: server.baseUrl });
      for (let call = 0; call < 3; call += 1) {
        await streamOf(client, input());
        // undici frees the connection in the turn after the body's end (a call at once would open another).
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(server.requests).toHaveLength(3);
      expect(server.sockets).toHaveLength(1);
    });

    it('fails as a network error when nobody listens', async () => {
      const server = await streaming([]);
      await server.close();
      const { failure } = await streamOf(createClient({ baseUrl: server.baseUrl }), input());
      expect(failure).toEqual({ kind: 'network', detail: expect.stringContaining('ECONNREFUSED') });
    });
  });
});
