import { describe, expect, it } from 'vitest';
import type { FleetStats } from '../../../src/ai/index.js';
import { buildStatusEmbed } from '../../../src/commands/status-view.js';

const NOW = Date.UTC(2026, 5, 1);

function fleet(overrides: Partial<FleetStats> = {}): FleetStats {
  return { generatedAt: NOW, workers: [], jobsInFlight: 0, breakers: [], providers: [], ...overrides };
}

const breaker = (
  keyFingerprint: string,
  state: 'closed' | 'half-open' | 'open',
  model = 'stub-small',
  probeAt: number | null = null,
) => ({
  key: `default:${model}:${keyFingerprint}`,
  provider: 'default',
  model,
  keyFingerprint,
  state,
  workersOpen: state === 'open' ? 1 : 0,
  workersHalfOpen: state === 'half-open' ? 1 : 0,
  workersClosed: state === 'closed' ? 1 : 0,
  failures: 0,
  successes: 0,
  rejects: 0,
  latencyP95Ms: null,
  probeAt,
});

const user = { pending: 1, maxPending: 5, available: 2, burst: 3, ratePerMinute: 6, retryAfterMs: 0 };

describe('buildStatusEmbed', () => {
  describe('when the fleet is idle', () => {
    it('shows the caller’s limits, the queue and no providers', () => {
      const embed = buildStatusEmbed({ user, keys: [], queue: { waiting: 4, active: 2 }, fleet: fleet() });
      expect(embed.fields?.map((field) => field.value)).toEqual([
        'Replies on the way: 1 of at most 5\nMessages you can send now: 2 of 3 (refills at 6/min)\nYour API keys: none (the bot’s keys are used)',
        '4 waiting, 2 being answered, 0 live workers',
        'No AI calls recently.',
      ]);
    });
  });

  describe('when breakers are open', () => {
    it('lists operator breakers with latency, worst first, and only the caller’s own key breakers', () => {
      const embed = buildStatusEmbed({
        user: { ...user, available: 0, retryAfterMs: 4200 },
        keys: [{ provider: 'default', fingerprint: 'aaaa1111bbbb', updatedAt: 0 }],
        queue: { waiting: 0, active: 0 },
        fleet: fleet({
          workers: [{ workerId: 'w1', updatedAt: NOW, jobsInFlight: 0, breakerCount: 3 }],
          breakers: [
            breaker('operator', 'closed', 'big'),
            breaker('operator', 'open'),
            breaker('aaaa1111bbbb', 'half-open'),
            breaker('ffff9999eeee', 'open'),
          ],
          providers: [
            {
              provider: 'default',
              model: 'stub-small',
              successes: 10,
              faults: 5,
              rejected: 0,
              shortCircuited: 0,
              cancelled: 0,
              latencyHistogram: [],
              latencyP50Ms: 420,
              latencyP95Ms: 2600,
            },
          ],
        }),
      });
      const [you, queue, providers] = embed.fields?.map((field) => field.value) ?? [];
      expect(you).toContain('Messages you can send now: 0 of 3 (refills at 6/min; next in 5 s)');
      expect(you).toContain('Your API keys: default `aaaa1111bbbb`');
      expect(you).toContain(
        'Your key `aaaa1111bbbb` on default/stub-small: recovering (half-open: trying one call)',
      );
      expect(you).not.toContain('ffff9999eeee');
      expect(queue).toBe('0 waiting, 0 being answered, 1 live worker');
      expect(providers).toBe(
        'default/stub-small: failing (open) · p50 420 ms · p95 2.6 s\ndefault/big: working (closed) · p50 – · p95 –',
      );
      expect(JSON.stringify(embed)).not.toContain('ffff9999eeee');
    });
  });

  describe('when an open breaker has a probe time', () => {
    it('says when each open model retries, as a Discord timestamp, or that it is retrying now', () => {
      const embed = buildStatusEmbed({
        user,
        keys: [],
        queue: { waiting: 0, active: 0 },
        fleet: fleet({
          breakers: [
            breaker('operator', 'open', 'stub-small', NOW + 20_500),
            breaker('operator', 'open', 'stub-large', NOW - 100),
            breaker('operator', 'half-open', 'stub-mid'),
          ],
        }),
      });
      expect(embed.fields?.[2]?.value.split('\n')).toEqual([
        'default/stub-large: failing (open; retrying now) · p50 – · p95 –',
        `default/stub-small: failing (open; retries <t:${Math.ceil((NOW + 20_500) / 1000)}:R>) · p50 – · p95 –`,
        'default/stub-mid: recovering (half-open: trying one call) · p50 – · p95 –',
      ]);
    });
  });
});
