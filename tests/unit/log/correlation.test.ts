import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { currentCorrelation, newCorrelationId, runWithCorrelation } from '../../../src/log/index.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

/** A promise the test opens by hand, for turn-taking without timers. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('newCorrelationId', () => {
  it('returns 12 URL-safe characters', () => {
    expect(newCorrelationId()).toMatch(/^[A-Za-z0-9_-]{12}$/);
  });

  it('returns a different id each time', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newCorrelationId()));
    expect(ids.size).toBe(1000);
  });
});

describe('runWithCorrelation', () => {
  it('exposes the context to everything the function awaits', async () => {
    const seen = await runWithCorrelation({ correlationId: 'abc', jobId: 'reply-1-2' }, async () => {
      await nextTurn();
      return currentCorrelation();
    });
    expect(seen).toEqual({ correlationId: 'abc', jobId: 'reply-1-2' });
  });

  it('keeps a copy, so the caller mutating its object changes nothing', () => {
    const context = { correlationId: 'before' };
    runWithCorrelation(context, () => {
      context.correlationId = 'after';
      expect(currentCorrelation()?.correlationId).toBe('before');
    });
  });

  describe('when outside any scope', () => {
    it('has no current correlation', () => {
      expect(currentCorrelation()).toBeUndefined();
    });
  });

  describe('when two flows interleave', () => {
    it('stamps each log line with its own flow’s correlation id', async () => {
      const { logger, records: lines } = createCapturedLogger();
      // Turn-taking without timers: each flow logs, hands the turn over, and waits for it to come back.
      const turns = { 'flow-a': gate(), 'flow-b': gate() };
      const flow = (name: 'flow-a' | 'flow-b', other: 'flow-a' | 'flow-b') =>
        runWithCorrelation({ correlationId: name, userId: `user-${name}` }, async () => {
          for (let step = 0; step < 3; step += 1) {
            await turns[name].promise;
            turns[name] = gate();
            logger.child({ module: 'flow' }).info({ step, flow: name }, 'step');
            turns[other].open();
          }
        });
      const done = Promise.all([flow('flow-a', 'flow-b'), flow('flow-b', 'flow-a')]);
      turns['flow-a'].open();
      await done;

      expect(lines.map((line) => line['flow'])).toEqual([
        'flow-a',
        'flow-b',
        'flow-a',
        'flow-b',
        'flow-a',
        'flow-b',
      ]);
      for (const line of lines) {
        expect(line['correlationId']).toBe(line['flow']);
        expect(line['userId']).toBe(`user-${line['flow']}`);
      }
    });
  });
});

describe('createLogger correlation mixin', () => {
  describe('when inside a correlation scope', () => {
    it('lets fields of the log call win over the context', () => {
      const { logger, records: lines } = createCapturedLogger();
      runWithCorrelation({ correlationId: 'ctx', jobId: 'from-context' }, () => {
        logger.info({ jobId: 'from-call' }, 'posted');
      });
      expect(lines[0]).toMatchObject({ correlationId: 'ctx', jobId: 'from-call', msg: 'posted' });
    });

    it('still redacts secrets', () => {
      const { logger, records: lines } = createCapturedLogger();
      runWithCorrelation({ correlationId: 'ctx' }, () => {
        logger.info({ token: 'secret-value' }, 'login');
      });
      expect(lines[0]).toMatchObject({ correlationId: 'ctx', token: '[REDACTED]' });
    });
  });

  describe('when outside any correlation scope', () => {
    it('adds no correlation fields', () => {
      const { logger, records: lines } = createCapturedLogger();
      logger.info({ jobId: 'j' }, 'plain');
      expect(lines[0]).not.toHaveProperty('correlationId');
      expect(lines[0]).toMatchObject({ jobId: 'j', service: 'test' });
    });
  });
});
