import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchCluster } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { ClosedLoopDriver } from '../closed-loop-driver.js';
import { type RedisCostPhase, selectPhaseUsers } from '../pipeline-cluster.js';
import type { PromptWindowSummary } from '../prompt-window.js';
import { fetchCommandCalls } from '../redis-info.js';
import { type MonitoredCommand, RedisMonitor } from '../redis-monitor.js';
import {
  buildCheck,
  buildScenarioResult,
  buildVariantRows,
  type QueueMode,
  type ScenarioResult,
  type VariantRun,
} from '../scenario-result.js';

/** Redis commands of one prefix, counted through MONITOR. */
export interface CommandTally {
  /** Commands our processes sent (an EVALSHA counts once). */
  topLevel: number;
  /** Commands Lua scripts ran on their behalf. */
  inScripts: number;
  byName: Map<string, number>;
}

/** Figures of one Redis-cost run. */
export interface RedisCostRun {
  readonly mode: QueueMode;
  readonly replies: number;
  /** Round trips: commands sent by gateway + workers, per reply (idle background subtracted). */
  readonly commandsPerReply: number;
  /** Commands run inside Lua scripts, per reply. */
  readonly scriptCommandsPerReply: number;
  /** Commands sent while idle (BullMQ's blocking pops and stalled checks, aging sweeps, stats), per second. */
  readonly idleCommandsPerSecond: number;
  /** Top-level commands per reply by name (top 15). */
  readonly perReplyByCommand: Record<string, number>;
  /** Server-wide `INFO commandstats` delta per reply (includes anything else using this Redis). */
  readonly commandstatsPerReply: number;
  /** Measured in the plain run only: a variant changes what a reply reads, not what a conversation keeps. */
  readonly memory: ConversationMemory | null;
  /** The channel's lines in the batch's prompts (none in personal context). */
  readonly prompts: PromptWindowSummary;
}

/** Redis memory a conversation holds, by `MEMORY USAGE`. */
export interface ConversationMemory {
  readonly turns: number;
  /** The conversation LIST plus the user's conversation index SET. */
  readonly conversationBytes: number;
  /** Every key in the user's slot (`{u:<id>}`: conversation, queue admission state, delivery ledgers). */
  readonly userSlotBytes: number;
  /** Per reply kept after it was posted: its delivery ledger (1 day), posted-message index (7 days), BullMQ job (1 h). */
  readonly retainedBytesPerReply: {
    readonly deliveryLedger: number;
    readonly postedIndex: number;
    readonly bullJob: number;
  };
}

/** Background commands are counted this long with nothing to do, and subtracted from the batch's. */
const IDLE_MS = 1500;
/** Stored turns of the measured conversation: 10 messages and their 10 replies. */
const CONVERSATION_TURNS = 20;

function tally(): CommandTally {
  return { topLevel: 0, inScripts: 0, byName: new Map() };
}

/** Counts the commands touching `prefix` (every command of ours names a key under it) while `during` runs. */
export async function countCommands<T>(
  listeners: Set<(command: MonitoredCommand) => void>,
  prefix: string,
  during: () => Promise<T>,
): Promise<{ result: T; counts: CommandTally; elapsedMs: number }> {
  const counts = tally();
  const onCommand = (command: MonitoredCommand) => {
    if (!command.line.includes(prefix)) return;
    if (command.fromScript) {
      counts.inScripts += 1;
      return;
    }
    counts.topLevel += 1;
    counts.byName.set(command.name, (counts.byName.get(command.name) ?? 0) + 1);
  };
  listeners.add(onCommand);
  const startedAt = performance.now();
  try {
    const result = await during();
    return { result, counts, elapsedMs: performance.now() - startedAt };
  } finally {
    listeners.delete(onCommand);
  }
}

async function measureMemory(bench: BenchCluster, mode: QueueMode): Promise<ConversationMemory> {
  const { tracker, redis, prefix } = bench;
  // The last Redis-cost user is kept out of the batch: its only conversation is this one.
  const userId = selectPhaseUsers(bench, 'redis', mode).at(-1)!;
  const channelId = bench.channelIds[0]!;
  // One message at a time, each answered before the next: a conversation as a person would have it. Tag-only
  // messages, as the figure has always been measured.
  for (let turn = 0; turn < CONVERSATION_TURNS / 2; turn += 1) {
    const seq = tracker.send(userId, channelId);
    await tracker.waitUntil(
      () => tracker.messages.get(seq)?.repliedAt !== null,
      15_000,
      'a conversation reply',
    );
  }
  await sleep(300);
  const usage = async (key: string) =>
    Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
  const keysMatching = async (pattern: string) => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  };
  const sum = async (keys: readonly string[]) =>
    (await Promise.all(keys.map(usage))).reduce((total, bytes) => total + bytes, 0);
  const userKeys = await keysMatching(`${prefix}:*{u:${userId}}*`);
  const conversationKeys = userKeys.filter((key) => key.includes(':conversation'));
  const deliveryKeys = userKeys.filter((key) => key.includes(':delivery:'));
  const postedKeys = await keysMatching(`${prefix}:state:posted:*`);
  const jobKeys = (await keysMatching(`{${prefix}}:replies:reply-*`)).filter((key) => !key.endsWith(':lock'));
  const average = async (keys: readonly string[]) =>
    keys.length === 0 ? Number.NaN : Math.round((await sum(keys)) / keys.length);
  return {
    turns: CONVERSATION_TURNS,
    conversationBytes: await sum(conversationKeys),
    userSlotBytes: await sum(userKeys),
    retainedBytesPerReply: {
      deliveryLedger: await average(deliveryKeys),
      postedIndex: await average(postedKeys),
      bullJob: await average(jobKeys),
    },
  };
}

/**
 * Counts our Redis commands over a batch of chat-length messages' replies (MONITOR), then, in the plain run, the
 * memory of a 20-turn conversation. `phase` picks the users: `redis-<variant>` for a variant's run.
 */
export async function measureRedisCost(
  context: BenchContext,
  bench: BenchCluster,
  mode: QueueMode,
  messages: number,
  phase: RedisCostPhase = 'redis',
): Promise<RedisCostRun> {
  const { tracker, prefix } = bench;
  const userIds = selectPhaseUsers(bench, phase, mode).slice(0, -1);
  const channelIds = bench.channelIds.slice(0, 20);
  const listeners = new Set<(command: MonitoredCommand) => void>();
  const monitor = await RedisMonitor.start(context.redisUrl, (command) => {
    for (const listener of listeners) listener(command);
  });
  try {
    const idle = await countCommands(listeners, prefix, () => sleep(IDLE_MS));
    const idlePerMs = idle.counts.topLevel / idle.elapsedMs;
    const idleScriptsPerMs = idle.counts.inScripts / idle.elapsedMs;
    const statsBefore = await fetchCommandCalls(bench.redis);
    bench.aiStub.clearRequests();
    const batch = await countCommands(listeners, prefix, async () => {
      const driver = new ClosedLoopDriver(
        tracker,
        (n) => ({ userId: userIds[n % userIds.length]!, channelId: channelIds[n % channelIds.length]! }),
        40,
        'chat',
      );
      driver.start();
      await tracker.waitUntil(() => driver.sent >= messages, 60_000, 'the Redis-cost batch to be sent');
      driver.stop();
      await tracker.waitForAll(driver.seqs, 30_000, 'the Redis-cost batch');
      // Settling and BullMQ's completion run just after the post.
      await sleep(500);
      return driver.sent;
    });
    const statsAfter = await fetchCommandCalls(bench.redis);
    const prompts = bench.takePromptWindows();
    const replies = batch.result;
    const background = idlePerMs * batch.elapsedMs;
    const perReplyByCommand = Object.fromEntries(
      [...batch.counts.byName]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 15)
        .map(([name, calls]) => [name, round(calls / replies, 2)]),
    );
    let serverWide = 0;
    for (const [name, calls] of statsAfter) serverWide += calls - (statsBefore.get(name) ?? 0);
    return {
      mode,
      replies,
      commandsPerReply: round((batch.counts.topLevel - background) / replies, 2),
      scriptCommandsPerReply: round(
        (batch.counts.inScripts - idleScriptsPerMs * batch.elapsedMs) / replies,
        2,
      ),
      idleCommandsPerSecond: round(idlePerMs * 1000, 1),
      perReplyByCommand,
      commandstatsPerReply: round(serverWide / replies, 2),
      memory: phase === 'redis' ? await measureMemory(bench, mode) : null,
      prompts,
    };
  } finally {
    monitor.close();
  }
}

/** Messages in the Redis-cost batch, full and quick. */
export function buildRedisBatchSize(quick: boolean): number {
  return quick ? 100 : 1000;
}

/**
 * Scenario 6's result: Redis commands per reply and Redis memory per active conversation, ours vs FIFO, and
 * (fair queue) each variant's commands beside the plain run's.
 */
export function buildRedisCostResult(
  fair: RedisCostRun,
  fifo: RedisCostRun,
  variants: readonly VariantRun<RedisCostRun>[],
  durationMs: number,
): ScenarioResult {
  return buildScenarioResult({
    id: 'redis',
    title: 'Redis cost: commands per reply (MONITOR, our prefix only) and memory per conversation',
    target:
      'reported (no target): round trips and Lua-internal commands per reply, bytes per 20-turn conversation',
    checks: [
      buildCheck({
        name: 'commands sent per reply',
        value: fair.commandsPerReply,
        unit: '',
        fifo: fifo.commandsPerReply,
      }),
      buildCheck({
        name: 'commands in Lua per reply',
        value: fair.scriptCommandsPerReply,
        unit: '',
        fifo: fifo.scriptCommandsPerReply,
      }),
      buildCheck({
        name: 'bytes per 20-turn conversation',
        value: fair.memory?.conversationBytes ?? Number.NaN,
        unit: 'B',
        fifo: fifo.memory?.conversationBytes ?? Number.NaN,
      }),
    ],
    figures: { fair, fifo, fairVariants: Object.fromEntries(variants.map(({ label, run }) => [label, run])) },
    variantRows: buildVariantRows(fair, variants, [
      { name: 'commands sent per reply', unit: '', pick: (run) => run.commandsPerReply },
      { name: 'commands in Lua per reply', unit: '', pick: (run) => run.scriptCommandsPerReply },
      { name: 'channel lines per prompt', unit: '', pick: (run) => run.prompts.meanChannelLines },
    ]),
    durationMs,
  });
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
