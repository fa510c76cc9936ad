import { describe, expect, it } from 'vitest';
import {
  bucketHash,
  DefaultRateLimitSettings,
  type RateLimitDecision,
  RateLimitEngine,
  type RateLimitSettings,
} from '../../../sandbox/rate-limits.js';

const executeRoute = 'POST /webhooks/:id/:token';
const start = 1_700_000_000_000;

function fakeClock() {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

function setup(settings: Partial<RateLimitSettings> = {}) {
  const clock = fakeClock();
  return { clock, engine: new RateLimitEngine(settings, clock.now) };
}

const execute = (webhookId: string) => ({ route: executeRoute, majorId: webhookId, authenticated: false });
const botCall = (channelId: string) => ({
  route: 'POST /channels/:id/messages',
  majorId: channelId,
  authenticated: true,
  channelId,
});

function refused(decision: RateLimitDecision) {
  if (decision.allowed) throw new Error('expected a 429');
  return decision;
}

describe('RateLimitEngine', () => {
  describe('when one webhook executes repeatedly', () => {
    it('admits 5 per window with decreasing headers', () => {
      const { engine } = setup();
      const remaining = Array.from(
        { length: 5 },
        () => engine.take(execute('w1')).headers['X-RateLimit-Remaining'],
      );
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
    });

    it('describes the bucket on every admitted request', () => {
      const { engine, clock } = setup();
      engine.take(execute('w1'));
      clock.advance(500);
      const decision = engine.take(execute('w1'));
      expect(decision).toEqual({
        allowed: true,
        headers: {
          'X-RateLimit-Limit': '5',
          'X-RateLimit-Remaining': '3',
          'X-RateLimit-Reset': ((start + 2000) / 1000).toFixed(3),
          'X-RateLimit-Reset-After': '1.500',
          'X-RateLimit-Bucket': bucketHash(executeRoute),
        },
      });
    });

    it('refuses the 6th with retry_after equal to the rest of the window', () => {
      const { engine, clock } = setup();
      for (let i = 0; i < 5; i += 1) engine.take(execute('w1'));
      clock.advance(750);
      const decision = refused(engine.take(execute('w1')));
      expect(decision.status).toBe(429);
      expect(decision.body).toEqual({
        message: 'You are being rate limited.',
        retry_after: 1.25,
        global: false,
      });
      expect(decision.headers).toMatchObject({
        'Retry-After': '2',
        'X-RateLimit-Scope': 'user',
        'X-RateLimit-Remaining': '0',
        'X-RateLimit-Reset-After': '1.250',
      });
      expect(decision.headers['X-RateLimit-Global']).toBeUndefined();
    });

    it('does not consume a slot when refusing', () => {
      const { engine, clock } = setup();
      for (let i = 0; i < 5; i += 1) engine.take(execute('w1'));
      for (let i = 0; i < 3; i += 1) engine.take(execute('w1'));
      clock.advance(2000);
      expect(engine.take(execute('w1')).headers['X-RateLimit-Remaining']).toBe('4');
    });

    it('restores the bucket at reset', () => {
      const { engine, clock } = setup();
      for (let i = 0; i < 5; i += 1) engine.take(execute('w1'));
      clock.advance(1999);
      expect(engine.take(execute('w1')).allowed).toBe(false);
      clock.advance(1);
      expect(engine.take(execute('w1'))).toMatchObject({
        allowed: true,
        headers: { 'X-RateLimit-Remaining': '4' },
      });
    });
  });

  describe('when two webhooks execute', () => {
    it('keeps their buckets apart under one bucket hash', () => {
      const { engine } = setup();
      for (let i = 0; i < 5; i += 1) engine.take(execute('w1'));
      const other = engine.take(execute('w2'));
      expect(other).toMatchObject({ allowed: true, headers: { 'X-RateLimit-Remaining': '4' } });
      expect(other.headers['X-RateLimit-Bucket']).toBe(
        engine.take(execute('w1')).headers['X-RateLimit-Bucket'],
      );
    });
  });

  describe('when unauthenticated requests exceed the global limit', () => {
    it('admits 50 per second across webhooks, then answers a global 429', () => {
      const { engine, clock } = setup();
      const admitted = Array.from({ length: 50 }, (_, i) => engine.take(execute(`w${i}`)).allowed);
      expect(admitted.every(Boolean)).toBe(true);
      clock.advance(400);
      const decision = refused(engine.take(execute('w50')));
      expect(decision.body).toEqual({
        message: 'You are being rate limited.',
        retry_after: 0.6,
        global: true,
      });
      expect(decision.headers).toEqual({
        'Retry-After': '1',
        'X-RateLimit-Scope': 'global',
        'X-RateLimit-Global': 'true',
      });
      clock.advance(600);
      expect(engine.take(execute('w50')).allowed).toBe(true);
    });

    it('leaves the bot global limit alone', () => {
      const { engine } = setup();
      for (let i = 0; i < 50; i += 1) engine.take(execute(`w${i}`));
      expect(engine.take(botCall('c1')).allowed).toBe(true);
    });

    it('does not count the refused request against its webhook', () => {
      const { engine, clock } = setup();
      for (let i = 0; i < 50; i += 1) engine.take(execute(`w${i}`));
      engine.take(execute('w0'));
      clock.advance(1000);
      expect(engine.take(execute('w0')).headers['X-RateLimit-Remaining']).toBe('3');
    });
  });

  describe('when a bot exceeds its global limit', () => {
    it('refuses the 51st request in a second', () => {
      const { engine } = setup();
      for (let i = 0; i < 50; i += 1) expect(engine.take(botCall(`c${i}`)).allowed).toBe(true);
      expect(refused(engine.take(botCall('c50'))).body.global).toBe(true);
      expect(engine.take(execute('w1')).allowed).toBe(true);
    });

    it('exempts interaction callbacks', () => {
      const { engine } = setup();
      for (let i = 0; i < 50; i += 1) engine.take(botCall(`c${i}`));
      const callback = {
        route: 'POST /interactions/:id/:token/callback',
        majorId: 'i1',
        authenticated: true,
      };
      expect(engine.take(callback).allowed).toBe(true);
    });
  });

  describe('when a channel has a message limit', () => {
    it('refuses past it with the shared scope and code 20028', () => {
      const { engine, clock } = setup({ channelMessagesPerMinute: 2 });
      expect(engine.take(botCall('c1')).allowed).toBe(true);
      expect(engine.take({ ...execute('w1'), channelId: 'c1' }).allowed).toBe(true);
      clock.advance(15_000);
      const decision = refused(engine.take(botCall('c1')));
      expect(decision.body).toEqual({
        message: 'The write action you are performing on the channel has hit the write rate limit.',
        retry_after: 45,
        global: false,
        code: 20028,
      });
      expect(decision.headers).toMatchObject({ 'Retry-After': '45', 'X-RateLimit-Scope': 'shared' });
      expect(engine.take(botCall('c2')).allowed).toBe(true);
    });
  });

  describe("when a channel's webhooks execute past its hidden limit", () => {
    const inChannel = (webhookId: string, channelId = 'c1') => ({ ...execute(webhookId), channelId });
    /** 3 per 10 s, penalty 4 s: small enough to show the window's edges. */
    const small = {
      webhookChannelPerWindow: 3,
      webhookChannelWindowMs: 10_000,
      webhookChannelRetryAfterMs: 4000,
    };

    it('is on by default at 30 per 60 s with a 40 s penalty', () => {
      expect(DefaultRateLimitSettings).toMatchObject({
        webhookChannelPerWindow: 30,
        webhookChannelWindowMs: 60_000,
        webhookChannelRetryAfterMs: 40_000,
      });
      const { engine, clock } = setup();
      // 30 executes over 30 webhooks (no bucket binds), then the 31st within the minute is refused.
      for (let i = 0; i < 30; i += 1) {
        expect(engine.take(inChannel(`w${i}`)).allowed).toBe(true);
        clock.advance(1000);
      }
      const decision = refused(engine.take(inChannel('w30')));
      expect(decision.body).toEqual({
        message: 'You are being rate limited.',
        retry_after: 40,
        global: false,
      });
      expect(decision.headers).toMatchObject({ 'Retry-After': '40', 'X-RateLimit-Scope': 'shared' });
    });

    it('counts every webhook of the channel in one sliding window, and announces nothing', () => {
      const { engine, clock } = setup(small);
      const first = engine.take(inChannel('w1'));
      clock.advance(4000);
      engine.take(inChannel('w2'));
      clock.advance(4000);
      engine.take(inChannel('w3'));
      // No header tells the channel's budget: only the webhook bucket's.
      expect(first.headers['X-RateLimit-Limit']).toBe('5');
      // 8 s after the first: a fixed window opened by it would still be full, and so is the sliding one.
      clock.advance(1999);
      expect(refused(engine.take(inChannel('w4'))).headers['X-RateLimit-Scope']).toBe('shared');
    });

    it('admits again once the oldest execute leaves the window, unless a refusal set a penalty', () => {
      const { engine, clock } = setup(small);
      for (const webhook of ['w1', 'w2', 'w3']) {
        engine.take(inChannel(webhook));
        clock.advance(1000);
      }
      // 10 s after the first execute it leaves the window: room for exactly one.
      clock.advance(7000);
      expect(engine.take(inChannel('w4')).allowed).toBe(true);
      expect(refused(engine.take(inChannel('w5'))).body.retry_after).toBe(4);
      // The window has room 1 s later (the second execute left it), but the penalty holds for its 4 s.
      clock.advance(1000);
      expect(refused(engine.take(inChannel('w5'))).body.retry_after).toBe(3);
      clock.advance(3000);
      expect(engine.take(inChannel('w5')).allowed).toBe(true);
    });

    it('keeps channels apart, leaves bot messages alone, and scales with timeScale', () => {
      const { engine, clock } = setup({ ...small, timeScale: 0.1 });
      for (const webhook of ['w1', 'w2', 'w3']) engine.take(inChannel(webhook));
      expect(refused(engine.take(inChannel('w4'))).body.retry_after).toBe(0.4);
      expect(engine.take(inChannel('w4', 'c2')).allowed).toBe(true);
      expect(engine.take(botCall('c1')).allowed).toBe(true);
      clock.advance(1000);
      expect(engine.take(inChannel('w4')).allowed).toBe(true);
    });

    it('is off with null, and with the limits off', () => {
      for (const settings of [{ webhookChannelPerWindow: null }, { enabled: false }]) {
        const { engine } = setup(settings);
        for (let i = 0; i < 40; i += 1) expect(engine.take(inChannel(`w${i}`)).allowed).toBe(true);
      }
    });
  });

  describe('when one webhook edits its messages repeatedly', () => {
    const editRoute = 'PATCH /webhooks/:id/:token/messages/:id';
    const deleteRoute = 'DELETE /webhooks/:id/:token/messages/:id';
    const edit = (webhookId: string) => ({ route: editRoute, majorId: webhookId, authenticated: false });

    it('admits 5 per 2 s per webhook in a bucket of its own, then 429s', () => {
      const { engine, clock } = setup();
      const admitted = Array.from({ length: 5 }, () => engine.take(edit('w1')));
      expect(admitted.map((decision) => decision.headers['X-RateLimit-Remaining'])).toEqual([
        '4',
        '3',
        '2',
        '1',
        '0',
      ]);
      expect(admitted[0]?.headers['X-RateLimit-Bucket']).toBe(bucketHash(editRoute));
      expect(bucketHash(editRoute)).not.toBe(bucketHash(executeRoute));
      const refusal = refused(engine.take(edit('w1')));
      expect(refusal.body).toMatchObject({ global: false, retry_after: 2 });
      expect(refusal.headers['X-RateLimit-Scope']).toBe('user');
      // Another webhook, the same webhook's executes and its deletes each have room of their own.
      expect(engine.take(edit('w2')).allowed).toBe(true);
      expect(engine.take(execute('w1')).allowed).toBe(true);
      expect(engine.take({ route: deleteRoute, majorId: 'w1', authenticated: false }).allowed).toBe(true);
      clock.advance(2000);
      expect(engine.take(edit('w1')).allowed).toBe(true);
    });

    it("counts toward the global limit but not the channel's webhook limit", () => {
      const { engine } = setup({ webhookChannelPerWindow: 1, unauthenticatedGlobalPerSecond: 3 });
      const inChannel = { channelId: 'c1' };
      expect(engine.take({ ...execute('w1'), ...inChannel }).allowed).toBe(true);
      expect(engine.take({ ...edit('w1'), ...inChannel }).allowed).toBe(true);
      expect(engine.take({ ...edit('w1'), ...inChannel }).allowed).toBe(true);
      expect(refused(engine.take({ ...edit('w1'), ...inChannel })).body.global).toBe(true);
    });
  });

  describe('when timeScale shortens windows', () => {
    it('resets a webhook bucket after a tenth of the window', () => {
      const { engine, clock } = setup({ timeScale: 0.1 });
      for (let i = 0; i < 5; i += 1) engine.take(execute('w1'));
      const decision = refused(engine.take(execute('w1')));
      expect(decision.body.retry_after).toBe(0.2);
      expect(decision.headers['Retry-After']).toBe('0.200');
      clock.advance(200);
      expect(engine.take(execute('w1')).allowed).toBe(true);
    });

    it('shortens the global window too', () => {
      const { engine, clock } = setup({ timeScale: 0.1 });
      for (let i = 0; i < 50; i += 1) engine.take(execute(`w${i}`));
      expect(engine.take(execute('w50')).allowed).toBe(false);
      clock.advance(100);
      expect(engine.take(execute('w50')).allowed).toBe(true);
    });
  });

  describe('when disabled', () => {
    it('admits everything with unlimited-bucket headers', () => {
      const { engine } = setup({ enabled: false });
      const decisions = Array.from({ length: 200 }, () => engine.take(execute('w1')));
      expect(decisions.every((decision) => decision.allowed)).toBe(true);
      expect(decisions.at(-1)?.headers).toMatchObject({
        'X-RateLimit-Limit': String(2 ** 31 - 1),
        'X-RateLimit-Remaining': String(2 ** 31 - 1),
        'X-RateLimit-Bucket': bucketHash(executeRoute),
      });
      expect(engine.counters).toEqual({ rateLimited: 0, globalRateLimited: 0 });
    });

    it('enforces limits again after update', () => {
      const { engine } = setup({ enabled: false });
      engine.update({ enabled: true, webhookPerWindow: 1 });
      expect(engine.take(execute('w1')).allowed).toBe(true);
      expect(engine.take(execute('w1')).allowed).toBe(false);
    });
  });

  describe('when a route has no per-route limit', () => {
    it('admits it with unlimited-bucket headers under the global limit', () => {
      const { engine } = setup();
      const decision = engine.take({ route: 'GET /channels/:id', majorId: 'c1', authenticated: true });
      expect(decision).toMatchObject({
        allowed: true,
        headers: {
          'X-RateLimit-Bucket': bucketHash('GET /channels/:id'),
          'X-RateLimit-Reset-After': '1.000',
        },
      });
    });
  });

  describe('counters', () => {
    it('counts every 429 and the global ones apart', () => {
      const { engine } = setup({ unauthenticatedGlobalPerSecond: 6 });
      for (let i = 0; i < 6; i += 1) engine.take(execute('w1'));
      engine.take(execute('w2'));
      engine.take(execute('w3'));
      expect(engine.counters).toEqual({ rateLimited: 2, globalRateLimited: 1 });
    });
  });

  it('defaults to Discord published limits', () => {
    expect(new RateLimitEngine().settings).toEqual(DefaultRateLimitSettings);
  });

  it.each([
    ['POST /webhooks/:id/:token', 'POST /channels/:id/messages'],
    ['POST /webhooks/:id/:token', 'PATCH /webhooks/:id/:token/messages/:message_id'],
  ])('gives %s and %s different bucket hashes', (a, b) => {
    expect(bucketHash(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(bucketHash(a)).not.toBe(bucketHash(b));
  });
});
