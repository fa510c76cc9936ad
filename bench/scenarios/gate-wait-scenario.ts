import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCluster } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { selectPhaseUsers } from '../pipeline-cluster.js';
import { type MonitoredCommand, RedisMonitor } from '../redis-monitor.js';
import { buildCheck, buildScenarioResult, type ScenarioResult } from '../scenario-result.js';
import { buildScriptNames } from '../script-names.js';
import { countCommands } from './redis-cost-scenario.js';

/** Figures of the conversation-wait run. */
export interface GateWaitRun {
  readonly aiLatencyMs: number;
  readonly messages: number;
  /** Sum over the waiting messages of the time from their dispatch to their turn (the previous reply), s. */
  readonly waitingJobSeconds: number;
  /** Commands sent while the conversation was answered (one user, one channel: all but the first wait). */
  readonly conversationCommands: number;
  /** Commands sent for the same messages in as many channels (no message waits). */
  readonly controlCommands: number;
  /** Commands sent while idle, per second (subtracted for the difference in duration). */
  readonly idleCommandsPerSecond: number;
  /** What waiting added, per waiting message (its wasted first read batch, the delay, the wake-up, …). */
  readonly extraCommandsPerWaitingJob: number;
  readonly commandsPerWaitingJobSecond: number;
  /** Replies posted in message order. */
  readonly inOrder: boolean;
}

/** The AI call the conversation waits behind (the figure is defined for this call, in quick runs too). */
const AI_LATENCY_MS = 10_000;
const MESSAGES = 5;
const IDLE_MS = 2000;

/**
 * Sends `MESSAGES` messages from one user, the first to a 10 s AI call and the rest (at 0 ms) once it has
 * started, one per entry of `channelIds`; resolves with their seqs once all are answered.
 */
async function sendBehindSlowCall(
  bench: BenchCluster,
  userId: string,
  channelIds: readonly string[],
): Promise<number[]> {
  const { tracker, aiStub } = bench;
  aiStub.setBehaviour({ latency: AI_LATENCY_MS });
  const before = aiStub.requests.length;
  const first = tracker.send(userId, channelIds[0]!);
  // Polled here: the tracker re-checks its conditions only when a reply arrives.
  for (let waited = 0; aiStub.requests.length === before; waited += 20) {
    if (waited > 15_000) throw new Error('the slow AI call did not start within 15 s');
    await sleep(20);
  }
  aiStub.setBehaviour({ latency: 0 });
  const seqs = [first, ...channelIds.slice(1).map((channelId) => tracker.send(userId, channelId))];
  await tracker.waitForAll(seqs, AI_LATENCY_MS + 20_000, 'the conversation’s replies');
  // Settling and BullMQ's completion run just after the post.
  await sleep(500);
  return seqs;
}

/**
 * Scenario: Redis commands per waiting job-second. One conversation (user × channel × personality) of 5
 * messages behind a 10 s AI call, against a control run of the same 5 messages in 5 channels (nothing waits):
 * the difference, less idle background for the difference in duration, divided by the time the 4 later
 * messages waited for their turn.
 */
export async function measureGateWait(context: BenchContext, bench: BenchCluster): Promise<GateWaitRun> {
  const [conversationUser, controlUser] = selectPhaseUsers(bench, 'gate', 'fair');
  const listeners = new Set<(command: MonitoredCommand) => void>();
  const monitor = await RedisMonitor.start(context.redisUrl, (command) => {
    for (const listener of listeners) listener(command);
  });
  const scriptNames = buildScriptNames();
  try {
    const idle = await countCommands(listeners, bench.prefix, scriptNames, () => sleep(IDLE_MS));
    const idlePerMs = idle.counts.topLevel / idle.elapsedMs;
    context.progress('  gate: control (5 messages, 5 channels)');
    const control = await countCommands(listeners, bench.prefix, scriptNames, () =>
      sendBehindSlowCall(bench, controlUser!, bench.channelIds.slice(1, 1 + MESSAGES)),
    );
    context.progress('  gate: one conversation of 5 messages');
    const conversation = await countCommands(listeners, bench.prefix, scriptNames, () =>
      sendBehindSlowCall(bench, conversationUser!, Array(MESSAGES).fill(bench.channelIds[0]!)),
    );
    const tracked = conversation.result.map((seq) => bench.tracker.messages.get(seq)!);
    let waitingMs = 0;
    for (let index = 1; index < tracked.length; index += 1) {
      waitingMs += tracked[index - 1]!.repliedAt! - tracked[index]!.dispatchedAt;
    }
    const extra =
      conversation.counts.topLevel -
      control.counts.topLevel -
      idlePerMs * (conversation.elapsedMs - control.elapsedMs);
    return {
      aiLatencyMs: AI_LATENCY_MS,
      messages: MESSAGES,
      waitingJobSeconds: round(waitingMs / 1000),
      conversationCommands: conversation.counts.topLevel,
      controlCommands: control.counts.topLevel,
      idleCommandsPerSecond: round(idlePerMs * 1000),
      extraCommandsPerWaitingJob: round(extra / (MESSAGES - 1)),
      commandsPerWaitingJobSecond: round(extra / (waitingMs / 1000)),
      inOrder: tracked.every(
        (message, index) => index === 0 || message.repliedAt! > tracked[index - 1]!.repliedAt!,
      ),
    };
  } finally {
    monitor.close();
  }
}

/** The conversation-wait scenario's result. */
export function buildGateWaitResult(run: GateWaitRun, durationMs: number): ScenarioResult {
  return buildScenarioResult({
    id: 'gate',
    title: 'Conversation wait: Redis commands per waiting job-second (5 messages behind a 10 s AI call)',
    target: '≤ 1 command per waiting job-second, replies in order',
    checks: [
      buildCheck({
        name: 'commands per waiting job-second',
        value: run.commandsPerWaitingJobSecond,
        unit: '',
        target: { op: '<=', value: 1 },
      }),
      buildCheck({
        name: 'replies in order',
        value: run.inOrder ? 1 : 0,
        unit: '',
        target: { op: '==', value: 1 },
      }),
    ],
    figures: { run },
    durationMs,
  });
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
