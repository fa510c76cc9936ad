import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestLogEntry } from '../../sandbox/index.js';
import { BenchCluster, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { buildCheck, buildScenarioResult, type Check, type ScenarioResult } from '../scenario-result.js';

/** Figures of one configuration (channels × webhooks per channel). */
export interface DiscordLimitsRun {
  readonly channels: number;
  readonly webhooksPerChannel: number;
  /** What Discord allows here, per real second (after the time scale). */
  readonly limitPerSecond: number;
  readonly achievedPerSecond: number;
  readonly percentOfLimit: number;
  /** 429s the sandbox answered from the flood's start to the window's end (warm-up excluded). */
  readonly rateLimited: number;
  /** Distinct webhooks that posted within the window (pools grow under load). */
  readonly webhooksUsed: number;
  readonly sent: number;
  readonly windowMs: number;
}

/** Discord's windows scaled by this factor: 0.5 keeps the run short (1,000 ms per webhook, 500 ms global). */
const TIME_SCALE = 0.5;
/**
 * The workers' rate-limit margin: the shipped default (`WEBHOOK_RATE_MARGIN_MS`), not scaled: a send may reach
 * the sandbox up to 50 ms after its slot, as it may reach Discord.
 */
const RATE_MARGIN_MS = 50;
const WEBHOOK_LIMIT = 5;
const WEBHOOK_WINDOW_MS = 2000;
const GLOBAL_PER_SECOND = 50;
/**
 * `WEBHOOK_GLOBAL_RATE_PER_SECOND` for the scaled sandbox, whose global window is 500 ms. Our limiter spaces
 * sends (1,000 + margin) / rate ms apart and counts per second; against 50 per 500 ms with sends up to the whole
 * margin late, the spacing must be (500 + 50) / 50 = 11 ms, i.e. a rate of 1,050 / 11 = 95.45/s, rounded down.
 * (Against Discord's own 1 s window the default 50/s gives the same guarantee.) It caps the global-bound runs at
 * 95 / 1.05 = 90.5 % of the scaled limit, where the margin caps them at 95.2 % against Discord.
 */
const FLEET_RATE_PER_SECOND = Math.floor(
  (GLOBAL_PER_SECOND * (1000 + RATE_MARGIN_MS)) / (1000 * TIME_SCALE + RATE_MARGIN_MS),
);
const WORKERS = 4;
const MANY_CHANNELS = 20;
/** Pools grow and buckets learn their shape from headers in the first seconds: not measured. */
const SETTLE_MS = 2000;
/** Configurations measured: webhooks per channel, and whether the one-channel run goes too. */
interface DiscordLimitsPlan {
  readonly webhooksPerChannel: readonly number[];
  readonly oneChannel: boolean;
  readonly settleMs: number;
  readonly windowMs: number;
}

const FULL: DiscordLimitsPlan = {
  webhooksPerChannel: [1, 2],
  oneChannel: true,
  settleMs: SETTLE_MS,
  windowMs: 15_000,
};
/** A quick run measures only 20 channels with two-webhook pools, over a shorter window. */
const QUICK: DiscordLimitsPlan = {
  webhooksPerChannel: [2],
  oneChannel: false,
  settleMs: 1500,
  windowMs: 3000,
};
const WEBHOOK_EXECUTE = 'POST /webhooks/:id/:token';

function limitPerSecond(channels: number, webhooksPerChannel: number): number {
  const perWebhook = (WEBHOOK_LIMIT * 1000) / (WEBHOOK_WINDOW_MS * TIME_SCALE);
  return Math.min(channels * webhooksPerChannel * perWebhook, GLOBAL_PER_SECOND / TIME_SCALE);
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
      WEBHOOK_GLOBAL_RATE_PER_SECOND: String(FLEET_RATE_PER_SECOND),
      WEBHOOK_RATE_MARGIN_MS: String(RATE_MARGIN_MS),
      SHUTDOWN_GRACE_MS: '0',
    },
    workerEnv: {},
    gatewayEnv: {},
    workers: WORKERS,
    sandbox: { rateLimits: { enabled: true, timeScale: TIME_SCALE } },
    aiStub: { behaviour: { latency: 0 } },
    channels,
    users: 400,
    warmUp: true,
  });
  const { tracker, userIds, sandbox, channelIds } = bench;
  // The warm-up's posts opened windows; let them close before measuring.
  await sleep(WEBHOOK_WINDOW_MS * TIME_SCALE + 100);
  const limit = limitPerSecond(channels, webhooksPerChannel);
  // 20 % more than the limit lets through by the end of the window: the backlog never runs dry inside it.
  const total = Math.ceil((limit * (settleMs + windowMs) * 1.2) / 1000);
  const posts: Array<{ at: number; webhookId: string }> = [];
  const onRequest = (entry: RequestLogEntry) => {
    if (entry.route !== WEBHOOK_EXECUTE || entry.status !== 200) return;
    posts.push({ at: performance.now(), webhookId: entry.path.split('/')[2] ?? '' });
  };
  sandbox.events.on('request', onRequest);
  const rateLimitedBefore = sandbox.stats().rateLimited;
  const startedAt = performance.now();
  try {
    // Every message its own conversation (user × channel), all at once: the backlog is the queue's.
    for (let n = 0; n < total; n += 1) {
      tracker.send(
        userIds[n % userIds.length]!,
        channelIds[(n + Math.floor(n / userIds.length)) % channels]!,
      );
    }
    const from = startedAt + settleMs;
    const to = from + windowMs;
    await sleep(to - performance.now());
    const inWindow = posts.filter((post) => post.at >= from && post.at < to);
    const achieved = (inWindow.length * 1000) / windowMs;
    return {
      channels,
      webhooksPerChannel,
      limitPerSecond: limit,
      achievedPerSecond: Math.round(achieved * 10) / 10,
      percentOfLimit: Math.round((1000 * achieved) / limit) / 10,
      rateLimited: sandbox.stats().rateLimited - rateLimitedBefore,
      webhooksUsed: new Set(inWindow.map((post) => post.webhookId)).size,
      sent: total,
      windowMs,
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
  const checks: Check[] = runs.map((run) =>
    buildCheck({
      name: `${run.channels} ch × ${run.webhooksPerChannel} wh: % of ${run.limitPerSecond}/s`,
      value: run.percentOfLimit,
      unit: '%',
      target: { op: '>=', value: 95 },
    }),
  );
  checks.push(
    buildCheck({
      name: '429s (all runs)',
      value: runs.reduce((sum, run) => sum + run.rateLimited, 0),
      unit: '',
      target: { op: '==', value: 0 },
    }),
  );
  return buildScenarioResult({
    id: 'discord',
    title: `Discord limits on (5 per 2 s per webhook, 50/s global), timeScale ${TIME_SCALE}, ${WORKERS} workers`,
    target: '≥ 95 % of the limit with 0 × 429',
    checks,
    figures: {
      timeScale: TIME_SCALE,
      rateMarginMs: RATE_MARGIN_MS,
      fleetRatePerSecond: FLEET_RATE_PER_SECOND,
      workers: WORKERS,
      runs,
    },
    durationMs: performance.now() - startedAt,
  });
}
