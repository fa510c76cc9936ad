import type { BenchCluster } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { type LatencySummary, summarizeLatencies } from '../latency-summary.js';
import { sendPaced } from '../paced-sender.js';
import { selectPhaseUsers } from '../pipeline-cluster.js';
import { buildCheck, buildScenarioResult, type QueueMode, type ScenarioResult } from '../scenario-result.js';

/** Figures of one latency run. */
export interface LatencyRun {
  readonly mode: QueueMode;
  readonly ratePerSecond: number;
  readonly sent: number;
  /** Dispatch of MESSAGE_CREATE → the reply's webhook message created, ms (messages after the warm-up second). */
  readonly latencyMs: LatencySummary;
  readonly unanswered: number;
}

/** The brief's load. */
const RATE_PER_SECOND = 200;
/** A light load, to separate the pipeline's own latency from queueing behind other messages. */
const LIGHT_RATE_PER_SECOND = 20;
const CHANNELS = 20;
/**
 * Sending at the loaded rate before measuring, ms. The target is the steady state: processes fresh from start (all
 * of them in an `--only=latency` run; the FIFO phase swaps in a new gateway) still compile their hot paths over
 * their first thousands of messages, and with only a second of settling a cold run's p99 was about twice a warm
 * one's (median 23 against 12 ms over our runs).
 */
const WARM_UP_MS = 5000;
/** Before the light load (already warm) and in a quick run, the first second is not measured: pools settle. */
const SETTLE_MS = 1000;

/**
 * Sends at `ratePerSecond` (open loop) for `settleMs` unmeasured, then `durationMs` measured, each of the latency
 * users in turn (at 200/s each of the 400 writes every 2 s: never two of their messages in flight); measures each
 * reply.
 */
export async function measureLatency(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  durationMs: number,
  ratePerSecond: number,
  settleMs: number,
): Promise<LatencyRun> {
  const { tracker } = bench;
  const userIds = selectPhaseUsers(bench, 'latency', mode);
  const channelIds = bench.channelIds.slice(0, CHANNELS);
  const total = Math.round((ratePerSecond * (durationMs + settleMs)) / 1000);
  const skip = Math.round((ratePerSecond * settleMs) / 1000);
  const seqs: number[] = [];
  await sendPaced(ratePerSecond, total, (n) => {
    seqs.push(tracker.send(userIds[n % userIds.length]!, channelIds[n % channelIds.length]!));
  });
  await tracker
    .waitForAll(seqs, 30_000, 'the last latency replies')
    .catch((error: unknown) => context.progress(`  latency: ${String(error)}`));
  const answered = tracker.latencies(seqs).length;
  return {
    mode,
    ratePerSecond,
    sent: seqs.length,
    latencyMs: round(summarizeLatencies(tracker.latencies(seqs.slice(skip)))),
    unanswered: seqs.length - answered,
  };
}

/** Both loads of the latency scenario on one system: the brief's 200/s, then a light 20/s. */
export async function measureLatencies(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  quick: boolean,
): Promise<{ loaded: LatencyRun; light: LatencyRun }> {
  const loaded = quick
    ? await measureLatency(context, bench, mode, 2000, RATE_PER_SECOND, SETTLE_MS)
    : await measureLatency(context, bench, mode, 15_000, RATE_PER_SECOND, WARM_UP_MS);
  const light = await measureLatency(
    context,
    bench,
    mode,
    quick ? 1500 : 10_000,
    LIGHT_RATE_PER_SECOND,
    SETTLE_MS,
  );
  return { loaded, light };
}

/** Scenario 2's result: the pipeline's own latency at 200 messages/s with an instant AI, ours vs FIFO. */
export function buildLatencyResult(
  fair: { loaded: LatencyRun; light: LatencyRun },
  fifo: { loaded: LatencyRun; light: LatencyRun },
  durationMs: number,
): ScenarioResult {
  return buildScenarioResult({
    id: 'latency',
    title: `Overhead latency, AI 0 ms: MESSAGE_CREATE dispatched → reply created, at ${RATE_PER_SECOND} and ${LIGHT_RATE_PER_SECOND} msg/s`,
    target: `p99 ≤ 15 ms at ${RATE_PER_SECOND} msg/s`,
    checks: [
      buildCheck({
        name: `p50 at ${RATE_PER_SECOND}/s`,
        value: fair.loaded.latencyMs.p50,
        unit: 'ms',
        fifo: fifo.loaded.latencyMs.p50,
      }),
      buildCheck({
        name: `p95 at ${RATE_PER_SECOND}/s`,
        value: fair.loaded.latencyMs.p95,
        unit: 'ms',
        fifo: fifo.loaded.latencyMs.p95,
      }),
      buildCheck({
        name: `p99 at ${RATE_PER_SECOND}/s`,
        value: fair.loaded.latencyMs.p99,
        unit: 'ms',
        target: { op: '<=', value: 15 },
        fifo: fifo.loaded.latencyMs.p99,
      }),
      buildCheck({
        name: `p50 at ${LIGHT_RATE_PER_SECOND}/s`,
        value: fair.light.latencyMs.p50,
        unit: 'ms',
        fifo: fifo.light.latencyMs.p50,
      }),
      buildCheck({
        name: `p99 at ${LIGHT_RATE_PER_SECOND}/s`,
        value: fair.light.latencyMs.p99,
        unit: 'ms',
        fifo: fifo.light.latencyMs.p99,
      }),
      buildCheck({
        name: 'unanswered',
        value: fair.loaded.unanswered + fair.light.unanswered,
        unit: '',
        target: { op: '==', value: 0 },
        fifo: fifo.loaded.unanswered + fifo.light.unanswered,
      }),
    ],
    figures: { fair, fifo },
    durationMs,
  });
}

function round(summary: LatencySummary): LatencySummary {
  const r = (value: number) => Math.round(value * 100) / 100;
  return {
    count: summary.count,
    p50: r(summary.p50),
    p95: r(summary.p95),
    p99: r(summary.p99),
    max: r(summary.max),
    mean: r(summary.mean),
  };
}
