import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ReadinessCheck, runReadinessChecks } from '../../../src/http/index.js';

const passing: ReadinessCheck = { name: 'redis', probe: async () => true };

describe('runReadinessChecks', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each<[string, ReadinessCheck['probe'], string]>([
    ['resolves false', async () => false, 'not ready'],
    ['returns false synchronously', () => false, 'not ready'],
    [
      'rejects',
      async () => {
        throw new TypeError('connect ECONNREFUSED redis://:hunter2@redis:6379');
      },
      'failed: TypeError',
    ],
    [
      'throws synchronously',
      () => {
        throw new RangeError('nope');
      },
      'failed: RangeError',
    ],
  ])('fails a check whose probe %s', async (_name, probe, detail) => {
    const report = await runReadinessChecks([passing, { name: 'discord', probe }]);
    expect(report).toEqual({
      ready: false,
      checks: [
        { name: 'redis', ok: true },
        { name: 'discord', ok: false, detail },
      ],
    });
  });

  it('never reports an error message, which may hold a connection string', async () => {
    const report = await runReadinessChecks([
      {
        name: 'redis',
        probe: async () => {
          throw new Error('redis://:hunter2@redis:6379 refused');
        },
      },
    ]);
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });

  describe('when every check passes', () => {
    it('is ready', async () => {
      expect(await runReadinessChecks([passing, { name: 'discord', probe: () => true }])).toEqual({
        ready: true,
        checks: [
          { name: 'redis', ok: true },
          { name: 'discord', ok: true },
        ],
      });
    });
  });

  describe('when there are no checks', () => {
    it('is ready', async () => {
      expect(await runReadinessChecks([])).toEqual({ ready: true, checks: [] });
    });
  });

  describe('when a probe hangs', () => {
    it('fails it after the timeout and still reports the others', async () => {
      vi.useFakeTimers();
      const hanging: ReadinessCheck = { name: 'redis', probe: () => new Promise<boolean>(() => {}) };
      const pending = runReadinessChecks([hanging, { name: 'discord', probe: () => true }], {
        timeoutMs: 250,
      });
      await vi.advanceTimersByTimeAsync(250);
      expect(await pending).toEqual({
        ready: false,
        checks: [
          { name: 'redis', ok: false, detail: 'timed out after 250 ms' },
          { name: 'discord', ok: true },
        ],
      });
    });

    it('handles the probe rejecting after its timeout', async () => {
      vi.useFakeTimers();
      let reject: (error: Error) => void = () => {};
      const promise = new Promise<boolean>((_resolve, rejectPromise) => {
        reject = rejectPromise;
      });
      const pending = runReadinessChecks([{ name: 'redis', probe: () => promise }], { timeoutMs: 100 });
      await vi.advanceTimersByTimeAsync(100);
      expect((await pending).ready).toBe(false);
      // An unhandled rejection here would fail the run.
      reject(new Error('late'));
      await vi.advanceTimersByTimeAsync(0);
    });
  });
});
