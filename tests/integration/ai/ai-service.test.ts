/**
 * AiService against the real AI stub over HTTP: retries, breakers, trimming and cancellation as the provider
 * sees them. No Redis. Waits are injected (sleep) or short (breaker reset timeouts of a few hundred ms).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import {
  AiService,
  type AiServiceOptions,
  type ChatCompletionRequest,
  type ChatMessage,
  ProviderRejectedError,
  ProviderUnavailableError,
  type UserApiKey,
} from '../../../src/ai/index.js';
import type { ProviderConfig } from '../../../src/config/index.js';
import { ChorusError, ChorusErrorCode } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildAiConfig, buildStubProvider } from '../../support/ai-config.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

const OPERATOR_KEY = 'sk-operator-key-for-tests';
const ALICE: UserApiKey = { key: 'sk-alice-own-key-0001', fingerprint: 'a11ce0000001' };
const BOB: UserApiKey = { key: 'sk-bob-own-key-0002', fingerprint: 'b0b000000002' };
const CAROL: UserApiKey = { key: 'sk-carol-own-key-0003', fingerprint: 'ca201000003' };

let primary: AiStub;
let secondary: AiStub;
const services: AiService[] = [];

beforeAll(async () => {
  [primary, secondary] = await Promise.all([AiStub.start(), AiStub.start()]);
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  for (const stub of [primary, secondary]) {
    stub.resetBehaviour();
    stub.clearRequests();
  }
});

afterAll(async () => {
  await Promise.all([primary.close(), secondary.close()]);
});

/** `apiKey: null` = a provider configured without an operator key. */
function provider(name: string, stub: AiStub, apiKey: string | null = OPERATOR_KEY): ProviderConfig {
  return buildStubProvider({
    name,
    baseUrl: stub.baseUrl,
    apiKey: apiKey ?? undefined,
    models: ['stub-small', 'stub-large'],
  });
}

interface Setup {
  timeoutMs?: number;
  maxRetries?: number;
  volumeThreshold?: number;
  resetTimeoutMs?: number;
  providers?: ProviderConfig[];
  options?: Partial<AiServiceOptions>;
}

function createService(setup: Setup = {}): AiService {
  const providers = setup.providers ?? [provider('main', primary), provider('backup', secondary)];
  const service = new AiService({
    config: buildAiConfig(providers, setup),
    logger: createLogger({ level: 'silent' }),
    sleep: async () => undefined,
    ...setup.options,
  });
  services.push(service);
  return service;
}

function request(overrides: Partial<ChatCompletionRequest> = {}): ChatCompletionRequest {
  return {
    provider: 'main',
    model: 'stub-small',
    messages: [
      { role: 'system', content: 'You are Alice, a cheerful pirate.' },
      { role: 'user', content: 'Bob: hello' },
    ],
    temperature: 0.5,
    userKey: null,
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

function breakerOf(service: AiService, key: string) {
  return service.breakerSnapshots().find((snapshot) => snapshot.key === key);
}

async function openBreaker(
  service: AiService,
  overrides: Partial<ChatCompletionRequest> = {},
): Promise<void> {
  for (let call = 0; call < 3; call += 1) {
    const error = await failureOf(service.complete(request(overrides)));
    expect(error).toMatchObject({ reason: 'server-error' });
  }
}

describe('AiService', () => {
  describe('when the provider answers', () => {
    it('returns the reply with the operator key and the request as sent', async () => {
      const service = createService();
      const result = await service.complete(request());
      expect(result).toEqual({
        content: '[stub:stub-small] system="You are Alice, a cheerful" turns=2 last="Bob: hello"',
        latencyMs: expect.any(Number),
        reasoningOnly: false,
        usage: { promptTokens: 11, completionTokens: 20, totalTokens: 31 },
      });
      expect(primary.requests).toEqual([
        expect.objectContaining({
          model: 'stub-small',
          apiKey: OPERATOR_KEY,
          temperature: 0.5,
          stream: false,
        }),
      ]);
      expect(primary.requests[0]?.headers).toMatchObject({
        accept: 'application/json',
        'content-type': 'application/json',
        'user-agent': expect.stringContaining('chorus'),
      });
    });

    it("uses the user's own key, and leaves temperature out when it is null", async () => {
      const service = createService();
      await service.complete(request({ userKey: ALICE, temperature: null }));
      expect(primary.requests[0]).toMatchObject({ apiKey: ALICE.key, temperature: null });
      expect(breakerOf(service, `main/stub-small/${ALICE.fingerprint}`)).toMatchObject({
        state: 'closed',
        successes: 1,
      });
    });

    it('counts the call in its statistics', async () => {
      const service = createService();
      await service.complete(request());
      expect(service.callStats()).toEqual([
        expect.objectContaining({ provider: 'main', model: 'stub-small', successes: 1, faults: 0 }),
      ]);
      expect(service.callsInFlight).toBe(0);
    });
  });

  describe('when the provider keeps failing with 503', () => {
    it('opens the breaker after the volume threshold, then rejects without calling the provider', async () => {
      const service = createService({ resetTimeoutMs: 60_000 });
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      await openBreaker(service);
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ state: 'open', failures: 3 });

      // Were the call sent, it would hang until the 5 s timeout and fail as a timeout instead.
      primary.setBehaviour({ errorRate: 0, hangRate: 1 });
      const error = await failureOf(service.complete(request()));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({
        code: ChorusErrorCode.ProviderUnavailable,
        reason: 'circuit-open',
        provider: 'main',
        model: 'stub-small',
      });
      const { retryAfterMs } = error as ProviderUnavailableError;
      expect(retryAfterMs).toBeGreaterThan(50_000);
      expect(retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(primary.requests).toHaveLength(3);
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ rejects: 1 });
      expect(service.callStats()[0]).toMatchObject({ faults: 3, shortCircuited: 1 });
    });

    it('stays closed below the volume threshold', async () => {
      const service = createService({ volumeThreshold: 5 });
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      await openBreaker(service);
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ state: 'closed', failures: 3 });
    });

    it('recovers by itself through the half-open probe', async () => {
      const service = createService({ resetTimeoutMs: 200 });
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      await openBreaker(service);
      primary.setBehaviour({ errorRate: 0 });
      await vi.waitFor(() => expect(breakerOf(service, 'main/stub-small/operator')?.state).toBe('half-open'));
      await expect(service.complete(request())).resolves.toMatchObject({ content: expect.any(String) });
      expect(breakerOf(service, 'main/stub-small/operator')?.state).toBe('closed');
    });

    it('opens again when the probe fails', async () => {
      const service = createService({ resetTimeoutMs: 200 });
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      await openBreaker(service);
      await vi.waitFor(() => expect(breakerOf(service, 'main/stub-small/operator')?.state).toBe('half-open'));
      await failureOf(service.complete(request()));
      expect(breakerOf(service, 'main/stub-small/operator')?.state).toBe('open');
    });

    it('leaves other providers and other models alone', async () => {
      const service = createService();
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      await openBreaker(service);
      primary.setBehaviour({ errorRate: 0 });
      await expect(service.complete(request({ provider: 'backup' }))).resolves.toMatchObject({
        content: expect.stringContaining('[stub:stub-small]'),
      });
      await expect(service.complete(request({ model: 'stub-large' }))).resolves.toMatchObject({
        content: expect.stringContaining('[stub:stub-large]'),
      });
      expect(await failureOf(service.complete(request()))).toMatchObject({ reason: 'circuit-open' });
      expect(breakerOf(service, 'backup/stub-small/operator')?.state).toBe('closed');
      expect(breakerOf(service, 'main/stub-large/operator')?.state).toBe('closed');
    });
  });

  describe("when a user's key is rejected with 401", () => {
    it('fails that user only, without counting against any breaker', async () => {
      const service = createService();
      primary.setKeyBehaviour(ALICE.key, { rejectKey: true });
      for (let call = 0; call < 5; call += 1) {
        const error = await failureOf(service.complete(request({ userKey: ALICE })));
        expect(error).toBeInstanceOf(ProviderRejectedError);
        expect(error).toMatchObject({
          code: ChorusErrorCode.ProviderRejected,
          reason: 'invalid-key',
          keyOwner: 'user',
          status: 401,
        });
      }
      expect(breakerOf(service, `main/stub-small/${ALICE.fingerprint}`)).toMatchObject({
        state: 'closed',
        failures: 0,
      });
      await expect(service.complete(request())).resolves.toBeDefined();
      await expect(service.complete(request({ userKey: BOB }))).resolves.toBeDefined();
    });

    it("names the operator's key when it is the operator's", async () => {
      const service = createService();
      primary.setKeyBehaviour(OPERATOR_KEY, { rejectKey: true });
      expect(await failureOf(service.complete(request()))).toMatchObject({
        reason: 'invalid-key',
        keyOwner: 'operator',
      });
    });
  });

  describe("when a user's key keeps failing with 5xx", () => {
    it("opens that key's breaker only", async () => {
      const service = createService();
      primary.setKeyBehaviour(ALICE.key, { errorRate: 1, errorStatus: 500 });
      await openBreaker(service, { userKey: ALICE });
      expect(await failureOf(service.complete(request({ userKey: ALICE })))).toMatchObject({
        reason: 'circuit-open',
      });
      await expect(service.complete(request({ userKey: BOB }))).resolves.toBeDefined();
      await expect(service.complete(request())).resolves.toBeDefined();
    });
  });

  describe('when the provider hangs', () => {
    it('cuts the call at the per-call timeout and closes the connection', async () => {
      const service = createService({ timeoutMs: 300 });
      primary.setBehaviour({ hangRate: 1 });
      const error = await failureOf(service.complete(request()));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout' });
      await vi.waitFor(() => expect(primary.requests[0]?.outcome).toBe('client-closed'));
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ failures: 1 });
    });
  });

  describe('when the provider answers 429 with retry-after', () => {
    it('waits as told, then retries', async () => {
      const waits: number[] = [];
      const service = createService({
        maxRetries: 2,
        options: {
          sleep: async (ms) => {
            waits.push(ms);
            primary.setBehaviour({ errorRate: 0 });
          },
        },
      });
      primary.setBehaviour({ errorRate: 1, errorStatus: 429, retryAfterSeconds: 2 });
      await expect(service.complete(request())).resolves.toMatchObject({
        content: expect.stringContaining('[stub:'),
      });
      expect(waits).toEqual([2_000]);
      expect(primary.requests.map((record) => record.status)).toEqual([429, 200]);
    });

    it('gives up at once when the wait would be too long', async () => {
      const waits: number[] = [];
      const service = createService({
        maxRetries: 2,
        options: { sleep: async (ms) => void waits.push(ms) },
      });
      primary.setBehaviour({ errorRate: 1, errorStatus: 429, retryAfterSeconds: 30 });
      const error = await failureOf(service.complete(request()));
      expect(error).toMatchObject({ reason: 'rate-limited', retryAfterMs: 30_000 });
      expect(waits).toEqual([]);
      expect(primary.requests).toHaveLength(1);
    });
  });

  describe('when faults are transient', () => {
    it('retries with jittered exponential backoff, up to maxRetries', async () => {
      const waits: number[] = [];
      const service = createService({
        maxRetries: 2,
        volumeThreshold: 10,
        options: { random: () => 0.5, sleep: async (ms) => void waits.push(ms) },
      });
      primary.setBehaviour({ errorRate: 1, errorStatus: 502 });
      const error = await failureOf(service.complete(request()));
      expect(error).toMatchObject({ reason: 'server-error' });
      expect(waits).toEqual([250, 500]);
      expect(primary.requests).toHaveLength(3);
    });
  });

  describe('when the conversation is too long for the model', () => {
    const history: ChatMessage[] = [
      { role: 'system', content: 'You are Alice.' },
      ...Array.from(
        { length: 8 },
        (_, index): ChatMessage => ({
          role: index % 2 === 0 ? 'user' : 'assistant',
          content: `turn ${index + 1}`,
        }),
      ),
      { role: 'user', content: 'Bob: the latest message' },
    ];

    it('rejects at once with a context-length error, trimming nothing', async () => {
      const service = createService({ maxRetries: 2 });
      primary.setBehaviour({ contextLimit: { maxMessages: 6 } });
      const error = await failureOf(service.complete(request({ messages: history })));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ reason: 'context-length' });
      expect(primary.requests).toHaveLength(1);
      expect(primary.requests[0]?.messages).toHaveLength(history.length);
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ failures: 0 });
    });
  });

  describe('when the caller cancels', () => {
    it('aborts the HTTP request and rejects with Cancelled, not a fault', async () => {
      const service = createService();
      primary.setBehaviour({ hangRate: 1 });
      const controller = new AbortController();
      const pending = failureOf(service.complete(request({ signal: controller.signal })));
      await vi.waitFor(() => expect(primary.requests).toHaveLength(1));
      controller.abort();
      const error = await pending;
      expect(error).toBeInstanceOf(ChorusError);
      expect(error).toMatchObject({ code: ChorusErrorCode.Cancelled });
      await vi.waitFor(() => expect(primary.requests[0]?.outcome).toBe('client-closed'));
      expect(breakerOf(service, 'main/stub-small/operator')).toMatchObject({ failures: 0, state: 'closed' });
    });

    it('rejects at once when the signal already fired', async () => {
      const service = createService();
      const error = await failureOf(service.complete(request({ signal: AbortSignal.abort() })));
      expect(error).toMatchObject({ code: ChorusErrorCode.Cancelled });
      expect(primary.requests).toHaveLength(0);
    });

    it('cancels a backoff wait', async () => {
      const controller = new AbortController();
      const service = createService({
        maxRetries: 2,
        options: {
          sleep: (_ms, signal) => {
            controller.abort();
            return Promise.reject(signal.reason);
          },
        },
      });
      primary.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const error = await failureOf(service.complete(request({ signal: controller.signal })));
      expect(error).toMatchObject({ code: ChorusErrorCode.Cancelled });
      expect(primary.requests).toHaveLength(1);
    });
  });

  describe('when the service closes', () => {
    it('cancels calls in flight and refuses new ones', async () => {
      const service = createService();
      primary.setBehaviour({ hangRate: 1 });
      const pending = failureOf(service.complete(request()));
      await vi.waitFor(() => expect(primary.requests).toHaveLength(1));
      await service.close();
      expect(await pending).toMatchObject({ code: ChorusErrorCode.Cancelled });
      expect(await failureOf(service.complete(request()))).toMatchObject({ code: ChorusErrorCode.Cancelled });
      expect(service.breakerSnapshots()).toEqual([]);
    });
  });

  describe('when the provider or key is missing', () => {
    it.each([
      ['an unknown provider', { provider: 'nope' }, 'unknown-provider'],
      ['no operator key and no user key', { provider: 'keyless' }, 'missing-key'],
    ])('rejects %s', async (_name, overrides, reason) => {
      const service = createService({
        providers: [provider('main', primary), provider('keyless', primary, null)],
      });
      const error = await failureOf(service.complete(request(overrides)));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ reason });
      expect(primary.requests).toHaveLength(0);
    });
  });

  describe('when many keys are used', () => {
    it('keeps only the most recently used breakers', async () => {
      const service = createService({ options: { maxBreakers: 2 } });
      for (const userKey of [ALICE, BOB, CAROL]) await service.complete(request({ userKey }));
      expect(
        service
          .breakerSnapshots()
          .map((snapshot) => snapshot.keyFingerprint)
          .sort(),
      ).toEqual([BOB.fingerprint, CAROL.fingerprint].sort());
    });

    it('drops idle breakers', async () => {
      let now = 1_000_000;
      const evicted: string[] = [];
      const service = createService({
        options: {
          now: () => now,
          breakerIdleMs: 1_000,
          rollingWindowMs: 100,
          onBreakerStateChange: (change) => {
            if (change.state === 'evicted') evicted.push(change.key);
          },
        },
      });
      await service.complete(request({ userKey: ALICE }));
      now += 5_000;
      await vi.waitFor(() => expect(evicted).toEqual([`main/stub-small/${ALICE.fingerprint}`]));
      expect(service.breakerSnapshots()).toEqual([]);
    });
  });

  describe('logging', () => {
    it('logs each breaker transition once, without keys or prompts', async () => {
      const { logger, lines, records } = createCapturedLogger();
      const service = createService({ resetTimeoutMs: 150, options: { logger } });
      primary.setKeyBehaviour(ALICE.key, { errorRate: 1, errorStatus: 503 });
      await openBreaker(service, { userKey: ALICE });
      primary.setKeyBehaviour(ALICE.key, { errorRate: 0 });
      await vi.waitFor(() =>
        expect(breakerOf(service, `main/stub-small/${ALICE.fingerprint}`)?.state).toBe('half-open'),
      );
      await service.complete(request({ userKey: ALICE }));
      const transitions = records.filter(
        (entry) => typeof entry['msg'] === 'string' && entry['msg'].startsWith('ai breaker'),
      );
      expect(transitions.map((entry) => entry['msg'])).toEqual([
        'ai breaker opened',
        'ai breaker half-open',
        'ai breaker closed',
      ]);
      expect(transitions[0]).toMatchObject({
        module: 'ai',
        breaker: `main/stub-small/${ALICE.fingerprint}`,
        keyFingerprint: ALICE.fingerprint,
      });
      const all = lines.join('');
      expect(all).not.toContain(ALICE.key);
      expect(all).not.toContain('You are Alice');
      expect(all).not.toContain('Bob: hello');
    });
  });
});

describe('AiService.testKey', () => {
  it('reports a working key with its model', async () => {
    const service = createService();
    await expect(service.testKey('main', ALICE.key)).resolves.toEqual({
      ok: true,
      model: 'stub-small',
      latencyMs: expect.any(Number),
    });
    expect(primary.requests[0]).toMatchObject({ apiKey: ALICE.key, model: 'stub-small' });
  });

  it.each([
    ['a rejected key', { rejectKey: true }, 'invalid-key'],
    ['a failing provider', { errorRate: 1, errorStatus: 503 }, 'unreachable'],
    ['a refused request', { errorRate: 1, errorStatus: 404 }, 'rejected'],
  ] as const)('reports %s', async (_name, behaviour, reason) => {
    const service = createService();
    primary.setKeyBehaviour(BOB.key, behaviour);
    const result = await service.testKey('main', BOB.key, 'stub-large');
    expect(result).toMatchObject({ ok: false, reason, detail: expect.any(String) });
    expect(JSON.stringify(result)).not.toContain(BOB.key);
    expect(service.breakerSnapshots()).toEqual([]);
  });

  it('reports a provider nobody listens on as unreachable', async () => {
    const closed = await AiStub.start();
    await closed.close();
    const service = createService({ providers: [provider('gone', closed)] });
    await expect(service.testKey('gone', ALICE.key)).resolves.toMatchObject({
      ok: false,
      reason: 'unreachable',
    });
  });

  it('reports an unknown provider as rejected', async () => {
    const service = createService();
    await expect(service.testKey('nope', ALICE.key)).resolves.toMatchObject({
      ok: false,
      reason: 'rejected',
    });
  });
});
