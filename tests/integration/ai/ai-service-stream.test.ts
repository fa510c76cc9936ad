/**
 * AiService.stream against the real AI stub over HTTP: the events a consumer sees, retries before the first
 * text, broken streams and the breaker, reasoning, cancellation. No Redis. Waits are injected (sleep).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import {
  AiService,
  type AiServiceOptions,
  type AiStreamEvent,
  type ChatCompletionRequest,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
} from '../../../src/ai/index.js';
import { ChorusError, ChorusErrorCode } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildAiConfig, buildStubProvider } from '../../support/ai-config.js';

const OPERATOR_KEY = 'sk-operator-key-for-stream-tests';
const BREAKER = 'main/stub-small/operator';

let stub: AiStub;
const services: AiService[] = [];

beforeAll(async () => {
  stub = await AiStub.start();
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  stub.resetBehaviour();
  stub.clearRequests();
});

afterAll(async () => {
  await stub.close();
});

interface Setup {
  maxRetries?: number;
  volumeThreshold?: number;
  streamUsage?: boolean;
  options?: Partial<AiServiceOptions>;
}

function createService(setup: Setup = {}): AiService {
  const provider = buildStubProvider({
    name: 'main',
    baseUrl: stub.baseUrl,
    apiKey: OPERATOR_KEY,
    streamUsage: setup.streamUsage ?? false,
  });
  const service = new AiService({
    config: buildAiConfig([provider], setup),
    logger: createLogger({ level: 'silent' }),
    sleep: async () => undefined,
    ...setup.options,
  });
  services.push(service);
  return service;
}

function request(
  userText = 'Bob: hello',
  overrides: Partial<ChatCompletionRequest> = {},
): ChatCompletionRequest {
  return {
    provider: 'main',
    model: 'stub-small',
    messages: [
      { role: 'system', content: 'You are Alice, a cheerful pirate.' },
      { role: 'user', content: userText },
    ],
    temperature: 0.5,
    userKey: null,
    ...overrides,
  };
}

/** Every event until the stream ends or throws. */
async function collect(
  stream: AsyncIterable<AiStreamEvent>,
): Promise<{ text: string; events: AiStreamEvent[]; error: unknown }> {
  const events: AiStreamEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { text: textOf(events), events, error: null };
  } catch (error) {
    return { text: textOf(events), events, error };
  }
}

function textOf(events: readonly AiStreamEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.text : '')).join('');
}

function breakerOf(service: AiService) {
  return service.breakerSnapshots().find((snapshot) => snapshot.key === BREAKER);
}

describe('AiService.stream', () => {
  describe('when the provider streams', () => {
    it('yields the text, then one end', async () => {
      const service = createService();
      const { events, text, error } = await collect(service.stream(request()));
      expect(error).toBeNull();
      expect(text).toBe('[stub:stub-small] system="You are Alice, a cheerful" turns=2 last="Bob: hello"');
      expect(events.slice(0, -1).every((event) => event.type === 'text' && event.text !== '')).toBe(true);
      expect(events.at(-1)).toEqual({ type: 'end', finishReason: 'stop', usage: null, reasoningOnly: false });
      expect(stub.requests[0]).toMatchObject({ stream: true, includeUsage: false });
      expect(breakerOf(service)).toMatchObject({ state: 'closed', successes: 1 });
      expect(service.callsInFlight).toBe(0);
    });

    it('asks for usage where the provider takes it, and ends with it', async () => {
      const service = createService({ streamUsage: true });
      const { events } = await collect(service.stream(request()));
      expect(events.at(-1)).toEqual({
        type: 'end',
        finishReason: 'stop',
        usage: { promptTokens: 11, completionTokens: 20, totalTokens: 31 },
        reasoningOnly: false,
      });
      expect(stub.requests[0]).toMatchObject({ includeUsage: true });
    });

    it('ends cleanly without a finish_reason ([DONE] only)', async () => {
      const { events, error } = await collect(createService().stream(request('!no-finish !say hi there')));
      expect(error).toBeNull();
      expect(events.at(-1)).toMatchObject({ type: 'end', finishReason: null });
    });

    it('ends cleanly without [DONE] (a finish_reason, then the connection ends)', async () => {
      const { events, error } = await collect(createService().stream(request('!no-done !say hi there')));
      expect(error).toBeNull();
      expect(events.at(-1)).toMatchObject({ type: 'end', finishReason: 'stop' });
    });
  });

  describe('when the model reasons', () => {
    it.each(['think-tags', 'reasoning_content', 'reasoning'] as const)(
      'never yields reasoning sent as %s',
      async (reasoningStyle) => {
        stub.setBehaviour({ reasoningStyle });
        const { text, events } = await collect(
          createService().stream(request('!think SECRET plan !say Ahoy')),
        );
        expect(text).toBe('Ahoy');
        expect(events.at(-1)).toMatchObject({ type: 'end', reasoningOnly: false });
      },
    );

    it.each(['think-tags', 'reasoning_content', 'reasoning'] as const)(
      'flags a reply of only reasoning (%s), streamed or not',
      async (reasoningStyle) => {
        stub.setBehaviour({ reasoningStyle });
        const service = createService();
        const { events } = await collect(service.stream(request('!think-only SECRET plan')));
        expect(events).toEqual([{ type: 'end', finishReason: 'stop', usage: null, reasoningOnly: true }]);
        await expect(service.complete(request('!think-only SECRET plan'))).resolves.toMatchObject({
          content: '',
          reasoningOnly: true,
        });
        await expect(service.complete(request('!think SECRET plan !say Ahoy'))).resolves.toMatchObject({
          content: 'Ahoy',
          reasoningOnly: false,
        });
      },
    );
  });

  describe('when the call fails before its first text', () => {
    it('retries as complete does', async () => {
      stub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const service = createService({
        maxRetries: 2,
        options: { sleep: async () => stub.setBehaviour({ errorRate: 0 }) },
      });
      const { text, error } = await collect(service.stream(request('!say recovered')));
      expect(error).toBeNull();
      expect(text).toBe('recovered');
      expect(stub.requests.map((record) => record.status)).toEqual([503, 200]);
    });

    it('throws ProviderUnavailableError once the retries are spent', async () => {
      stub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const { events, error } = await collect(createService({ maxRetries: 1 }).stream(request()));
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ reason: 'server-error' });
      expect(stub.requests).toHaveLength(2);
    });

    it('treats an error event inside a 200 stream as a failure, retried', async () => {
      const { events, error } = await collect(
        createService({ maxRetries: 1 }).stream(request('!stream-error !say hi')),
      );
      expect(events).toEqual([]);
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ reason: 'server-error' });
      expect(stub.requests).toHaveLength(2);
    });

    it('is refused at once by an open breaker', async () => {
      const service = createService();
      stub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      for (let call = 0; call < 3; call += 1) await collect(service.stream(request()));
      expect(breakerOf(service)?.state).toBe('open');
      const { error } = await collect(service.stream(request()));
      expect(error).toMatchObject({ reason: 'circuit-open' });
      expect(stub.requests).toHaveLength(3);
    });
  });

  describe('when the stream breaks after its first text', () => {
    it('throws ProviderStreamBrokenError after the text, without retrying', async () => {
      const service = createService({ maxRetries: 2 });
      const { text, events, error } = await collect(
        service.stream(request('!break 10 !say one two three four five six')),
      );
      expect(text).toBe('one two three');
      expect(events.some((event) => event.type === 'end')).toBe(false);
      expect(error).toBeInstanceOf(ProviderStreamBrokenError);
      expect(error).toMatchObject({
        code: ChorusErrorCode.ProviderStreamBroken,
        provider: 'main',
        model: 'stub-small',
        failure: { kind: 'network' },
      });
      expect(stub.requests).toHaveLength(1);
      expect(breakerOf(service)).toMatchObject({ failures: 1 });
    });

    it('opens the breaker after enough broken streams', async () => {
      const service = createService({ volumeThreshold: 3 });
      for (let call = 0; call < 3; call += 1) {
        const { error } = await collect(service.stream(request('!break 5 !say one two three four five six')));
        expect(error).toBeInstanceOf(ProviderStreamBrokenError);
      }
      expect(breakerOf(service)).toMatchObject({ state: 'open', failures: 3 });
      const { error } = await collect(service.stream(request()));
      expect(error).toMatchObject({ reason: 'circuit-open' });
      expect(stub.requests).toHaveLength(3);
    });

    it('throws ProviderStreamBrokenError for an error event after the first text', async () => {
      const { text, error } = await collect(
        createService({ maxRetries: 2 }).stream(request('!stream-error 1 !say abc def ghi jkl')),
      );
      expect(text).toBe('abc def ghi');
      expect(error).toBeInstanceOf(ProviderStreamBrokenError);
      expect(error).toMatchObject({ failure: { kind: 'server-error', status: 502 } });
      expect(stub.requests).toHaveLength(1);
    });
  });

  describe('when the stream is stopped', () => {
    it("aborts the HTTP stream when the request's signal fires: the stub sees the connection close", async () => {
      stub.setBehaviour({ chunkDelayMs: 30 });
      const service = createService();
      const cancel = new AbortController();
      const seen: string[] = [];
      let error: unknown = null;
      try {
        for await (const event of service.stream(request('!long 3000', { signal: cancel.signal }))) {
          if (event.type === 'text') seen.push(event.text);
          if (seen.length === 2) cancel.abort();
        }
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ChorusError);
      expect(error).toMatchObject({ code: ChorusErrorCode.Cancelled });
      await vi.waitFor(() => expect(stub.requests[0]?.outcome).toBe('client-closed'));
      expect(breakerOf(service)).toMatchObject({ failures: 0 });
      expect(service.callsInFlight).toBe(0);
    });

    it('aborts the HTTP stream when the consumer leaves the loop, without an error', async () => {
      stub.setBehaviour({ chunkDelayMs: 30 });
      const service = createService();
      for await (const event of service.stream(request('!long 3000'))) {
        if (event.type === 'text') break;
      }
      await vi.waitFor(() => expect(stub.requests[0]?.outcome).toBe('client-closed'));
      expect(breakerOf(service)).toMatchObject({ failures: 0 });
      expect(service.callsInFlight).toBe(0);
    });

    it('throws Cancelled when the service closes mid-stream', async () => {
      stub.setBehaviour({ chunkDelayMs: 30 });
      const service = createService();
      const iterator = service.stream(request('!long 3000'))[Symbol.asyncIterator]();
      await iterator.next();
      await service.close();
      await expect(
        (async () => {
          for (;;) if ((await iterator.next()).done) return;
        })(),
      ).rejects.toMatchObject({ code: ChorusErrorCode.Cancelled });
      await vi.waitFor(() => expect(stub.requests[0]?.outcome).toBe('client-closed'));
    });

    it('sends nothing when the signal fired before', async () => {
      const { error } = await collect(createService().stream(request('hi', { signal: AbortSignal.abort() })));
      expect(error).toMatchObject({ code: ChorusErrorCode.Cancelled });
      expect(stub.requests).toHaveLength(0);
    });
  });
});
