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
  type DeliveryCount,
  type QueueMode,
  type ScenarioResult,
  sumDelivery,
  type VariantRun,
} from '../scenario-result.js';
import { buildScriptNames } from '../script-names.js';

/** Redis commands of one prefix, counted through MONITOR. */
export interface CommandTally {
  /** Commands our processes sent (an EVALSHA counts once). */
  topLevel: number;
  /** Commands Lua scripts ran on their behalf. */
  inScripts: number;
  byName: Map<string, number>;
  /** Per script (named as in script-names.ts): its calls, and the commands it ran by name. */
  byScript: Map<string, ScriptTally>;
}

/** One script's share of a {@link CommandTally}. */
export interface ScriptTally {
  calls: number;
  inside: Map<string, number>;
}

/** One script's cost per reply: how often it ran, and the commands it ran inside, in all and by name. */
export interface ScriptCost {
  readonly calls: number;
  readonly commandsInside: number;
  readonly insideByCommand: Record<string, number>;
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
  /**
   * Per script (`chorus:<name>`, `bullmq:<name>`; an unknown SHA1 as itself), per reply, idle background
   * subtracted, most commands inside first: which scripts the Lua-internal commands come from.
   */
  readonly perReplyByScript: Record<string, ScriptCost>;
  /** Server-wide `INFO commandstats` delta per reply (includes anything else using this Redis). */
  readonly commandstatsPerReply: number;
  /** Measured in the plain run only: a variant changes what a reply reads, not what a conversation keeps. */
  readonly memory: ConversationMemory | null;
  /** The channel's lines in the batch's prompts (none in personal context). */
  readonly prompts: PromptWindowSummary;
  /** The batch's messages never answered (after 30 s of waiting), and second replies. */
  readonly delivery: DeliveryCount;
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

/** Commands a reply may send (round trips) and run inside Lua, plain reply path: issue 22's targets. */
const SENT_PER_REPLY_TARGET = 13;
const IN_LUA_PER_REPLY_TARGET = 55;
/** Background commands are counted this long with nothing to do, and subtracted from the batch's. */
const IDLE_MS = 1500;
/**
 * An idle window busier than this (commands per second) still holds the previous phase's tail (its last
 * replies settling): counted again, up to {@link IDLE_TRIES} windows, so the tail is not subtracted as
 * background. Heartbeats, depth samples and BullMQ's timers are a few per second.
 */
const QUIET_COMMANDS_PER_SECOND = 50;
const IDLE_TRIES = 6;
/** Stored turns of the measured conversation: 10 messages and their 10 replies. */
const CONVERSATION_TURNS = 20;

/** A tally with nothing counted yet. */
export function emptyTally(): CommandTally {
  return { topLevel: 0, inScripts: 0, byName: new Map(), byScript: new Map() };
}

function increment(counts: Map<string, number>, name: string): void {
  counts.set(name, (counts.get(name) ?? 0) + 1);
}

/**
 * Counts the commands touching `prefix` (every command of ours names a key under it) while `during` runs, each
 * script call and the commands inside it under the script's name (`scriptNames`: SHA1 → name).
 */
export async function countCommands<T>(
  listeners: Set<(command: MonitoredCommand) => void>,
  prefix: string,
  scriptNames: ReadonlyMap<string, string>,
  during: () => Promise<T>,
): Promise<{ result: T; counts: CommandTally; elapsedMs: number }> {
  const counts = emptyTally();
  const scriptTally = (sha: string): ScriptTally => {
    const name = scriptNames.get(sha) ?? sha;
    let entry = counts.byScript.get(name);
    if (entry === undefined) {
      entry = { calls: 0, inside: new Map() };
      counts.byScript.set(name, entry);
    }
    return entry;
  };
  const onCommand = (command: MonitoredCommand) => {
    if (!command.line.includes(prefix)) return;
    if (command.fromScript) {
      counts.inScripts += 1;
      if (command.script !== null) increment(scriptTally(command.script).inside, command.name);
      return;
    }
    counts.topLevel += 1;
    increment(counts.byName, command.name);
    if (command.script !== null) scriptTally(command.script).calls += 1;
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
  const scriptNames = buildScriptNames();
  try {
    let idle = await countCommands(listeners, prefix, scriptNames, () => sleep(IDLE_MS));
    for (let tries = 1; tries < IDLE_TRIES; tries += 1) {
      if ((idle.counts.topLevel / idle.elapsedMs) * 1000 <= QUIET_COMMANDS_PER_SECOND) break;
      idle = await countCommands(listeners, prefix, scriptNames, () => sleep(IDLE_MS));
    }
    const idlePerMs = idle.counts.topLevel / idle.elapsedMs;
    const idleScriptsPerMs = idle.counts.inScripts / idle.elapsedMs;
    const statsBefore = await fetchCommandCalls(bench.redis);
    bench.aiStub.clearRequests();
    const batch = await countCommands(listeners, prefix, scriptNames, async () => {
      const driver = new ClosedLoopDriver(
        tracker,
        (n) => ({ userId: userIds[n % userIds.length]!, channelId: channelIds[n % channelIds.length]! }),
        40,
        'chat',
      );
      driver.start();
      await tracker.waitUntil(() => driver.sent >= messages, 60_000, 'the Redis-cost batch to be sent');
      driver.stop();
      await tracker
        .waitForAll(driver.seqs, 30_000, 'the Redis-cost batch')
        .catch((error: unknown) => context.progress(`  redis: ${String(error)}`));
      // Settling and BullMQ's completion run just after the post.
      await sleep(500);
      return { sent: driver.sent, delivery: tracker.countDelivery(driver.seqs) };
    });
    const statsAfter = await fetchCommandCalls(bench.redis);
    const prompts = bench.takePromptWindows();
    const replies = batch.result.sent;
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
      perReplyByScript: buildPerReplyByScript(batch, idle, replies),
      commandstatsPerReply: round(serverWide / replies, 2),
      memory: phase === 'redis' ? await measureMemory(bench, mode) : null,
      prompts,
      delivery: batch.result.delivery,
    };
  } finally {
    monitor.close();
  }
}

interface TimedTally {
  readonly counts: CommandTally;
  readonly elapsedMs: number;
}

/** Each script's calls and inner commands per reply, the idle rate over the batch's time subtracted. */
export function buildPerReplyByScript(
  batch: TimedTally,
  idle: TimedTally,
  replies: number,
): Record<string, ScriptCost> {
  const idleShare = batch.elapsedMs / idle.elapsedMs;
  const perReply = (count: number, idleCount: number) => round((count - idleCount * idleShare) / replies, 2);
  const costs = [...batch.counts.byScript].map(([name, script]): [string, ScriptCost] => {
    const idleScript = idle.counts.byScript.get(name);
    const insideByCommand = Object.fromEntries(
      [...script.inside]
        .map(([command, count]): [string, number] => [
          command,
          perReply(count, idleScript?.inside.get(command) ?? 0),
        ])
        .sort((a, b) => b[1] - a[1]),
    );
    return [
      name,
      {
        calls: perReply(script.calls, idleScript?.calls ?? 0),
        commandsInside: round(
          Object.values(insideByCommand).reduce((sum, count) => sum + count, 0),
          2,
        ),
        insideByCommand,
      },
    ];
  });
  return Object.fromEntries(costs.sort((a, b) => b[1].commandsInside - a[1].commandsInside));
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
    target: `per reply ≤ ${SENT_PER_REPLY_TARGET} commands sent, ≤ ${IN_LUA_PER_REPLY_TARGET} run inside Lua; bytes per 20-turn conversation reported`,
    checks: [
      buildCheck({
        name: 'commands sent per reply',
        value: fair.commandsPerReply,
        unit: '',
        target: { op: '<=', value: SENT_PER_REPLY_TARGET },
        fifo: fifo.commandsPerReply,
      }),
      buildCheck({
        name: 'commands in Lua per reply',
        value: fair.scriptCommandsPerReply,
        unit: '',
        target: { op: '<=', value: IN_LUA_PER_REPLY_TARGET },
        fifo: fifo.scriptCommandsPerReply,
      }),
      buildCheck({
        name: 'bytes per 20-turn conversation',
        value: fair.memory?.conversationBytes ?? Number.NaN,
        unit: 'B',
        fifo: fifo.memory?.conversationBytes ?? Number.NaN,
      }),
    ],
    delivery: sumDelivery([fair.delivery, fifo.delivery, ...variants.map(({ run }) => run.delivery)]),
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
