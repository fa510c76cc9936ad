import { describe, expect, it } from 'vitest';
import { type ChorusMetrics, createMetrics } from '../../../src/metrics/index.js';

const worker = { service: 'worker' };

function create(): ChorusMetrics {
  return createMetrics({ service: 'worker', collectDefault: false });
}

/** The value of the sample `name{labels}` in Prometheus text (label order does not matter), or undefined. */
function sampleValue(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]),
    );
    if (JSON.stringify(Object.entries(found).sort()) === JSON.stringify(Object.entries(labels).sort())) {
      return Number(match[3]);
    }
  }
  return undefined;
}

describe('createMetrics', () => {
  it.each<[string, (metrics: ChorusMetrics) => void, string, Record<string, string>, number]>([
    [
      'messagesSeen',
      (m) => m.messagesSeen.inc({ reason: 'mention' }),
      'chorus_messages_seen_total',
      { reason: 'mention' },
      1,
    ],
    ['jobsEnqueued', (m) => m.jobsEnqueued.inc(2), 'chorus_jobs_enqueued_total', {}, 2],
    [
      'jobsRefused',
      (m) => m.jobsRefused.inc({ reason: 'queue-full' }),
      'chorus_jobs_refused_total',
      { reason: 'queue-full' },
      1,
    ],
    ['jobWaitSeconds', (m) => m.jobWaitSeconds.observe(0.02), 'chorus_job_wait_seconds_count', {}, 1],
    [
      'jobDurationSeconds',
      (m) => m.jobDurationSeconds.observe({ outcome: 'replied' }, 3),
      'chorus_job_duration_seconds_bucket',
      { le: '5', outcome: 'replied' },
      1,
    ],
    [
      'aiLatencySeconds',
      (m) => m.aiLatencySeconds.observe({ provider: 'default', model: 'gpt' }, 1.5),
      'chorus_ai_latency_seconds_sum',
      { provider: 'default', model: 'gpt' },
      1.5,
    ],
    [
      'aiErrors',
      (m) => m.aiErrors.inc({ provider: 'default', model: 'gpt', kind: 'timeout' }),
      'chorus_ai_errors_total',
      { provider: 'default', model: 'gpt', kind: 'timeout' },
      1,
    ],
    [
      'aiFallbackAnswers',
      (m) => m.aiFallbackAnswers.inc({ provider: 'backup', model: 'gpt-mini' }),
      'chorus_ai_fallback_answers_total',
      { provider: 'backup', model: 'gpt-mini' },
      1,
    ],
    [
      'aiTokens',
      (m) => m.aiTokens.inc({ provider: 'default', model: 'gpt', kind: 'prompt', payer: 'operator' }, 120),
      'chorus_ai_tokens_total',
      { provider: 'default', model: 'gpt', kind: 'prompt', payer: 'operator' },
      120,
    ],
    [
      'webhookPosts',
      (m) => m.webhookPosts.inc({ outcome: 'posted' }),
      'chorus_webhook_posts_total',
      { outcome: 'posted' },
      1,
    ],
    [
      'discordRateLimited',
      (m) => m.discordRateLimited.inc({ scope: 'shared' }),
      'chorus_discord_rate_limited_total',
      { scope: 'shared' },
      1,
    ],
    [
      'webhookCacheLookups',
      (m) => m.webhookCacheLookups.inc({ result: 'hit' }),
      'chorus_webhook_cache_lookups_total',
      { result: 'hit' },
      1,
    ],
  ])('exports %s', async (_name, record, sample, labels, value) => {
    const metrics = create();
    record(metrics);
    const text = await metrics.registry.metrics();
    expect(sampleValue(text, sample, { ...labels, ...worker })).toBe(value);
  });

  it('keeps each instance in its own registry', async () => {
    const first = create();
    const second = create();
    first.jobsEnqueued.inc();
    expect(sampleValue(await second.registry.metrics(), 'chorus_jobs_enqueued_total', worker)).toBe(0);
  });

  describe('when default metrics are on', () => {
    it('exports the process and runtime metrics too', async () => {
      const metrics = createMetrics({ service: 'gateway' });
      const text = await metrics.registry.metrics();
      expect(sampleValue(text, 'process_cpu_user_seconds_total', { service: 'gateway' })).toBeTypeOf(
        'number',
      );
      expect(sampleValue(text, 'nodejs_eventloop_lag_seconds', { service: 'gateway' })).toBeTypeOf('number');
    });
  });

  describe('queueDepth', () => {
    it('reads the injected collector on every scrape', async () => {
      const metrics = create();
      let waiting = 3;
      metrics.queueDepth.collectWith(async () => ({ waiting, active: 1 }));
      const depth = (text: string, state: string) =>
        sampleValue(text, 'chorus_queue_depth', { state, service: 'worker' });
      expect(depth(await metrics.registry.metrics(), 'waiting')).toBe(3);
      waiting = 7;
      const text = await metrics.registry.metrics();
      expect(depth(text, 'waiting')).toBe(7);
      expect(depth(text, 'active')).toBe(1);
    });

    describe('when the collector fails', () => {
      it('drops the series but still serves every other metric', async () => {
        const metrics = create();
        let fail = false;
        metrics.queueDepth.collectWith(async () => {
          if (fail) throw new Error('Redis down');
          return { waiting: 2 };
        });
        await metrics.registry.metrics();
        fail = true;
        metrics.jobsEnqueued.inc();
        const text = await metrics.registry.metrics();
        expect(text).not.toContain('chorus_queue_depth{');
        expect(sampleValue(text, 'chorus_jobs_enqueued_total', worker)).toBe(1);
      });
    });
  });

  describe('breakerState', () => {
    const gpt = { provider: 'default', model: 'gpt' };
    const state = async (metrics: ChorusMetrics) =>
      sampleValue(await metrics.registry.metrics(), 'chorus_ai_breaker_state', { ...gpt, service: 'worker' });

    it('shows the worst state among the model’s breakers, without a key label', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'closed');
      metrics.breakerState.report(gpt, 'key-abc', 'open');
      metrics.breakerState.report(gpt, 'key-def', 'half-open');
      expect(await state(metrics)).toBe(2);
      expect(await metrics.registry.metrics()).not.toContain('key-abc');
    });

    it('recovers when the open breaker closes or is forgotten', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'closed');
      metrics.breakerState.report(gpt, 'key-abc', 'open');
      metrics.breakerState.report(gpt, 'key-def', 'half-open');
      metrics.breakerState.forget(gpt, 'key-abc');
      expect(await state(metrics)).toBe(1);
      metrics.breakerState.report(gpt, 'key-def', 'closed');
      expect(await state(metrics)).toBe(0);
    });

    it('removes the series once its last breaker is forgotten', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'open');
      metrics.breakerState.forget(gpt, 'operator');
      metrics.breakerState.forget(gpt, 'never-reported');
      expect(await state(metrics)).toBeUndefined();
    });
  });
});
