/**
 * Fault tier — trouble on Discord's side, injected through the sandbox: a storm of 429s on webhook executes, a
 * webhook deleted behind the bot's back while replies for its channel are queued, 500s on executes, and the
 * gateway connection dropped (and resumed) while users keep talking. Discord's rate limits are on here, at a
 * quarter of their windows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogEntry } from '../../sandbox/index.js';
import { FaultScene } from './support/fault-scene.js';

/** Webhook executes, as the sandbox logs them (token redacted). */
const EXECUTE_PATH = /^\/webhooks\/\d+\/[^/?]+(\?|$)/;

function executes(log: readonly RequestLogEntry[], since: number): RequestLogEntry[] {
  return log.filter((entry) => entry.at >= since && entry.method === 'POST' && EXECUTE_PATH.test(entry.path));
}

describe('Discord trouble', () => {
  let scene: FaultScene;

  beforeAll(async () => {
    scene = await FaultScene.start({
      workers: 2,
      channels: 6,
      users: 12,
      // Discord's per-channel webhook limit off on both sides: its 60 s window cannot be scaled in the workers,
      // these scenarios put more than 30 replies a minute into one channel, and busy-channel.serial.test.ts
      // covers that limit.
      sandbox: { rateLimits: { timeScale: 0.25, webhookChannelPerWindow: null } },
      env: { WEBHOOK_CHANNEL_PER_MINUTE: '0' },
      aiStub: { behaviour: { latency: { kind: 'uniform', minMs: 50, maxMs: 250 } } },
    });
    // Every channel gets its webhooks before the faults start.
    await scene.sayMany(6, 'warm-up');
    await scene.waitUntilSettled();
  });

  afterAll(async () => {
    await scene?.[Symbol.asyncDispose]();
  });

  describe('when webhook executes are answered with a storm of 429s', () => {
    it('waits them out and posts every reply once', async () => {
      const storm = scene.sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: EXECUTE_PATH,
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: 0.25, global: false },
        times: 40,
      });
      await scene.sayMany(24, 'storm', { batch: 8, pauseMs: 100 });
      await scene.waitUntilSettled(90_000);
      expect(storm.hits).toBe(40);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 30, notices: 0, limitNotices: 0 });
    });
  });

  describe('when a channel’s webhooks are deleted while its replies are queued', () => {
    it('makes new ones and posts every reply once', async () => {
      scene.aiStub.setBehaviour({ latency: 600 });
      const channelId = scene.channelIds[0]!;
      const before = scene.sandbox.webhooks(channelId).map((webhook) => webhook.id);
      expect(before.length).toBeGreaterThan(0);
      for (let index = 0; index < 10; index += 1)
        scene.say(scene.users[index]!, channelId, `orphaned-${index}`);
      await scene.waitFor('AI calls in flight', () => scene.pendingAiCalls() >= 5);
      for (const webhookId of before) scene.sandbox.faults.deleteWebhook(webhookId);

      await scene.waitUntilSettled(60_000);
      scene.aiStub.setBehaviour({ latency: { kind: 'uniform', minMs: 50, maxMs: 250 } });
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 40, notices: 0, limitNotices: 0 });
      const after = scene.sandbox.webhooks(channelId).map((webhook) => webhook.id);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((id) => before.includes(id))).toEqual([]);
    });
  });

  describe('when a few webhook executes fail with 500', () => {
    it('retries each a bounded number of times and posts every reply once', async () => {
      const since = Date.now();
      const failures = scene.sandbox.faults.injectRoute({
        method: 'POST',
        pathPattern: EXECUTE_PATH,
        status: 500,
        times: 4,
      });
      await scene.sayMany(12, 'server-error');
      await scene.waitUntilSettled(60_000);
      expect(failures.hits).toBe(4);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 52, notices: 0, limitNotices: 0 });
      // Every execute either failed on purpose or posted a reply: one retry per failure, no storm.
      const sent = executes(scene.sandbox.requestLog, since);
      expect(sent.filter((entry) => entry.status === 500)).toHaveLength(4);
      expect(sent.filter((entry) => entry.status === 200)).toHaveLength(12);
      // The scenario before this one deleted the channel's webhooks: a worker whose in-memory cache still
      // holds a deleted one gets one 404 (10015), invalidates it and re-posts — at most once per worker.
      const unknownWebhook = sent.filter((entry) => entry.status === 404).length;
      expect(unknownWebhook).toBeLessThanOrEqual(2);
      expect(sent.length).toBe(16 + unknownWebhook + sent.filter((entry) => entry.status === 429).length);
    });
  });

  describe('when the gateway connection drops while users keep talking', () => {
    it('resumes, replays what it missed, and answers every message once', async () => {
      const [gateway] = scene.processes('gateway');
      const resumedBefore = gateway!.logs.filter((line) => line['msg'] === 'shard resumed').length;
      for (let round = 0; round < 3; round += 1) {
        scene.sandbox.faults.dropSessions();
        // Said while the gateway is away: Discord holds these for the RESUME.
        await scene.sayMany(6, `dropped-${round}`);
        await scene.waitFor(
          'the gateway to resume',
          () =>
            gateway!.logs.filter((line) => line['msg'] === 'shard resumed').length > resumedBefore + round,
        );
        await scene.sayMany(4, `resumed-${round}`);
      }
      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 82, notices: 0, limitNotices: 0 });
    });
  });
});
