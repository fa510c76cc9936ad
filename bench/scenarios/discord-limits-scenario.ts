import { performance } from 'node:perf_hooks';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import type { RequestLogEntry } from '../../sandbox/index.js';
import { BenchCluster, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { type Post, postsBetween } from '../posts-between.js';
import { buildCheck, buildScenarioResult, type Check, type ScenarioResult } from '../scenario-result.js';
import { type BusyChannelRun, measureBusyChannel } from './busy-channel-case.js';

/** Figures of one configuration (channels × webhooks per channel). */
export interface DiscordLimitsRun {
  readonly channels: number;
  readonly webhooksPerChannel: number;
  /** What Discord allows here, per second. */
  readonly limitPerSecond: number;
  readonly achievedPerSecond: number;
  readonly percentOfLimit: number;
  /** 429s the sandbox answered from the flood's start to a webhook window past the window's end (warm-up excluded). */
  readonly rateLimited: number;
  /** Distinct webhooks that posted within the window (pools grow under load). */
  readonly webhooksUsed: number;
  readonly sent: number;
  /** The measured window, cut at posts (see {@link postsBetween}). */
  readonly windowMs: number;
}

/*
 * Discord's own windows (5 per 2 s per webhook, 50 per 1 s global), not time-scaled: the limiter's margin is real
 * time (timer lag, the trip to Discord), so scaled windows would shrink what it buys against them. The workers run
 * the shipped defaults (`WEBHOOK_RATE_MARGIN_MS`, `WEBHOOK_GLOBAL_RATE_PER_SECOND`), as in production.
 */
const WEBHOOK_LIMIT = 5;
const WEBHOOK_WINDOW_MS = 2000;
const GLOBAL_PER_SECOND = 50;
const WORKERS = 4;
const MANY_CHANNELS = 20;
/** Pools grow and buckets learn their shape from headers in the first seconds: not measured. */
const SETTLE_MS = 2000;
/** Configurations measured: webhooks per channel, and whether the one-channel and busy-channel runs go too. */
interface DiscordLimitsPlan {
  readonly webhooksPerChannel: readonly number[];
  readonly oneChannel: boolean;
  /**
   * The busy-channel case ({@link measureBusyChannel}): Discord's per-channel window is 60 s, and the case is
   * about that window rolling, so it takes ~95 s; a quick run leaves it out rather than shrink the window.
   */
  readonly busyChannel: boolean;
  readonly settleMs: number;
  readonly windowMs: number;
}

const FULL: DiscordLimitsPlan = {
  webhooksPerChannel: [1, 2],
  oneChannel: true,
  busyChannel: true,
  settleMs: SETTLE_MS,
  windowMs: 10_000,
};
/** A quick run measures only 20 channels with two-webhook pools, over a shorter window. */
const QUICK: DiscordLimitsPlan = {
  webhooksPerChannel: [2],
  oneChannel: false,
  busyChannel: false,
  settleMs: 1500,
  windowMs: 3000,
};
const WEBHOOK_EXECUTE = 'POST /webhooks/:id/:token';

/** Messages the flood sends before it lets the sandbox's event loop turn. */
const FLOOD_CHUNK = 50;

function limitPerSecond(channels: number, webhooksPerChannel: number): number {
  const perWebhook = (WEBHOOK_LIMIT * 1000) / WEBHOOK_WINDOW_MS;
  return Math.min(channels * webhooksPerChannel * perWebhook, GLOBAL_PER_SECOND);
}

/**
 * One configuration on its own system: floods its channels with enough messages to keep them at the limit past
 * the window, counts the posts that got through in the window and every 429. The backlog left over dies with the
 * system (workers stop without a grace period), so no configuration's leftovers compete with the next one's.
 */
async function measureConfiguration(
  context: BenchContext,
  channels: number,
  webhooksPerChannel: number,
  plan: DiscordLimitsPlan,
): Promise<DiscordLimitsRun> {
  const { settleMs, windowMs } = plan;
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: {
      ...UNBOUNDED_USER_LIMITS,
      WEBHOOKS_PER_CHANNEL: String(webhooksPerChannel),
      SHUTDOWN_GRACE_MS: '0',
      // These runs load the webhook buckets and the global limit, which Discord's per-channel limit (30 per
      // minute) would hide: it is off on both sides here, and measured by the busy-channel case.
      WEBHOOK_CHANNEL_PER_MINUTE: '0',
    },
    workerEnv: {},
    gatewayEnv: {},
    workers: WORKERS,
    sandbox: { rateLimits: { enabled: true, webhookChannelPerWindow: null } },
    aiStub: { behaviour: { latency: 0 } },
    channels,
    users: 400,
    warmUp: true,
  });
  const { tracker, userIds, sandbox, channelIds } = bench;
  // The warm-up's posts opened windows; let them close before measuring.
  await sleep(WEBHOOK_WINDOW_MS + 100);
  const limit = limitPerSecond(channels, webhooksPerChannel);
  // More than the limit lets through until a webhook window past the end: the backlog never runs dry.
  const total = Math.ceil((limit * (settleMs + windowMs + WEBHOOK_WINDOW_MS) * 1.2) / 1000);
  const posts: Post[] = [];
  const onRequest = (entry: RequestLogEntry) => {
    if (entry.route !== WEBHOOK_EXECUTE || entry.status !== 200) return;
    posts.push({ at: performance.now(), webhookId: entry.path.split('/')[2] ?? '' });
  };
  sandbox.events.on('request', onRequest);
  const rateLimitedBefore = sandbox.stats().rateLimited;
  const startedAt = performance.now();
  try {
    // Every message its own conversation (user × channel), all within a few ms: the backlog is the queue's.
    // The sandbox shares this event loop, so the flood yields to it now and then, as Discord's rate limiter
    // would not stall while a channel fills.
    for (let n = 0; n < total; n += 1) {
      tracker.send(
        userIds[n % userIds.length]!,
        channelIds[(n + Math.floor(n / userIds.length)) % channels]!,
      );
      if (n % FLOOD_CHUNK === FLOOD_CHUNK - 1) await setImmediate();
    }
    const from = startedAt + settleMs;
    const to = from + windowMs;
    // The post that follows the window ends it: a little past it, the backlog still going.
    await sleep(to + WEBHOOK_WINDOW_MS - performance.now());
    const inWindow = postsBetween(posts, from, to);
    const achieved = (inWindow.count * 1000) / inWindow.spanMs;
    return {
      channels,
      webhooksPerChannel,
      limitPerSecond: limit,
      achievedPerSecond: Math.round(achieved * 10) / 10,
      percentOfLimit: Math.round((1000 * achieved) / limit) / 10,
      rateLimited: sandbox.stats().rateLimited - rateLimitedBefore,
      webhooksUsed: new Set(inWindow.posts.map((post) => post.webhookId)).size,
      sent: total,
      windowMs: Math.round(inWindow.spanMs),
    };
  } finally {
    sandbox.events.off('request', onRequest);
  }
}

/** Scenario 5: Discord's limits on (time-scaled), 4 workers into 1 and 20 channels, 1 and 2 webhooks per channel. */
export async function runDiscordLimitsScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const plan = context.quick ? QUICK : FULL;
  const runs: DiscordLimitsRun[] = [];
  for (const webhooksPerChannel of plan.webhooksPerChannel) {
    for (const channels of plan.oneChannel ? [1, MANY_CHANNELS] : [MANY_CHANNELS]) {
      context.progress(`discord: ${channels} channel(s), WEBHOOKS_PER_CHANNEL=${webhooksPerChannel}`);
      runs.push(await measureConfiguration(context, channels, webhooksPerChannel, plan));
    }
  }
  let busy: BusyChannelRun | null = null;
  if (plan.busyChannel) {
    context.progress('discord: one busy channel, one user flooding it');
    busy = await measureBusyChannel(context);
  }
  const checks: Check[] = runs.map((run) =>
    buildCheck({
      name: `${run.channels} ch × ${run.webhooksPerChannel} wh: % of ${run.limitPerSecond}/s`,
      value: run.percentOfLimit,
      unit: '%',
      target: { op: '>=', value: 95 },
    }),
  );
  if (busy !== null) {
    checks.push(
      buildCheck({
        name: 'busy channel: % of 30/min',
        value: busy.percentOfLimit,
        unit: '%',
        target: { op: '>=', value: 95 },
      }),
      buildCheck({ name: 'busy channel: light wait p50', value: busy.lightWaitP50Ms, unit: 'ms' }),
      buildCheck({ name: 'busy channel: light wait max', value: busy.lightWaitMaxMs, unit: 'ms' }),
      buildCheck({ name: 'busy channel: light wait past roll', value: busy.lightPastRollMaxMs, unit: 'ms' }),
      buildCheck({ name: 'busy channel: flood overtakes', value: busy.floodOvertakes, unit: '' }),
    );
  }
  checks.push(
    buildCheck({
      name: '429s (all runs)',
      value: runs.reduce((sum, run) => sum + run.rateLimited, 0) + (busy?.rateLimited ?? 0),
      unit: '',
      target: { op: '==', value: 0 },
    }),
  );
  return buildScenarioResult({
    id: 'discord',
    title: `Discord limits on (5 per 2 s per webhook, 50/s global, 30/min per channel), ${WORKERS} workers`,
    target: '≥ 95 % of the limit with 0 × 429',
    checks,
    figures: {
      workers: WORKERS,
      runs,
      busyChannel: busy,
    },
    durationMs: performance.now() - startedAt,
  });
}
