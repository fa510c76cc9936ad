import { describe, expect, it, vi } from 'vitest';
import { AiService } from '../../../src/ai/ai-service.js';
import type { UserApiKey } from '../../../src/ai/chat-completion.js';
import {
  buildAllDownError,
  type ChainFallThrough,
  type ChainModel,
  decideAfterFailure,
  planModelChain,
  runModelChain,
} from '../../../src/ai/model-fallback.js';
import {
  ProviderRejectedError,
  type ProviderRejectedReason,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from '../../../src/ai/provider-errors.js';
import type { Config } from '../../../src/config/index.js';
import { ChorusError, ChorusErrorCode } from '../../../src/errors/index.js';
import { createLogger } from '../../../src/log/index.js';

const MAIN = { provider: 'main', model: 'big' };
const BACKUP = { provider: 'backup', model: 'small' };
const OTHER = { provider: 'other', model: 'tiny' };

const unavailable = (
  choice: { provider: string; model: string },
  reason: ProviderUnavailableReason = 'server-error',
  retryAfterMs: number | null = null,
) => new ProviderUnavailableError({ ...choice, reason, retryAfterMs });

const rejected = (choice: { provider: string; model: string }, reason: ProviderRejectedReason) =>
  new ProviderRejectedError({ ...choice, reason, keyOwner: 'user', status: 400 });

describe('planModelChain', () => {
  describe('when the personality has no fallbacks', () => {
    it('is its own model alone, tried patiently', () => {
      expect(planModelChain(MAIN, [])).toEqual([{ ...MAIN, fallback: 0, failFast: false }]);
    });
  });

  describe('when it has fallbacks', () => {
    it('puts its own model first, then the fallbacks in order; only the last is tried patiently', () => {
      expect(planModelChain(MAIN, [BACKUP, OTHER])).toEqual([
        { ...MAIN, fallback: 0, failFast: true },
        { ...BACKUP, fallback: 1, failFast: true },
        { ...OTHER, fallback: 2, failFast: false },
      ]);
    });

    it('leaves out a fallback equal to its own model or repeated, the others keeping their number', () => {
      expect(planModelChain(MAIN, [MAIN, BACKUP, BACKUP, OTHER]).map((model) => model.fallback)).toEqual([
        0, 2, 4,
      ]);
    });
  });
});

describe('decideAfterFailure', () => {
  const own: ChainModel = { ...MAIN, fallback: 0, failFast: true };
  const fallback: ChainModel = { ...BACKUP, fallback: 1, failFast: false };

  it.each<[string, ChainModel, unknown, 'down' | 'skip' | 'throw']>([
    ['an open breaker', own, unavailable(MAIN, 'circuit-open'), 'down'],
    ['a 5xx', own, unavailable(MAIN, 'server-error'), 'down'],
    ['a 429', own, unavailable(MAIN, 'rate-limited'), 'down'],
    ['a timeout', own, unavailable(MAIN, 'timeout'), 'down'],
    ['a fallback timing out', fallback, unavailable(BACKUP, 'timeout'), 'down'],
    ['a bad request', own, rejected(MAIN, 'rejected'), 'throw'],
    ['a prompt too long', own, rejected(MAIN, 'context-length'), 'throw'],
    ['a refused key of its own model', own, rejected(MAIN, 'invalid-key'), 'throw'],
    ['a missing key for its own model', own, rejected(MAIN, 'missing-key'), 'throw'],
    ['a bad request to a fallback', fallback, rejected(BACKUP, 'rejected'), 'throw'],
    ['a prompt too long for a fallback', fallback, rejected(BACKUP, 'context-length'), 'throw'],
    ['a refused key for a fallback', fallback, rejected(BACKUP, 'invalid-key'), 'skip'],
    ['a spent key for a fallback', fallback, rejected(BACKUP, 'quota-exceeded'), 'skip'],
    ['no key for a fallback', fallback, rejected(BACKUP, 'missing-key'), 'skip'],
    ['a fallback provider no longer configured', fallback, rejected(BACKUP, 'unknown-provider'), 'skip'],
    ['a cancellation', own, new ChorusError(ChorusErrorCode.Cancelled, 'cancelled'), 'throw'],
    ['a bug', own, new TypeError('oops'), 'throw'],
  ])('after %s: %s', (_name, model, error, expected) => {
    expect(decideAfterFailure(model, error)).toBe(expected);
  });
});

describe('buildAllDownError', () => {
  describe('when only its own model was tried', () => {
    it('is that model’s error, unchanged', () => {
      const error = unavailable(MAIN, 'circuit-open', 12_000);
      expect(buildAllDownError([error])).toBe(error);
    });
  });

  describe('when fallbacks were down too', () => {
    it('names its own model and reason, with the soonest retry of them all', () => {
      const error = buildAllDownError([
        unavailable(MAIN, 'circuit-open', 20_000),
        unavailable(BACKUP, 'timeout', null),
        unavailable(OTHER, 'rate-limited', 4_000),
      ]);
      expect(error).toMatchObject({ ...MAIN, reason: 'circuit-open', retryAfterMs: 4_000 });
      expect(error.cause).toBeInstanceOf(AggregateError);
    });
  });
});

describe('runModelChain', () => {
  /** Runs the chain with `outcomes` per provider: a string answers, an error fails. */
  async function run(chain: ChainModel[], outcomes: Record<string, string | Error>) {
    const tried: string[] = [];
    const passed: ChainFallThrough[] = [];
    const result = runModelChain(
      chain,
      async (model) => {
        tried.push(model.provider);
        const outcome = outcomes[model.provider]!;
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
      (fallThrough) => passed.push(fallThrough),
    );
    return { result, tried, passed };
  }

  describe('when its own model answers', () => {
    it('tries nothing else', async () => {
      const { result, tried } = await run(planModelChain(MAIN, [BACKUP]), { main: 'hi' });
      await expect(result).resolves.toMatchObject({ value: 'hi', model: { fallback: 0 } });
      expect(tried).toEqual(['main']);
    });
  });

  describe('when its own model’s breaker is open', () => {
    it('lets the first fallback answer', async () => {
      const { result, tried, passed } = await run(planModelChain(MAIN, [BACKUP, OTHER]), {
        main: unavailable(MAIN, 'circuit-open'),
        backup: 'from backup',
      });
      await expect(result).resolves.toMatchObject({
        value: 'from backup',
        model: { ...BACKUP, fallback: 1 },
      });
      expect(tried).toEqual(['main', 'backup']);
      expect(passed).toEqual([
        expect.objectContaining({ model: expect.objectContaining(MAIN), step: 'down' }),
      ]);
    });
  });

  describe('when a provider fault meets one fallback after another', () => {
    it('falls through to the next, skipping one the user cannot use', async () => {
      const { result, tried, passed } = await run(planModelChain(MAIN, [BACKUP, OTHER]), {
        main: unavailable(MAIN, 'server-error'),
        backup: rejected(BACKUP, 'missing-key'),
        other: 'from other',
      });
      await expect(result).resolves.toMatchObject({ value: 'from other', model: { fallback: 2 } });
      expect(tried).toEqual(['main', 'backup', 'other']);
      expect(passed.map((fallThrough) => fallThrough.step)).toEqual(['down', 'skip']);
    });
  });

  describe('when the request itself is refused', () => {
    it('throws that refusal without trying a fallback', async () => {
      const refusal = rejected(MAIN, 'context-length');
      const { result, tried } = await run(planModelChain(MAIN, [BACKUP]), { main: refusal, backup: 'x' });
      await expect(result).rejects.toBe(refusal);
      expect(tried).toEqual(['main']);
    });
  });

  describe('when every model is down', () => {
    it('throws one error for them all', async () => {
      const { result } = await run(planModelChain(MAIN, [BACKUP]), {
        main: unavailable(MAIN, 'server-error', 30_000),
        backup: unavailable(BACKUP, 'circuit-open', 9_000),
      });
      await expect(result).rejects.toMatchObject({ ...MAIN, reason: 'server-error', retryAfterMs: 9_000 });
    });
  });
});

describe('AiService.completeWithFallbacks', () => {
  const KEYS: Record<string, UserApiKey> = { backup: { key: 'sk-user-backup', fingerprint: 'bbbb' } };

  function createService() {
    const config: Config['ai'] = {
      timeoutMs: 1_000,
      maxRetries: 2,
      providers: new Map(),
      defaultProvider: 'main',
      breaker: { errorThresholdPercentage: 50, volumeThreshold: 3, resetTimeoutMs: 1_000 },
    };
    const onFallbackAnswer = vi.fn();
    const service = new AiService({ config, logger: createLogger({ level: 'silent' }), onFallbackAnswer });
    return { service, onFallbackAnswer };
  }

  it("calls each model with the user's key for its provider, and fails fast on all but the last", async () => {
    const { service, onFallbackAnswer } = createService();
    const complete = vi
      .spyOn(service, 'complete')
      .mockRejectedValueOnce(unavailable(MAIN, 'circuit-open'))
      .mockResolvedValueOnce({ content: 'from backup', latencyMs: 5, reasoningOnly: false, usage: null });
    const open = vi.fn((provider: string) => KEYS[provider] ?? null);
    const result = await service.completeWithFallbacks(
      { ...MAIN, messages: [{ role: 'user', content: 'hi' }], temperature: null, keys: { open } },
      [BACKUP],
    );
    expect(result).toMatchObject({ content: 'from backup', ...BACKUP, fallback: 1 });
    expect(complete.mock.calls).toEqual([
      [expect.objectContaining({ ...MAIN, userKey: null }), { failFast: true }],
      [expect.objectContaining({ ...BACKUP, userKey: KEYS['backup'] }), { failFast: false }],
    ]);
    expect(open.mock.calls).toEqual([['main'], ['backup']]);
    expect(onFallbackAnswer).toHaveBeenCalledWith({
      ...BACKUP,
      fallback: 1,
      primaryProvider: 'main',
      primaryModel: 'big',
    });
    await service.close();
  });

  it('opens no fallback key while its own model answers', async () => {
    const { service, onFallbackAnswer } = createService();
    vi.spyOn(service, 'complete').mockResolvedValueOnce({
      content: 'hi',
      latencyMs: 5,
      reasoningOnly: false,
      usage: null,
    });
    const open = vi.fn(() => null);
    await service.completeWithFallbacks(
      { ...MAIN, messages: [{ role: 'user', content: 'hi' }], temperature: null, keys: { open } },
      [BACKUP],
    );
    expect(open.mock.calls).toEqual([['main']]);
    expect(onFallbackAnswer).not.toHaveBeenCalled();
    await service.close();
  });
});
