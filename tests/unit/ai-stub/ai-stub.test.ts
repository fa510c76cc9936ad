/**
 * The AI stub over real HTTP on 127.0.0.1, with plain fetch (to check the wire format byte for byte) and the
 * official `openai` SDK (to check a real client accepts it).
 */
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import { buildPng } from '../../../sandbox/sample-images.js';

const KEY = 'sk-stub-test-key-one';
const OTHER_KEY = 'sk-stub-test-key-two';

let stub: AiStub;

beforeAll(async () => {
  stub = await AiStub.start({ models: ['stub-small', 'stub-large'] });
});

afterEach(() => {
  stub.resetBehaviour();
  stub.clearRequests();
});

afterAll(async () => {
  await stub.close();
});

function sdk(apiKey = KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: stub.baseUrl, maxRetries: 0, timeout: 10_000 });
}

function post(body: unknown, apiKey: string = KEY, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stub.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

const hello = { model: 'stub-small', messages: [{ role: 'user', content: 'Bob: hello' }] };

describe('AiStub', () => {
  it('listens on 127.0.0.1 with a /v1 base URL', () => {
    expect(stub.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  describe('GET /v1/models', () => {
    it('lists the configured models in OpenAI format', async () => {
      const response = await fetch(`${stub.baseUrl}/models`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        object: 'list',
        data: [
          { id: 'stub-small', object: 'model', created: expect.any(Number), owned_by: 'chorus-stub' },
          { id: 'stub-large', object: 'model', created: expect.any(Number), owned_by: 'chorus-stub' },
        ],
      });
    });

    it('is readable by the SDK', async () => {
      const ids: string[] = [];
      for await (const model of sdk().models.list()) ids.push(model.id);
      expect(ids).toEqual(['stub-small', 'stub-large']);
    });
  });

  describe('POST /v1/chat/completions', () => {
    it('answers a chat.completion that shows what it saw', async () => {
      const response = await post({
        model: 'stub-large',
        temperature: 0.7,
        messages: [
          { role: 'system', content: 'You are Alice, a cheerful pirate.' },
          { role: 'user', content: 'Bob: hello' },
        ],
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        id: expect.stringMatching(/^chatcmpl-stub-\d+$/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'stub-large',
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: '[stub:stub-large] system="You are Alice, a cheerful" turns=2 last="Bob: hello"',
              refusal: null,
              annotations: [],
            },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: {
          prompt_tokens: expect.any(Number),
          completion_tokens: expect.any(Number),
          total_tokens: expect.any(Number),
        },
        system_fingerprint: null,
      });
    });

    it('describes the image parts it received, inline or linked, and records them', async () => {
      const png = buildPng(64, 48);
      const response = await post({
        model: 'stub-large',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Bob: what is this?\n[image: cat.png]' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
              {
                type: 'image_url',
                image_url: { url: 'https://cdn.discordapp.com/attachments/1/2/dog%201.jpg?ex=1' },
              },
            ],
          },
        ],
      });
      const body = (await response.json()) as { choices: Array<{ message: { content: string } }> };
      expect(body.choices[0]?.message.content).toBe(
        '[stub:stub-large] system="" turns=1 last="Bob: what is this?\n[image: cat.png]" ' +
          'images=[image/png 64x48, dog 1.jpg (url)]',
      );
      expect(stub.requests.at(-1)?.messages[0]?.images).toEqual([
        { source: 'data', mediaType: 'image/png', bytes: png.length, width: 64, height: 48, name: null },
        { source: 'url', mediaType: null, bytes: null, width: null, height: null, name: 'dog 1.jpg' },
      ]);
    });

    it('records the request, with the key for assertions and its fingerprint', async () => {
      const completion = await sdk().chat.completions.create({
        model: 'stub-small',
        temperature: 0.2,
        messages: [
          { role: 'system', content: 'Be brief.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: '!say parts ' },
              { type: 'text', text: 'joined' },
            ],
          },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe('parts joined');
      const [record] = stub.requests;
      expect(record).toMatchObject({
        id: expect.any(Number),
        model: 'stub-small',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: '!say parts joined' },
        ],
        apiKey: KEY,
        temperature: 0.2,
        stream: false,
        status: 200,
        outcome: 'answered',
      });
      expect(record?.keyFingerprint).toMatch(/^[0-9a-f]{12}$/);
      expect(record?.headers['user-agent']).toMatch(/OpenAI\/JS/);
      expect(record?.headers).not.toHaveProperty('authorization');
      expect(record?.answeredAt).toBeGreaterThanOrEqual(record?.receivedAt ?? Number.POSITIVE_INFINITY);
    });

    it('streams OpenAI chunks ending with data: [DONE]', async () => {
      const plain = (await (await post(hello)).json()) as {
        choices: Array<{ message: { content: string } }>;
      };
      const response = await post({ ...hello, stream: true });
      expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const events = (await response.text()).split('\n\n').filter(Boolean);
      expect(events.every((event) => event.startsWith('data: '))).toBe(true);
      expect(events.at(-1)).toBe('data: [DONE]');
      const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)));
      for (const chunk of chunks) {
        expect(chunk).toMatchObject({
          object: 'chat.completion.chunk',
          model: 'stub-small',
          id: chunks[0].id,
        });
      }
      expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
      expect(chunks.at(-1).choices[0]).toEqual({
        index: 0,
        delta: {},
        logprobs: null,
        finish_reason: 'stop',
      });
      const streamed = chunks.map((chunk) => chunk.choices[0].delta.content ?? '').join('');
      expect(streamed).toBe(plain.choices[0]?.message.content);
      expect(stub.requests.at(-1)).toMatchObject({ stream: true, status: 200, outcome: 'answered' });
    });

    it('streams to the SDK, with a usage chunk when asked', async () => {
      const stream = await sdk().chat.completions.create({
        model: 'stub-small',
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: '!long 1500' }],
      });
      let text = '';
      let usage: unknown = null;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (chunk.usage) usage = chunk.usage;
      }
      expect(text).toContain('```ts\n');
      expect(text.length).toBeGreaterThan(1_300);
      expect(usage).toMatchObject({ completion_tokens: Math.ceil(text.length / 4) });
    });

    it('refuses a body that is not JSON', async () => {
      const response = await post('{nope');
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    });

    it('refuses a request without messages', async () => {
      const response = await post({ model: 'stub-small', messages: [] });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { param: 'messages' } });
    });
  });

  describe('stream directives and reasoning', () => {
    /** The body read until it ends or breaks; its `data:` events, JSON-parsed except `[DONE]`. */
    async function readStream(
      response: Response,
    ): Promise<{ events: unknown[]; broke: boolean; raw: string }> {
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let raw = '';
      let broke = false;
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          raw += decoder.decode(value, { stream: true });
        }
      } catch {
        broke = true;
      }
      const events = raw
        .split('\n\n')
        .filter(Boolean)
        .map((event) => event.slice('data: '.length))
        .map((data) => (data === '[DONE]' ? data : JSON.parse(data)));
      return { events, broke, raw };
    }

    type Completion = { choices: Array<{ message: Record<string, unknown> }> };
    type Chunk = { choices: Array<{ delta: Record<string, string>; finish_reason: string | null }> };
    const chunksOf = (events: unknown[]) =>
      events.filter((event): event is Chunk => typeof event === 'object' && 'choices' in (event as object));
    const field = (events: unknown[], name: string) =>
      chunksOf(events)
        .map((chunk) => chunk.choices[0]?.delta[name] ?? '')
        .join('');
    const streamOf = (content: string, extra = {}) =>
      post({ ...hello, stream: true, messages: [{ role: 'user', content }], ...extra });

    it('records whether the stream asked for usage', async () => {
      await readStream(await streamOf('!say a', { stream_options: { include_usage: true } }));
      await readStream(await streamOf('!say a'));
      expect(stub.requests.map((record) => record.includeUsage)).toEqual([true, false]);
    });

    it('!break <chars> sends some text, then drops the connection without [DONE] or finish_reason', async () => {
      const { events, broke } = await readStream(
        await streamOf('!break 12 !say one two three four five six seven eight nine ten'),
      );
      expect(broke).toBe(true);
      const text = field(events, 'content');
      expect(text.length).toBeGreaterThanOrEqual(12);
      expect('one two three four five six seven eight nine ten'.startsWith(text)).toBe(true);
      expect(text.length).toBeLessThan(40);
      expect(events).not.toContain('[DONE]');
      expect(chunksOf(events).every((chunk) => chunk.choices[0]?.finish_reason === null)).toBe(true);
      await vi.waitFor(() => expect(stub.requests[0]?.outcome).toBe('broken'));
    });

    it('!break on a non-streamed request answers nothing', async () => {
      await expect(
        post({ ...hello, messages: [{ role: 'user', content: '!break 5 !say hi' }] }),
      ).rejects.toThrow();
      expect(stub.requests[0]?.outcome).toBe('broken');
    });

    it('!stream-error [chars] sends an error event inside the 200 stream', async () => {
      const response = await streamOf('!stream-error 3 !say abc def ghi jkl mno pqr');
      expect(response.status).toBe(200);
      const { events, broke } = await readStream(response);
      expect(broke).toBe(false);
      // Deltas are three words each: the error follows the first.
      expect(field(events, 'content')).toBe('abc def ghi');
      expect(events.at(-1)).toMatchObject({
        error: { code: 502, message: expect.any(String) },
        choices: [{ finish_reason: 'error' }],
      });
      expect(events).not.toContain('[DONE]');
    });

    it('!no-finish ends with [DONE] and no finish_reason; !no-done with a finish_reason and no [DONE]', async () => {
      const noFinish = await readStream(await streamOf('!no-finish !say hi there'));
      expect(noFinish.events.at(-1)).toBe('[DONE]');
      expect(chunksOf(noFinish.events).some((chunk) => chunk.choices[0]?.finish_reason !== null)).toBe(false);
      const noDone = await readStream(await streamOf('!no-done !say hi there'));
      expect(noDone.broke).toBe(false);
      expect(noDone.events).not.toContain('[DONE]');
      expect(chunksOf(noDone.events).at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(field(noDone.events, 'content')).toBe('hi there');
    });

    it('streams chunks of streamChunkChars characters, chunkDelayMs apart, and records the first one', async () => {
      stub.setBehaviour({ streamChunkChars: 4, chunkDelayMs: 5 });
      const { events } = await readStream(await streamOf('!say abcdefghij'));
      const pieces = chunksOf(events)
        .map((chunk) => chunk.choices[0]?.delta['content'] ?? '')
        .filter((piece) => piece !== '');
      expect(pieces).toEqual(['abcd', 'efgh', 'ij']);
      const record = stub.requests[0]!;
      // The role chunk carries no text: the first chunk counted is `abcd`, after one chunkDelayMs.
      // Less 1 ms: a timer may fire in the millisecond before Date.now() reaches its due time.
      expect(record.firstChunkAt).toBeGreaterThanOrEqual(record.receivedAt + 4);
      expect(record.firstChunkAt).toBeLessThanOrEqual(record.answeredAt!);
      await (await post({ ...hello, messages: [{ role: 'user', content: '!say abcdefghij' }] })).json();
      expect(stub.requests[1]?.firstChunkAt).toBeNull();
    });

    it('!think sends <think> tags in the text, split across chunks', async () => {
      const { events } = await readStream(await streamOf('!think pondering the sea !say Ahoy'));
      expect(field(events, 'content')).toBe('<think>pondering the sea</think>\n\nAhoy');
      const pieces = chunksOf(events).map((chunk) => chunk.choices[0]?.delta['content'] ?? '');
      expect(pieces).not.toContain('<think>');
      const plain = (await (
        await post({ ...hello, messages: [{ role: 'user', content: '!think hmm !say Ahoy' }] })
      ).json()) as Completion;
      expect(plain.choices[0]?.message['content']).toBe('<think>hmm</think>\n\nAhoy');
    });

    it.each(['reasoning_content', 'reasoning'] as const)(
      '!think sends %s when that is the style',
      async (style) => {
        stub.setBehaviour({ reasoningStyle: style });
        const { events } = await readStream(await streamOf('!think pondering the sea !say Ahoy'));
        expect(field(events, style)).toBe('pondering the sea');
        expect(field(events, 'content')).toBe('Ahoy');
        const plain = (await (
          await post({ ...hello, messages: [{ role: 'user', content: '!think hmm !say Ahoy' }] })
        ).json()) as Completion;
        expect(plain.choices[0]?.message).toMatchObject({ content: 'Ahoy', [style]: 'hmm' });
      },
    );

    it('!think-only answers reasoning and no text', async () => {
      const { events } = await readStream(await streamOf('!think-only just thoughts'));
      expect(field(events, 'content')).toBe('<think>just thoughts</think>');
      stub.setBehaviour({ reasoningStyle: 'reasoning' });
      const { events: separate } = await readStream(await streamOf('!think-only just thoughts'));
      expect(field(separate, 'content')).toBe('');
      expect(field(separate, 'reasoning')).toBe('just thoughts');
    });
  });

  describe('when errors are injected', () => {
    it('answers 503 to the SDK as an InternalServerError', async () => {
      stub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const failure = await sdk()
        .chat.completions.create(hello as never)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(InternalServerError);
      expect((failure as InternalServerError).status).toBe(503);
    });

    it('answers 429 with retry-after', async () => {
      stub.setBehaviour({ errorRate: 1, errorStatus: 429, retryAfterSeconds: 7 });
      const response = await post(hello);
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(await response.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    });

    it('draws fractional error rates deterministically per key', async () => {
      const statuses = async () => {
        const seen: number[] = [];
        for (let index = 0; index < 12; index += 1) seen.push((await post(hello)).status);
        return seen;
      };
      stub.setBehaviour({ errorRate: 0.5, errorStatus: 500 });
      const first = await statuses();
      stub.resetBehaviour();
      stub.setBehaviour({ errorRate: 0.5, errorStatus: 500 });
      expect(await statuses()).toEqual(first);
      expect(first).toContain(500);
      expect(first).toContain(200);
    });
  });

  describe('when the context limit is set', () => {
    it("answers OpenAI's context_length_exceeded body always", async () => {
      stub.setBehaviour({ contextLimit: 'always' });
      const response = await post(hello);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        error: {
          message: expect.stringMatching(/^This model's maximum context length is \d+ tokens\. /),
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      });
    });

    it('refuses only requests with more messages than the limit', async () => {
      stub.setBehaviour({ contextLimit: { maxMessages: 2 } });
      const two = [
        { role: 'system', content: 's' },
        { role: 'user', content: 'u' },
      ];
      expect((await post({ model: 'm', messages: two })).status).toBe(200);
      const failure = await sdk()
        .chat.completions.create({
          model: 'm',
          messages: [...two, { role: 'user', content: 'again' }],
        } as never)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(BadRequestError);
      expect((failure as BadRequestError).code).toBe('context_length_exceeded');
    });

    it('refuses requests with more characters than the limit', async () => {
      stub.setBehaviour({ contextLimit: { maxChars: 5 } });
      expect((await post({ model: 'm', messages: [{ role: 'user', content: '12345' }] })).status).toBe(200);
      expect((await post({ model: 'm', messages: [{ role: 'user', content: '123456' }] })).status).toBe(400);
    });
  });

  describe('when one key is rejected', () => {
    it('answers 401 invalid_api_key for that key only', async () => {
      stub.setKeyBehaviour(OTHER_KEY, { rejectKey: true });
      const failure = await sdk(OTHER_KEY)
        .chat.completions.create(hello as never)
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(AuthenticationError);
      expect((failure as AuthenticationError).code).toBe('invalid_api_key');
      expect((failure as Error).message).not.toContain(OTHER_KEY);
      const completion = await sdk(KEY).chat.completions.create(hello as never);
      expect(completion.choices[0]?.message.content).toContain('[stub:stub-small]');
    });

    it('lets per-key behaviour override the global one', async () => {
      stub.setBehaviour({ errorRate: 1, errorStatus: 500 });
      stub.setKeyBehaviour(KEY, { errorRate: 0 });
      expect((await post(hello, KEY)).status).toBe(200);
      expect((await post(hello, OTHER_KEY)).status).toBe(500);
    });
  });

  describe('when requests hang or wait', () => {
    it('sees the client give up on a hanging request', async () => {
      stub.setBehaviour({ hangRate: 1 });
      const controller = new AbortController();
      const pending = post(hello, KEY, controller.signal).catch((error: unknown) => error);
      await vi.waitFor(() => expect(stub.requests).toHaveLength(1));
      controller.abort();
      expect(await pending).toBeInstanceOf(Error);
      await vi.waitFor(() =>
        expect(stub.requests[0]).toMatchObject({ outcome: 'client-closed', status: null }),
      );
    });

    it('does not answer before its latency is over', async () => {
      stub.setBehaviour({ latency: 60_000 });
      const controller = new AbortController();
      const pending = sdk()
        .chat.completions.create(hello as never, { signal: controller.signal })
        .catch((error) => error);
      await vi.waitFor(() => expect(stub.requests).toHaveLength(1));
      controller.abort();
      await pending;
      await vi.waitFor(() => expect(stub.requests[0]?.outcome).toBe('client-closed'));
      expect(stub.requests[0]?.answeredAt).toBeNull();
    });

    it('ends hanging requests when it closes', async () => {
      const own = await AiStub.start({ behaviour: { hangRate: 1 } });
      const pending = fetch(`${own.baseUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(hello),
      }).catch((error: unknown) => error);
      await vi.waitFor(() => expect(own.requests).toHaveLength(1));
      await own.close();
      expect(await pending).toBeInstanceOf(Error);
      expect(own.requests[0]).toMatchObject({ outcome: 'stub-closed', apiKey: null, keyFingerprint: null });
    });
  });

  describe('resetBehaviour and clearRequests', () => {
    it('go back to the start behaviour and forget requests', async () => {
      const own = await AiStub.start({ behaviour: { errorRate: 1, errorStatus: 500 } });
      try {
        own.setBehaviour({ errorRate: 0 });
        own.setKeyBehaviour(KEY, { rejectKey: true });
        own.resetBehaviour();
        const response = await fetch(`${own.baseUrl}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}` },
          body: JSON.stringify(hello),
        });
        expect(response.status).toBe(500);
        expect(own.requests).toHaveLength(1);
        own.clearRequests();
        expect(own.requests).toEqual([]);
      } finally {
        await own.close();
      }
    });
  });
});
