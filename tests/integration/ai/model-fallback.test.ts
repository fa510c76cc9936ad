/**
 * AiService.completeWithFallbacks against two AI stubs over HTTP: the personality's own model on one provider,
 * its fallback on another. No Redis. Backoff waits are injected; breaker reset timeouts are short or long as
 * each case needs.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import {
  AiService,
  type FallbackCompletionRequest,
  ProviderRejectedError,
  ProviderUnavailableError,
  type UserApiKey,
} from '../../../src/ai/index.js';
import type { ProviderConfig } from '../../../src/config/index.js';
import { buildAiConfig, buildStubProvider } from '../../support/ai-config.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

const OPERATOR_KEY = 'sk-operator-key-for-tests';
const ALICE_BACKUP: UserApiKey = { key: 'sk-alice-backup-key-01', fingerprint: 'a11ceb000001' };

const OWN = { provider: 'main', model: 'stub-large' };
/** A 1×1 transparent PNG. */
const TINY_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const FALLBACK = { provider: 'backup', model: 'stub-small' };

let main: AiStub;
let backup: AiStub;
const services: AiService[] = [];

beforeAll(async () => {
  [main, backup] = await Promise.all([AiStub.start(), AiStub.start()]);
});

afterEach(async () => {
  await Promise.all(services.splice(0).map((service) => service.close()));
  for (const stub of [main, backup]) {
    stub.resetBehaviour();
    stub.clearRequests();
  }
});

afterAll(async () => {
  await Promise.all([main.close(), backup.close()]);
});

function provider(name: string, stub: AiStub): ProviderConfig {
  return buildStubProvider({
    name,
    baseUrl: stub.baseUrl,
    apiKey: OPERATOR_KEY,
    models: ['stub-small', 'stub-large'],
    // The own model takes images; the fallback does not.
    visionModels: new Set(name === 'main' ? ['stub-large'] : []),
  });
}

function createService(resetTimeoutMs = 60_000) {
  const captured = createCapturedLogger('info');
  const providers = [provider('main', main), provider('backup', backup)];
  // Its own model alone would be retried twice; with a fallback ready it is not.
  const config = buildAiConfig(providers, { maxRetries: 2, resetTimeoutMs });
  const fallbackAnswers: unknown[] = [];
  const service = new AiService({
    config,
    logger: captured.logger,
    sleep: async () => undefined,
    onFallbackAnswer: (answer) => fallbackAnswers.push(answer),
  });
  services.push(service);
  return { service, records: captured.records, lines: captured.lines, fallbackAnswers };
}

/** Alice has her own key for the fallback's provider only. */
function request(): FallbackCompletionRequest {
  return {
    ...OWN,
    messages: [
      { role: 'system', content: 'You are Alice, a cheerful pirate.' },
      { role: 'user', content: 'Bob: hello' },
    ],
    temperature: null,
    keys: { open: (name) => (name === 'backup' ? ALICE_BACKUP : null) },
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

describe('AiService.completeWithFallbacks', () => {
  describe('when its own model answers', () => {
    it('answers from it with the operator key, and never calls the fallback', async () => {
      const { service, fallbackAnswers } = createService();
      const result = await service.completeWithFallbacks(request(), [FALLBACK]);
      expect(result).toMatchObject({
        content: expect.stringContaining('[stub:stub-large]'),
        ...OWN,
        fallback: 0,
      });
      expect(main.requests.map((sent) => sent.apiKey)).toEqual([OPERATOR_KEY]);
      expect(backup.requests).toHaveLength(0);
      expect(fallbackAnswers).toEqual([]);
    });
  });

  describe('when its own model answers 500', () => {
    it("lets the fallback answer at once, with the user's key for the fallback's provider, and logs it", async () => {
      const { service, records, fallbackAnswers } = createService();
      main.setBehaviour({ errorRate: 1, errorStatus: 500 });
      const result = await service.completeWithFallbacks(request(), [FALLBACK]);
      expect(result).toMatchObject({
        content: expect.stringContaining('[stub:stub-small]'),
        ...FALLBACK,
        fallback: 1,
      });
      // No retries of its own model: the fallback was ready.
      expect(main.requests.map((sent) => sent.status)).toEqual([500]);
      expect(backup.requests.map((sent) => sent.apiKey)).toEqual([ALICE_BACKUP.key]);
      expect(fallbackAnswers).toEqual([
        { ...FALLBACK, fallback: 1, primaryProvider: 'main', primaryModel: 'stub-large' },
      ]);
      expect(records).toContainEqual(
        expect.objectContaining({
          msg: 'ai answered by a fallback model',
          provider: 'backup',
          model: 'stub-small',
          fallback: 1,
          primaryProvider: 'main',
        }),
      );
    });
  });

  describe('when the prompt holds an image and the fallback model takes none', () => {
    it('sends the fallback the text alone (the prompt names the image)', async () => {
      const { service } = createService();
      main.setBehaviour({ errorRate: 1, errorStatus: 500 });
      const withImage: FallbackCompletionRequest = {
        ...request(),
        messages: [
          { role: 'system', content: 'You are Alice, a cheerful pirate.' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Bob: look [image: cat.png]' },
              { type: 'image_url', image_url: { url: `data:image/png;base64,${TINY_PNG}` } },
            ],
          },
        ],
      };
      await expect(service.completeWithFallbacks(withImage, [FALLBACK])).resolves.toMatchObject({
        fallback: 1,
      });
      expect(main.requests[0]?.messages.at(-1)?.images).toHaveLength(1);
      expect(backup.requests[0]?.messages.at(-1)).toEqual({
        role: 'user',
        content: 'Bob: look [image: cat.png]',
      });
    });
  });

  describe('when its own model answers 429', () => {
    it('lets the fallback answer', async () => {
      const { service } = createService();
      main.setBehaviour({ errorRate: 1, errorStatus: 429 });
      await expect(service.completeWithFallbacks(request(), [FALLBACK])).resolves.toMatchObject({
        fallback: 1,
      });
    });
  });

  describe("when its own model's breaker is open", () => {
    it('lets the fallback answer without calling it, even with its probe due within 3 s', async () => {
      const { service } = createService(2_000);
      main.setBehaviour({ errorRate: 1, errorStatus: 503 });
      for (let call = 0; call < 3; call += 1) await service.completeWithFallbacks(request(), [FALLBACK]);
      expect(service.breakerSnapshots().find((breaker) => breaker.provider === 'main')?.state).toBe('open');
      const callsBefore = main.requests.length;
      const startedAt = Date.now();
      await expect(service.completeWithFallbacks(request(), [FALLBACK])).resolves.toMatchObject({
        fallback: 1,
      });
      expect(Date.now() - startedAt).toBeLessThan(1_000);
      expect(main.requests).toHaveLength(callsBefore);
    });
  });

  describe('when every model is down', () => {
    it("throws one ProviderUnavailableError naming its own model (the 'can't answer right now' notice)", async () => {
      const { service } = createService();
      main.setBehaviour({ errorRate: 1, errorStatus: 503 });
      backup.setBehaviour({ errorRate: 1, errorStatus: 500 });
      const error = await failureOf(service.completeWithFallbacks(request(), [FALLBACK]));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ ...OWN, reason: 'server-error' });
      // The last model of the chain is tried as a lone model is: with its retries.
      expect(main.requests).toHaveLength(1);
      expect(backup.requests).toHaveLength(3);
    });
  });

  describe('when the request itself is refused', () => {
    it('throws the refusal and never calls the fallback', async () => {
      const { service } = createService();
      main.setBehaviour({ contextLimit: 'always' });
      const error = await failureOf(service.completeWithFallbacks(request(), [FALLBACK]));
      expect(error).toBeInstanceOf(ProviderRejectedError);
      expect(error).toMatchObject({ ...OWN, reason: 'context-length' });
      expect(backup.requests).toHaveLength(0);
    });
  });

  describe("when the user's key for the fallback is refused", () => {
    it('skips that fallback and ends with the notice for its own model', async () => {
      const { service, records } = createService();
      main.setBehaviour({ errorRate: 1, errorStatus: 503 });
      backup.setKeyBehaviour(ALICE_BACKUP.key, { rejectKey: true });
      const error = await failureOf(service.completeWithFallbacks(request(), [FALLBACK]));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ ...OWN });
      expect(records).toContainEqual(
        expect.objectContaining({ msg: 'ai fallback model unusable; skipped', provider: 'backup' }),
      );
    });
  });
});
