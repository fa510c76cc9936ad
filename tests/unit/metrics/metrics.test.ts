import { describe, expect, it } from 'vitest';
import { type ChorusMetrics, createMetrics } from '../../../src/metrics/index.js';

function create(): ChorusMetrics {
  return createMetrics({ service: 'worker', collectDefault: false });
}

describe('createMetrics', () => {
  it.each<[string, (metrics: ChorusMetrics) => void, string]>([
    [
      'messagesSeen',
      (m) => m.messagesSeen.inc({ reason: 'mention' }),
      'chorus_messages_seen_total{reason="mention",service="worker"} 1',
    ],
    ['jobsEnqueued', (m) => m.jobsEnqueued.inc(2), 'chorus_jobs_enqueued_total{service="worker"} 2'],
    [
      'jobsRefused',
      (m) => m.jobsRefused.inc({ reason: 'queue-full' }),
      'chorus_jobs_refused_total{reason="queue-full",service="worker"} 1',
    ],
    ['jobWaitSeconds', (m) => m.jobWaitSeconds.observe(0.02), 'chorus_job_wait_seconds_count{service="worker"} 1'],
    [
      'jobDurationSeconds',
      (m) => m.jobDurationSeconds.observe({ outcome: 'replied' }, 3),
      'chorus_job_duration_seconds_bucket{le="5",outcome="replied",service="worker"} 1',
    ],
    [
      'aiLatencySeconds',
      (m) => m.aiLatencySeconds.observe({ provider: 'default', model: 'gpt' }, 1.5),
      'chorus_ai_latency_seconds_sum{provider="default",model="gpt",service="worker"} 1.5',
    ],
    [
      'aiErrors',
      (m) => m.aiErrors.inc({ provider: 'default', model: 'gpt', kind: 'timeout' }),
      'chorus_ai_errors_total{provider="default",model="gpt",kind="timeout",service="worker"} 1',
    ],
    [
      'webhookPosts',
      (m) => m.webhookPosts.inc({ outcome: 'posted' }),
      'chorus_webhook_posts_total{outcome="posted",service="worker"} 1',
    ],
    [
      'discordRateLimited',
      (m) => m.discordRateLimited.inc({ scope: 'shared' }),
      'chorus_discord_rate_limited_total{scope="shared",service="worker"} 1',
    ],
    [
      'webhookCacheLookups',
      (m) => m.webhookCacheLookups.inc({ result: 'hit' }),
      'chorus_webhook_cache_lookups_total{result="hit",service="worker"} 1',
    ],
  ])('exports %s', async (_name, record, expected) => {
    const metrics = create();
    record(metrics);
    expect((await metrics.registry.metrics()).split('\n')).toContain(expected);
  });

  it('keeps each instance in its own registry', async () => {
    const first = create();
    const second = create();
    first.jobsEnqueued.inc();
    expect(await second.registry.metrics()).toContain('chorus_jobs_enqueued_total{service="worker"} 0');
  });

  describe('when default metrics are on', () => {
    it('exports the process and runtime metrics too', async () => {
      const metrics = createMetrics({ service: 'gateway' });
      const text = await metrics.registry.metrics();
      expect(text).toContain('process_cpu_user_seconds_total{service="gateway"}');
      expect(text).toContain('nodejs_eventloop_lag_seconds{service="gateway"}');
    });
  });

  describe('queueDepth', () => {
    it('reads the injected collector on every scrape', async () => {
      const metrics = create();
      let waiting = 3;
      metrics.queueDepth.collectWith(async () => ({ waiting, active: 1 }));
      expect(await metrics.registry.metrics()).toContain('chorus_queue_depth{state="waiting",service="worker"} 3');
      waiting = 7;
      const text = await metrics.registry.metrics();
      expect(text).toContain('chorus_queue_depth{state="waiting",service="worker"} 7');
      expect(text).toContain('chorus_queue_depth{state="active",service="worker"} 1');
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
        expect(text).toContain('chorus_jobs_enqueued_total{service="worker"} 1');
      });
    });
  });

  describe('breakerState', () => {
    const gpt = { provider: 'default', model: 'gpt' };
    const series = 'chorus_ai_breaker_state{provider="default",model="gpt",service="worker"}';

    it('shows the worst state among the model’s breakers, without a key label', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'closed');
      metrics.breakerState.report(gpt, 'key-abc', 'open');
      metrics.breakerState.report(gpt, 'key-def', 'half-open');
      const text = await metrics.registry.metrics();
      expect(text).toContain(`${series} 2`);
      expect(text).not.toContain('key-abc');
    });

    it('recovers when the open breaker closes or is forgotten', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'closed');
      metrics.breakerState.report(gpt, 'key-abc', 'open');
      metrics.breakerState.report(gpt, 'key-def', 'half-open');
      metrics.breakerState.forget(gpt, 'key-abc');
      expect(await metrics.registry.metrics()).toContain(`${series} 1`);
      metrics.breakerState.report(gpt, 'key-def', 'closed');
      expect(await metrics.registry.metrics()).toContain(`${series} 0`);
    });

    it('removes the series once its last breaker is forgotten', async () => {
      const metrics = create();
      metrics.breakerState.report(gpt, 'operator', 'open');
      metrics.breakerState.forget(gpt, 'operator');
      metrics.breakerState.forget(gpt, 'never-reported');
      expect(await metrics.registry.metrics()).not.toContain(series);
    });
  });
});
