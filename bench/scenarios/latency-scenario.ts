import type { BenchCluster } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { type LatencySummary, summarizeLatencies } from '../latency-summary.js';
import { sendPaced } from '../paced-sender.js';
import { selectPhaseUsers } from '../pipeline-cluster.js';
import { buildRatioCheck, summarizePairedRepetitions } from '../ratio-check.js';
import {
  buildCheck,
  buildScenarioResult,
  type DeliveryCount,
  type QueueMode,
  type ScenarioResult,
  sumDelivery,
} from '../scenario-result.js';

/** Figures of one latency run. */
export interface LatencyRun {
  readonly mode: QueueMode;
  readonly ratePerSecond: number;
  readonly sent: number;
  /** Dispatch of MESSAGE_CREATE → the reply's webhook message created, ms (messages after the warm-up second). */
  readonly latencyMs: LatencySummary;
  /** Messages never answered (after 30 s of waiting), and second replies. */
  readonly delivery: DeliveryCount;
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
  return {
    mode,
    ratePerSecond,
    sent: seqs.length,
    latencyMs: round(summarizeLatencies(tracker.latencies(seqs.slice(skip)))),
    delivery: tracker.countDelivery(seqs),
  };
}

/** The loaded run (the brief's 200/s) of one repetition; a full run warms the fresh gateway up first. */
export function measureLoadedLatency(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  quick: boolean,
): Promise<LatencyRun> {
  return quick
    ? measureLatency(context, bench, mode, 2000, RATE_PER_SECOND, SETTLE_MS)
    : measureLatency(context, bench, mode, 15_000, RATE_PER_SECOND, WARM_UP_MS);
}

/** The light run (20/s): the pipeline's own latency with nothing queued; once per mode, after a loaded run. */
export function measureLightLatency(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  quick: boolean,
): Promise<LatencyRun> {
  return measureLatency(context, bench, mode, quick ? 1500 : 10_000, LIGHT_RATE_PER_SECOND, SETTLE_MS);
}

/** Each mode's runs of a latency scenario, in the order of {@link buildInterleavedModes}. */
export interface LatencyRuns {
  readonly loaded: Record<QueueMode, readonly LatencyRun[]>;
  readonly light: Record<QueueMode, LatencyRun>;
}

/**
 * Scenario 2's result: the pipeline's own latency at 200 messages/s with an instant AI, ours vs FIFO, the target
 * the median over interleaved repetitions of each pair's p99 ratio.
 */
export function buildLatencyResult(runs: LatencyRuns, durationMs: number): ScenarioResult {
  const { loaded, light } = runs;
  const reps = loaded.fair.map((fair, index) => ({ fair, fifo: loaded.fifo[index]! }));
  const paired = (pick: (run: LatencyRun) => number) =>
    summarizePairedRepetitions(reps.map((rep) => ({ value: pick(rep.fair), baseline: pick(rep.fifo) })));
  const p50 = paired((run) => run.latencyMs.p50);
  const p95 = paired((run) => run.latencyMs.p95);
  const p99 = paired((run) => run.latencyMs.p99);
  const all = [...loaded.fair, ...loaded.fifo, light.fair, light.fifo];
  const unanswered = (mode: QueueMode) =>
    [...loaded[mode], light[mode]].reduce((sum, run) => sum + run.delivery.lost, 0);
  return buildScenarioResult({
    id: 'latency',
    title: `Overhead latency, AI 0 ms: MESSAGE_CREATE dispatched → reply created, at ${RATE_PER_SECOND} msg/s (median of ${reps.length} interleaved repetitions) and ${LIGHT_RATE_PER_SECOND} msg/s`,
    target: `p99 at ${RATE_PER_SECOND} msg/s, fair ÷ FIFO ≤ 1.10 (median of interleaved repetitions)`,
    checks: [
      buildCheck({ name: `p50 at ${RATE_PER_SECOND}/s`, value: p50.value, unit: 'ms', fifo: p50.baseline }),
      buildCheck({ name: `p95 at ${RATE_PER_SECOND}/s`, value: p95.value, unit: 'ms', fifo: p95.baseline }),
      buildCheck({ name: `p99 at ${RATE_PER_SECOND}/s`, value: p99.value, unit: 'ms', fifo: p99.baseline }),
      buildCheck({
        name: `p50 at ${LIGHT_RATE_PER_SECOND}/s`,
        value: light.fair.latencyMs.p50,
        unit: 'ms',
        fifo: light.fifo.latencyMs.p50,
      }),
      buildCheck({
        name: `p99 at ${LIGHT_RATE_PER_SECOND}/s`,
        value: light.fair.latencyMs.p99,
        unit: 'ms',
        fifo: light.fifo.latencyMs.p99,
      }),
      buildCheck({
        name: 'unanswered',
        value: unanswered('fair'),
        unit: '',
        target: { op: '==', value: 0 },
        fifo: unanswered('fifo'),
      }),
    ],
    ratios: [
      buildRatioCheck({
        name: `overhead p99 at ${RATE_PER_SECOND}/s, fair ÷ FIFO, median of ${reps.length}`,
        value: p99.value,
        baseline: p99.baseline,
        baselineName: 'FIFO',
        unit: 'ms',
        ratio: p99.ratio,
        target: { op: '<=', value: 1.1 },
      }),
    ],
    delivery: sumDelivery(all.map((run) => run.delivery)),
    figures: { loaded, light, p99RatioPerRepetition: p99.ratios },
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
