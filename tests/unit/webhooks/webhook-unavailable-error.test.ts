import { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { ChorusError, ChorusErrorCode } from '../../../src/errors/index.js';
import {
  WebhookUnavailableError,
  WebhookUnavailableReason,
} from '../../../src/webhooks/webhook-unavailable-error.js';

describe('WebhookUnavailableError', () => {
  const error = new WebhookUnavailableError(WebhookUnavailableReason.MissingPermissions, 'no webhooks', {
    channelId: '1',
    discordCode: 50013,
  });

  it('is a ChorusError with the WebhookUnavailable code and its context', () => {
    expect(error).toBeInstanceOf(ChorusError);
    expect(error.code).toBe(ChorusErrorCode.WebhookUnavailable);
    expect(error.context).toEqual({ channelId: '1', discordCode: 50013 });
    expect(error.message).toContain('MissingPermissions');
  });

  describe('when BullMQ decides whether to retry the job', () => {
    it('fails the job without retrying, attempts left or not', async () => {
      // The real decision function, on a job with two of three attempts left.
      const job = { attemptsMade: 0, attemptsStarted: 1, opts: { attempts: 3 }, queue: { opts: {} } };
      // Private in the typings; it is the function BullMQ calls when a processor throws.
      const { shouldRetryJob } = Job.prototype as unknown as {
        shouldRetryJob: (this: unknown, err: Error) => Promise<[boolean, number]>;
      };
      const [retryUnavailable] = await shouldRetryJob.call(job, error);
      const [retryTransient] = await shouldRetryJob.call(job, new Error('transient'));
      expect(retryUnavailable).toBe(false);
      expect(retryTransient).toBe(true);
    });
  });
});
