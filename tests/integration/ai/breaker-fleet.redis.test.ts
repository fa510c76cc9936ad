/**
 * Breakers acting as one across workers: two or three AiServices in this process, each with its own Redis
 * connections and BreakerFleet (as separate worker processes have), against the real AI stub and the real
 * Redis under a `test-<uuid>` prefix. Checks what each "worker" reports and what the provider receives.
 */
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import {
  AiService,
  BreakerFleet,
  type BreakerSnapshot,
  buildBreakerOpenKey,
  buildBreakerProbeKey,
  type ChatCompletionRequest,
  ProviderUnavailableError,
} from '../../../src/ai/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildAiConfig, buildStubProvider } from '../../support/ai-config.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const BREAKER = 'main/stub-small/operator';
const VOLUME_THRESHOLD = 3;

interface Worker {
  readonly ai: AiService;
  readonly fleet: BreakerFleet;
  readonly subscriber: Redis;
}

let stub: AiStub;
let redis: Redis;
let prefix: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  stub = await AiStub.start();
  redis = createTestRedis();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await deleteKeysWithPrefix(redis, prefix);
  stub.resetBehaviour();
  stub.clearRequests();
});

afterAll(async () => {
  await stub.close();
  redis.disconnect();
});

/** One "worker": an AiService with its own commands and subscriber connections, sharing `prefix`. */
async function startWorker(resetTimeoutMs: number): Promise<Worker> {
  const commands = createTestRedis();
  const subscriber = createTestRedis();
  const logger = createLogger({ level: 'silent' });
  const fleet = await BreakerFleet.start({ redis: commands, subscriber, prefix, logger });
  const config = buildAiConfig(
    [buildStubProvider({ name: 'main', baseUrl: stub.baseUrl, apiKey: 'sk-operator' })],
    { volumeThreshold: VOLUME_THRESHOLD, resetTimeoutMs },
  );
  const ai = new AiService({ config, logger, fleet, sleep: async () => undefined });
  cleanups.push(async () => {
    await ai.close();
    await fleet[Symbol.asyncDispose]();
    commands.disconnect();
  });
  return { ai, fleet, subscriber };
}

/** Two workers under a fresh prefix. */
async function startFleet(resetTimeoutMs: number, size = 2): Promise<Worker[]> {
  prefix = createTestPrefix();
  return Promise.all(Array.from({ length: size }, () => startWorker(resetTimeoutMs)));
}

function request(text = 'hello'): ChatCompletionRequest {
  return {
    provider: 'main',
    model: 'stub-small',
    messages: [{ role: 'user', content: `Bob: ${text}` }],
    temperature: null,
    userKey: null,
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

function breakerOf(worker: Worker): BreakerSnapshot | undefined {
  return worker.ai.breakerSnapshots().find((snapshot) => snapshot.key === BREAKER);
}

/** The breaker's state on each worker (`none` where it was never used). */
function states(workers: readonly Worker[]): string[] {
  return workers.map((worker) => breakerOf(worker)?.state ?? 'none');
}

/** Closes `worker`'s subscription, as a network blip would; resolves once closed. */
async function dropSubscription(worker: Worker): Promise<void> {
  const ended = once(worker.subscriber, 'end');
  worker.subscriber.disconnect();
  await ended;
}

/** Makes `worker`'s own calls fail until its breaker opens; returns its probe deadline. */
async function openOn(worker: Worker): Promise<number> {
  stub.setBehaviour({ errorRate: 1, errorStatus: 503 });
  for (let call = 0; call < VOLUME_THRESHOLD && breakerOf(worker)?.state !== 'open'; call += 1) {
    expect(await failureOf(worker.ai.complete(request()))).toMatchObject({ reason: 'server-error' });
  }
  const snapshot = breakerOf(worker);
  expect(snapshot?.state).toBe('open');
  return snapshot!.probeAt!;
}

describe('fleet breakers', () => {
  describe('when one worker opens', () => {
    it('opens every worker with the same probe deadline, within 1 s', async () => {
      const workers = await startFleet(60_000);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      const probeAt = await openOn(a);

      await vi.waitFor(() => expect(states(workers)).toEqual(['open', 'open']), { timeout: 1_000 });
      expect(Math.abs(breakerOf(b)!.probeAt! - probeAt)).toBeLessThanOrEqual(250);
      const opening = await redis.pttl(buildBreakerOpenKey(prefix, BREAKER));
      expect(opening).toBeGreaterThan(55_000);
      expect(opening).toBeLessThanOrEqual(60_000);

      const calls = stub.requests.length;
      const error = await failureOf(b.ai.complete(request()));
      expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(error).toMatchObject({ reason: 'circuit-open' });
      expect(stub.requests).toHaveLength(calls);
    });

    it('tells a worker that starts later, before its first call', async () => {
      const [a] = await startFleet(60_000, 1);
      const probeAt = await openOn(a!);
      stub.setBehaviour({ errorRate: 0, hangRate: 1 });
      const late = await startWorker(60_000);

      expect(await failureOf(late.ai.complete(request()))).toMatchObject({ reason: 'circuit-open' });
      expect(stub.requests).toHaveLength(VOLUME_THRESHOLD);
      expect(Math.abs(breakerOf(late)!.probeAt! - probeAt)).toBeLessThanOrEqual(250);
    });

    it('tells a worker whose subscription dropped meanwhile, on its next call', async () => {
      const workers = await startFleet(60_000);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      await dropSubscription(b);
      await openOn(a);
      stub.setBehaviour({ errorRate: 0, hangRate: 1 });
      const resubscribed = once(b.subscriber, 'ready');
      await b.subscriber.connect();
      await resubscribed;

      expect(await failureOf(b.ai.complete(request()))).toMatchObject({ reason: 'circuit-open' });
      expect(stub.requests).toHaveLength(VOLUME_THRESHOLD + 1);
      expect(states(workers)).toEqual(['open', 'open']);
    });

    it('keeps the first opening when a second worker opens on its own failures', async () => {
      const workers = await startFleet(60_000);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      await dropSubscription(b);
      const probeAt = await openOn(a);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await openOn(b);

      // Its claim finds the standing opening and takes that deadline.
      await vi.waitFor(() => expect(Math.abs(breakerOf(b)!.probeAt! - probeAt)).toBeLessThanOrEqual(250), {
        timeout: 1_000,
      });
      expect(breakerOf(b)?.state).toBe('open');
    });
  });

  describe("when the provider is back by the half-open probe's time", () => {
    it('lets one worker probe, and its success closes every worker within 1 s', async () => {
      const workers = await startFleet(1_000);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      await openOn(a);
      stub.setBehaviour({ errorRate: 0, latency: 300 });
      await vi.waitFor(() => expect(states(workers)).toEqual(['half-open', 'half-open']), {
        timeout: 3_000,
      });
      const calls = stub.requests.length;

      const [fromA, fromB] = await Promise.all([
        a.ai.complete(request('first')),
        b.ai.complete(request('second')),
      ]);
      expect([fromA.content, fromB.content]).toEqual([
        expect.stringContaining('last="Bob: first"'),
        expect.stringContaining('last="Bob: second"'),
      ]);
      // The second call went out only once the probe had answered.
      const [probe, next] = stub.requests.slice(calls);
      expect(stub.requests).toHaveLength(calls + 2);
      expect(next!.receivedAt).toBeGreaterThanOrEqual(probe!.answeredAt!);
      expect(states(workers)).toEqual(['closed', 'closed']);
      expect(
        await redis.exists(buildBreakerOpenKey(prefix, BREAKER), buildBreakerProbeKey(prefix, BREAKER)),
      ).toBe(0);
    });

    it('closes a worker that made no call within 1 s of the probe', async () => {
      const workers = await startFleet(1_000);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      await openOn(a);
      stub.setBehaviour({ errorRate: 0 });
      await vi.waitFor(() => expect(breakerOf(a)?.state).toBe('half-open'), { timeout: 3_000 });
      await a.ai.complete(request('probe'));
      await vi.waitFor(() => expect(breakerOf(b)?.state).toBe('closed'), { timeout: 1_000 });
    });
  });

  describe('when the probe fails', () => {
    it('opens every worker again, and the calls waiting for it are refused', async () => {
      const workers = await startFleet(1_500);
      const [a, b] = workers as [Worker, Worker];
      await b.ai.complete(request('warm'));
      await openOn(a);
      await vi.waitFor(() => expect(states(workers)).toEqual(['open', 'open']), { timeout: 1_000 });
      const calls = stub.requests.length;

      // Both meet an open breaker due within 3 s: they wait; one of them probes, and fails.
      const errors = await Promise.all([
        failureOf(a.ai.complete(request())),
        failureOf(b.ai.complete(request())),
      ]);
      expect(stub.requests).toHaveLength(calls + 1);
      for (const error of errors) expect(error).toBeInstanceOf(ProviderUnavailableError);
      expect(states(workers)).toEqual(['open', 'open']);
      const [probeAtA, probeAtB] = workers.map((worker) => breakerOf(worker)!.probeAt!);
      expect(Math.abs(probeAtA! - probeAtB!)).toBeLessThanOrEqual(250);
      expect(probeAtA).toBeGreaterThan(stub.requests.at(-1)!.answeredAt!);
    });
  });

  describe('when a call meets an open breaker', () => {
    it('waits for a probe due within 3 s and answers with the provider back', async () => {
      const [a] = await startFleet(2_000, 1);
      await openOn(a!);
      stub.setBehaviour({ errorRate: 0 });
      const startedAt = Date.now();

      await expect(a!.ai.complete(request('patient'))).resolves.toMatchObject({
        content: expect.stringContaining('last="Bob: patient"'),
      });
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_500);
    });

    it('is refused at once when the probe is further away', async () => {
      const [a] = await startFleet(5_000, 1);
      await openOn(a!);
      stub.setBehaviour({ errorRate: 0 });
      const startedAt = Date.now();

      expect(await failureOf(a!.ai.complete(request()))).toMatchObject({ reason: 'circuit-open' });
      expect(Date.now() - startedAt).toBeLessThan(500);
    });
  });
});
