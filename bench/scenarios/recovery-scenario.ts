import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { buildCheck, buildScenarioResult, type ScenarioResult } from '../scenario-result.js';

/** A worker killed with jobs in flight. */
export interface WorkerKillRun {
  /** Messages sent before the kill (all in flight, spread over both workers). */
  readonly inFlight: number;
  /** SIGKILL → every one of them answered, ms (includes re-running the AI call). */
  readonly recoveryMs: number;
  /** The AI latency inside that figure, ms. */
  readonly aiLatencyMs: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  /** Replies posted twice: exactly-once delivery says 0. */
  readonly duplicates: number;
  readonly unanswered: number;
}

/** The AI failing, then coming back. */
export interface AiOutageRun {
  readonly breakerResetTimeoutMs: number;
  /** Errors off → first normal (non-notice) reply, ms. */
  readonly firstReplyMs: number;
  /** Notices users got while the AI was failing. */
  readonly noticesDuringOutage: number;
}

/** The settings the figures are made of: the shipped defaults in a full run, shorter ones in a quick run. */
interface RecoverySettings {
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly breakerResetTimeoutMs: number;
  /** AI latency while a worker is killed: its jobs are mid-call. */
  readonly aiLatencyMs: number;
}

const FULL: RecoverySettings = {
  lockDurationMs: 15_000,
  stalledIntervalMs: 5000,
  breakerResetTimeoutMs: 30_000,
  aiLatencyMs: 3000,
};
const QUICK: RecoverySettings = {
  lockDurationMs: 5000,
  stalledIntervalMs: 1000,
  breakerResetTimeoutMs: 5000,
  aiLatencyMs: 1000,
};
const IN_FLIGHT = 40;

/**
 * The bound on kill → orphans answered: the lock expires; BullMQ's stalled check is two-phase (one check puts
 * the active jobs in its `stalled` set, the next moves those whose lock is gone back to wait), so up to two
 * intervals pass; then the AI call runs again (+1 s for the rest of the job).
 */
function killBoundMs(settings: RecoverySettings): number {
  return settings.lockDurationMs + 2 * settings.stalledIntervalMs + settings.aiLatencyMs + 1000;
}

/** Scenario 7a: SIGKILL one of two workers while both hold jobs. */
async function measureWorkerKill(
  context: BenchContext,
  bench: BenchCluster,
  settings: RecoverySettings,
): Promise<WorkerKillRun> {
  const { tracker, channelIds, cluster } = bench;
  bench.aiStub.setBehaviour({ latency: settings.aiLatencyMs });
  const seqs = bench.userIds
    .slice(0, IN_FLIGHT)
    .map((userId, index) => tracker.send(userId, channelIds[index % channelIds.length]!));
  // Both workers take jobs within milliseconds; half the AI latency later all are mid-call.
  await sleep(settings.aiLatencyMs / 2);
  const victim = bench.processes('worker')[0]!;
  const killedAt = performance.now();
  await cluster.stop(victim, 'SIGKILL');
  const answered = () => tracker.latencies(seqs).length === seqs.length;
  const timeoutMs = killBoundMs(settings) + 15_000;
  await tracker
    .waitUntil(answered, timeoutMs, 'the killed worker’s jobs')
    .catch((error: unknown) => context.progress(`  recovery: ${String(error)}`));
  const lastReply = Math.max(...seqs.map((seq) => tracker.messages.get(seq)?.repliedAt ?? Number.NaN));
  // A late second post of the same answer would show up here.
  await sleep(1000);
  return {
    inFlight: seqs.length,
    recoveryMs: Math.round(lastReply - killedAt),
    aiLatencyMs: settings.aiLatencyMs,
    lockDurationMs: settings.lockDurationMs,
    stalledIntervalMs: settings.stalledIntervalMs,
    duplicates: tracker.duplicateReplies,
    unanswered: seqs.length - tracker.latencies(seqs).length,
  };
}

/** Scenario 7b: the AI answers 503 until its breaker opens, then comes back (on the surviving worker). */
async function measureAiOutage(
  context: BenchContext,
  bench: BenchCluster,
  settings: RecoverySettings,
): Promise<AiOutageRun> {
  const { tracker, channelIds, aiStub } = bench;
  const userIds = bench.userIds.slice(IN_FLIGHT);
  aiStub.setBehaviour({ latency: 0 });
  let n = 0;
  const sendOne = () => {
    n += 1;
    return tracker.send(userIds[n % userIds.length]!, channelIds[n % channelIds.length]!);
  };
  aiStub.setBehaviour({ errorRate: 1, errorStatus: 503 });
  const untaggedBefore = tracker.untaggedReplies;
  // Enough failing calls to open the breaker (volume threshold 5, 50 % errors), each answered with a notice.
  for (let index = 0; index < 20; index += 1) {
    sendOne();
    await sleep(50);
  }
  await tracker
    .waitUntil(() => tracker.untaggedReplies - untaggedBefore >= 20, 30_000, 'the outage notices')
    .catch((error: unknown) => context.progress(`  recovery: ${String(error)}`));
  const noticesDuringOutage = tracker.untaggedReplies - untaggedBefore;
  aiStub.setBehaviour({ errorRate: 0 });
  const backAt = performance.now();
  const repliedBefore = tracker.replied;
  // A user writes every 200 ms until one gets a real answer.
  const deadline = backAt + settings.breakerResetTimeoutMs + 20_000;
  while (tracker.replied === repliedBefore && performance.now() < deadline) {
    sendOne();
    await sleep(200);
  }
  const firstReply = tracker.replyTimes[repliedBefore];
  // Let the last probes' replies arrive before the cluster stops.
  await sleep(500);
  return {
    breakerResetTimeoutMs: settings.breakerResetTimeoutMs,
    firstReplyMs: firstReply === undefined ? Number.NaN : Math.round(firstReply - backAt),
    noticesDuringOutage,
  };
}

/** Scenario 7: recovery from a killed worker and from an AI outage. */
export async function runRecoveryScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const settings = context.quick ? QUICK : FULL;
  // One system: two workers, one of them killed; the AI outage then plays on the survivor.
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    // Written out because the figures are made of them.
    env: {
      WORKER_LOCK_DURATION_MS: String(settings.lockDurationMs),
      WORKER_STALLED_INTERVAL_MS: String(settings.stalledIntervalMs),
      BREAKER_RESET_TIMEOUT_MS: String(settings.breakerResetTimeoutMs),
      WEBHOOK_CHANNEL_PER_MINUTE: NO_DISCORD_LIMITS.WEBHOOK_CHANNEL_PER_MINUTE,
    },
    workerEnv: {},
    gatewayEnv: buildGatewayEnv('fair'),
    workers: 2,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: 0 } },
    channels: 10,
    users: IN_FLIGHT + 400,
    warmUp: true,
  });
  context.progress('recovery: SIGKILL a worker');
  const kill = await measureWorkerKill(context, bench, settings);
  context.progress('recovery: AI outage');
  const outage = await measureAiOutage(context, bench, settings);
  const seconds = (ms: number) => `${ms / 1000} s`;
  return buildScenarioResult({
    id: 'recovery',
    title: `Recovery: a worker SIGKILLed mid-job; the AI failing then coming back (lock ${seconds(settings.lockDurationMs)}, stalled check ${seconds(settings.stalledIntervalMs)}, breaker reset ${seconds(settings.breakerResetTimeoutMs)})`,
    target:
      'orphaned jobs answered within lock + 2 stalled checks + AI call (+1 s), none twice; first reply within the breaker reset (+1 s)',
    checks: [
      buildCheck({
        name: 'kill → orphans answered',
        value: kill.recoveryMs,
        unit: 'ms',
        target: { op: '<=', value: killBoundMs(settings) },
      }),
      buildCheck({
        name: 'replies posted twice',
        value: kill.duplicates,
        unit: '',
        target: { op: '==', value: 0 },
      }),
      buildCheck({
        name: 'unanswered after kill',
        value: kill.unanswered,
        unit: '',
        target: { op: '==', value: 0 },
      }),
      buildCheck({
        name: 'AI back → first reply',
        value: outage.firstReplyMs,
        unit: 'ms',
        target: { op: '<=', value: settings.breakerResetTimeoutMs + 1000 },
      }),
    ],
    delivery: { lost: kill.unanswered, doubled: kill.duplicates },
    figures: { kill, outage },
    durationMs: performance.now() - startedAt,
  });
}
