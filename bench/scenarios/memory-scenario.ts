import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StubRequestRecord } from '../../sandbox/ai-stub/index.js';
import { SUMMARY_HEADING } from '../../src/context/index.js';
import { SUMMARY_INSTRUCTION_PREFIX } from '../../src/memory/index.js';
import { BenchCluster, NO_DISCORD_LIMITS, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { summarizeLatencies } from '../latency-summary.js';
import { buildCheck, buildScenarioResult, type ScenarioResult } from '../scenario-result.js';

/** One long conversation. */
interface MemoryPlan {
  /** Replies, one after another (the next message once the last reply is posted). */
  readonly replies: number;
  /** `CONVERSATION_MAX_TURNS`: past it, every append hands the trimmed turns to summarization. */
  readonly maxTurns: number;
  /** Every n-th message also says a `fact:` line, which the stub's summaries keep. */
  readonly factEvery: number;
}

/** 100 replies at the default cap (40 turns): summarization starts at reply 21. */
const FULL: MemoryPlan = { replies: 100, maxTurns: 40, factEvery: 4 };
/** A quick run: 30 replies with a 10-turn cap (summarization from reply 6). */
const QUICK: MemoryPlan = { replies: 30, maxTurns: 10, factEvery: 4 };
const REPLY_TIMEOUT_MS = 30_000;
/** After the last reply: no request in flight and none new for this long means summarization is done. */
const QUIET_MS = 1_500;
const DRAIN_TIMEOUT_MS = 15_000;
const POLL_MS = 100;
/** The summarization prompt lists the turns it folds after this line (src/memory/summarizer.ts). */
const NEW_TURNS_HEADING = '[New turns, oldest first]';

/** Characters of a request's messages: what the stub's usage counts (4 a token). */
function promptChars(request: StubRequestRecord): number {
  return request.messages.reduce((sum, message) => sum + message.content.length, 0);
}

function isSummarization(request: StubRequestRecord): boolean {
  const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
  return system.startsWith(SUMMARY_INSTRUCTION_PREFIX);
}

/** Characters of the memory block in a reply's system message (it ends the system message), 0 without one. */
function memoryBlockChars(request: StubRequestRecord): number {
  const system = request.messages.find((message) => message.role === 'system')?.content ?? '';
  const at = system.indexOf(SUMMARY_HEADING);
  return at < 0 ? 0 : system.length - at;
}

/** Turns a summarization folds: the lines after {@link NEW_TURNS_HEADING}. */
function foldedTurns(request: StubRequestRecord): number {
  const user = request.messages.find((message) => message.role === 'user')?.content ?? '';
  const at = user.indexOf(NEW_TURNS_HEADING);
  if (at < 0) return 0;
  return user
    .slice(at + NEW_TURNS_HEADING.length)
    .split('\n')
    .filter((line) => /^(User|Character): /.test(line)).length;
}

interface TokenTotals {
  readonly calls: number;
  readonly prompt: number;
  readonly completion: number;
  readonly total: number;
}

function sumUsage(requests: readonly StubRequestRecord[]): TokenTotals {
  let prompt = 0;
  let completion = 0;
  for (const request of requests) {
    prompt += request.usage?.prompt_tokens ?? 0;
    completion += request.usage?.completion_tokens ?? 0;
  }
  return { calls: requests.length, prompt, completion, total: prompt + completion };
}

/** Waits until the stub has nothing in flight and has had no new request for {@link QUIET_MS}. */
async function waitForQuiet(bench: BenchCluster): Promise<void> {
  const deadline = performance.now() + DRAIN_TIMEOUT_MS;
  let count = bench.aiStub.requests.length;
  let quietSince = performance.now();
  for (;;) {
    const requests = bench.aiStub.requests;
    if (requests.length !== count || requests.some((request) => request.outcome === 'pending')) {
      count = requests.length;
      quietSince = performance.now();
    } else if (performance.now() - quietSince >= QUIET_MS) return;
    if (performance.now() > deadline)
      throw new Error(`summarization still running ${DRAIN_TIMEOUT_MS} ms after the last reply`);
    await sleep(POLL_MS);
  }
}

/**
 * Long-term memory's cost (docs/memory.md): one user talks with one personality, one message at a time, past
 * `CONVERSATION_MAX_TURNS`, so the append hands trimmed turns to a `summarize-memory` task that folds them into the
 * rolling summary through the AI (the stub keeps the `fact:` lines, said by every {@link MemoryPlan.factEvery}-th
 * message). From the stub's recorded requests: summarization calls and tokens per 100 replies beside the replies'
 * own, and the memory block's share of each reply's prompt (characters, which the stub's token counts follow).
 */
export async function runMemoryScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const plan = context.quick ? QUICK : FULL;
  context.progress(
    `memory: ${plan.replies} replies in one conversation, CONVERSATION_MAX_TURNS=${plan.maxTurns}`,
  );
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: {
      ...UNBOUNDED_USER_LIMITS,
      ...NO_DISCORD_LIMITS,
      SHUTDOWN_GRACE_MS: '0',
      CONVERSATION_MAX_TURNS: String(plan.maxTurns),
    },
    workerEnv: {},
    gatewayEnv: {},
    workers: 1,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: 0 } },
    channels: 1,
    // The warm-up message is user 0's; user 1 holds the measured conversation, which starts empty.
    users: 2,
    warmUp: true,
  });
  const { aiStub, tracker, channelIds, userIds } = bench;
  aiStub.clearRequests();
  const loadStartedAt = performance.now();
  for (let n = 0; n < plan.replies; n += 1) {
    const body = n % plan.factEvery === plan.factEvery - 1 ? 'fact' : 'chat';
    const seq = tracker.send(userIds[1]!, channelIds[0]!, bench.mention(0), body);
    await tracker.waitForAll([seq], REPLY_TIMEOUT_MS, `memory reply ${n + 1}`);
  }
  const loadMs = performance.now() - loadStartedAt;
  // The last replies' summarizations run after them (enqueued once the reply is posted): let them finish.
  await waitForQuiet(bench);

  const answered = aiStub.requests.filter((request) => request.outcome === 'answered');
  const summaries = answered.filter(isSummarization);
  const replies = answered.filter((request) => !isSummarization(request));
  if (replies.length !== plan.replies)
    throw new Error(`expected ${plan.replies} reply requests, the stub answered ${replies.length}`);
  const summaryTokens = sumUsage(summaries);
  const replyTokens = sumUsage(replies);
  const per100 = (value: number) => (value * 100) / plan.replies;
  const shares = replies.map((request) => (100 * memoryBlockChars(request)) / promptChars(request));
  const withMemory = shares.filter((share) => share > 0);
  const share = summarizeLatencies(shares);
  const shareWithMemory = summarizeLatencies(withMemory);
  const turns = summarizeLatencies(summaries.map(foldedTurns));
  const memoryChars = summarizeLatencies(replies.map(memoryBlockChars));
  const round = (value: number) => Math.round(value * 10) / 10;

  return buildScenarioResult({
    id: 'memory',
    title: `Summarization: one conversation of ${plan.replies} replies, CONVERSATION_MAX_TURNS=${plan.maxTurns}, a fact every ${plan.factEvery} messages`,
    target: 'reported',
    checks: [
      buildCheck({ name: 'summarization calls per 100 replies', value: per100(summaries.length), unit: '' }),
      buildCheck({
        name: 'summarization tokens per 100 replies',
        value: Math.round(per100(summaryTokens.total)),
        unit: '',
      }),
      buildCheck({
        name: 'reply tokens per 100 replies',
        value: Math.round(per100(replyTokens.total)),
        unit: '',
      }),
      buildCheck({
        name: 'summarization ÷ reply tokens',
        value: round((100 * summaryTokens.total) / replyTokens.total),
        unit: '%',
      }),
      buildCheck({ name: 'memory share of reply prompt (mean)', value: round(share.mean), unit: '%' }),
      buildCheck({ name: 'memory share of reply prompt (max)', value: round(share.max), unit: '%' }),
      buildCheck({ name: 'turns folded per summarization (mean)', value: round(turns.mean), unit: '' }),
    ],
    figures: {
      ...plan,
      workers: 1,
      summaryCalls: summaries.length,
      summaryCallsPer100Replies: per100(summaries.length),
      summaryTokens,
      summaryTokensPer100Replies: {
        prompt: Math.round(per100(summaryTokens.prompt)),
        completion: Math.round(per100(summaryTokens.completion)),
        total: Math.round(per100(summaryTokens.total)),
      },
      replyTokens,
      replyTokensPer100Replies: {
        prompt: Math.round(per100(replyTokens.prompt)),
        completion: Math.round(per100(replyTokens.completion)),
        total: Math.round(per100(replyTokens.total)),
      },
      summaryToReplyTokensPercent: round((100 * summaryTokens.total) / replyTokens.total),
      memorySharePercent: {
        meanAllReplies: round(share.mean),
        meanRepliesWithMemory: round(shareWithMemory.mean),
        max: round(share.max),
        repliesWithMemory: withMemory.length,
      },
      memoryBlockChars: { mean: Math.round(memoryChars.mean), max: memoryChars.max },
      turnsFoldedPerCall: { mean: round(turns.mean), max: turns.max },
      loadMs: Math.round(loadMs),
    },
    durationMs: performance.now() - startedAt,
  });
}
