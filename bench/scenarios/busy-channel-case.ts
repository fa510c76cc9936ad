import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestLogEntry } from '../../sandbox/index.js';
import { BenchCluster, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { summarizeLatencies } from '../latency-summary.js';

/** Figures of the busy-channel case: one user floods a channel past Discord's per-channel limit. */
export interface BusyChannelRun {
  /** Webhook messages the channel took in a 60 s window (see `MEASURED_FROM_MS`), as a % of Discord's 30. */
  readonly percentOfLimit: number;
  readonly postsInWindow: number;
  /** 429s the sandbox answered during the run (target 0: each one stalls the channel for 40 s). */
  readonly rateLimited: number;
  /** Light users' wait, message → reply, ms. */
  readonly lightWaitP50Ms: number;
  readonly lightWaitMaxMs: number;
  /**
   * The longest a light user waited past the moment the channel's window first rolled (60 s after its first
   * post): the budget was spent before they spoke, so that much of their wait is the limit's; the rest is their
   * place in the channel's queue.
   */
  readonly lightPastRollMaxMs: number;
  /** Flood replies posted while a light message waited although the flood message came after it (summed). */
  readonly floodOvertakes: number;
  readonly floodSent: number;
  readonly lightSent: number;
}

/*
 * Discord's per-channel limit as the sandbox models it by default (30 webhook messages per 60 s over all of a
 * channel's webhooks, a 40 s penalty past it) and the fleet on its default budget. The flooder mentions several
 * personalities in turn (as in a channel where every message is answered by several), so several of its replies
 * wait for the channel at once rather than one at a time behind its conversation's order.
 */
const WORKERS = 2;
const PERSONALITIES = 6;
const LIGHT_USERS = 5;
/**
 * The flooder writes at about three times the channel's pace (0.5/s) for this long: its first 30 replies spend
 * the channel's budget within ~21 s, and its backlog outlasts the measured window.
 */
const FLOOD_MS = 50_000;
const FLOOD_EVERY_MS = 700;
/** Light users speak one after another once the budget is spent, while the flood goes on. */
const LIGHT_FROM_MS = 25_000;
const LIGHT_EVERY_MS = 5000;
/**
 * Discord's channel window. The measured one starts 30 s after the first post: it spans the wait for the
 * window to roll and the slots reopening, so it is full only if the deferred replies take them on time.
 */
const MEASURED_FROM_MS = 30_000;
const CHANNEL_WINDOW_MS = 60_000;
const CHANNEL_LIMIT = 30;
const WEBHOOK_EXECUTE = 'POST /webhooks/:id/:token';

/**
 * One user floods a channel while light users speak in it now and then: the channel's posts in a 60 s window (its
 * limit is 30), the 429s, and how long the light users wait for their turn.
 */
export async function measureBusyChannel(context: BenchContext): Promise<BusyChannelRun> {
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: { ...UNBOUNDED_USER_LIMITS, SHUTDOWN_GRACE_MS: '0' },
    workerEnv: {},
    gatewayEnv: {},
    workers: WORKERS,
    sandbox: { rateLimits: { enabled: true } },
    aiStub: { behaviour: { latency: 0 } },
    channels: 1,
    users: 1 + LIGHT_USERS,
    personalities: PERSONALITIES,
    warmUp: false,
  });
  const { tracker, userIds, sandbox, channelIds } = bench;
  const channelId = channelIds[0]!;
  const posts: number[] = [];
  const onRequest = (entry: RequestLogEntry) => {
    if (entry.route === WEBHOOK_EXECUTE && entry.status === 200) posts.push(performance.now());
  };
  sandbox.events.on('request', onRequest);
  const rateLimitedBefore = sandbox.stats().rateLimited;
  const startedAt = performance.now();
  const flood: number[] = [];
  const light: number[] = [];
  try {
    let nextLight = LIGHT_FROM_MS;
    for (let at = 0; at < FLOOD_MS; at += FLOOD_EVERY_MS) {
      await sleep(Math.max(0, startedAt + at - performance.now()));
      flood.push(tracker.send(userIds[0]!, channelId, bench.mention(flood.length)));
      if (at >= nextLight && light.length < LIGHT_USERS) {
        light.push(tracker.send(userIds[1 + light.length]!, channelId, bench.mention(0)));
        nextLight += LIGHT_EVERY_MS;
      }
    }
    await tracker.waitForAll(light, 2 * CHANNEL_WINDOW_MS, 'light users’ replies');
    const from = (posts[0] ?? startedAt) + MEASURED_FROM_MS;
    await sleep(Math.max(0, from + CHANNEL_WINDOW_MS - performance.now()));
    const postsInWindow = posts.filter((at) => at >= from && at < from + CHANNEL_WINDOW_MS).length;
    const lightWaits = summarizeLatencies(tracker.latencies(light));
    const rolledAt = (posts[0] ?? startedAt) + CHANNEL_WINDOW_MS;
    const pastRoll = light.flatMap((seq) => {
      const message = tracker.messages.get(seq);
      return message?.repliedAt == null ? [] : [message.repliedAt - Math.max(message.dispatchedAt, rolledAt)];
    });
    return {
      percentOfLimit: Math.round((1000 * postsInWindow) / CHANNEL_LIMIT) / 10,
      postsInWindow,
      rateLimited: sandbox.stats().rateLimited - rateLimitedBefore,
      lightWaitP50Ms: Math.round(lightWaits.p50),
      lightWaitMaxMs: Math.round(lightWaits.max),
      lightPastRollMaxMs: Math.round(Math.max(0, ...pastRoll)),
      floodOvertakes: countOvertakes(tracker.messages, light, flood),
      floodSent: flood.length,
      lightSent: light.length,
    };
  } finally {
    sandbox.events.off('request', onRequest);
  }
}

/** For each light message, the flood messages sent after it whose replies came before its own. */
function countOvertakes(
  messages: ReadonlyMap<number, { dispatchedAt: number; repliedAt: number | null }>,
  light: readonly number[],
  flood: readonly number[],
): number {
  let overtakes = 0;
  for (const seq of light) {
    const mine = messages.get(seq)!;
    if (mine.repliedAt === null) continue;
    for (const other of flood) {
      const theirs = messages.get(other)!;
      if (
        theirs.dispatchedAt > mine.dispatchedAt &&
        theirs.repliedAt !== null &&
        theirs.repliedAt < mine.repliedAt
      )
        overtakes += 1;
    }
  }
  return overtakes;
}
