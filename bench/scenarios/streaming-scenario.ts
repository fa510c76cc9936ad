import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StubRequestRecord } from '../../sandbox/ai-stub/index.js';
import type { TranscriptEntry } from '../../sandbox/index.js';
import { BenchCluster, UNBOUNDED_USER_LIMITS } from '../bench-cluster.js';
import type { BenchContext } from '../bench-context.js';
import { summarizeLatencies } from '../latency-summary.js';
import { buildCheck, buildScenarioResult, type ScenarioResult } from '../scenario-result.js';
import {
  buildStreamedReplyText,
  measureStreamedReply,
  type StreamedReplyFigures,
} from '../streamed-reply-figures.js';

/** How many streamed replies, how long each. */
interface StreamingPlan {
  readonly channels: number;
  /** Replies per channel, one after another (the next question once the last reply is complete). */
  readonly repliesPerChannel: number;
  /** Tokens per reply: chunks of {@link CHARS_PER_TOKEN} characters, {@link TOKEN_EVERY_MS} apart. */
  readonly tokens: number;
}

/** 20 channels × 3 replies of 600 tokens at 20 tokens/s: ~30 s each, ~95 s in all; the replies overflow. */
const FULL: StreamingPlan = { channels: 20, repliesPerChannel: 3, tokens: 600 };
/** A quick run: 5 channels × 1 reply of 120 tokens (~6 s, one message each). */
const QUICK: StreamingPlan = { channels: 5, repliesPerChannel: 1, tokens: 120 };
const CHARS_PER_TOKEN = 4;
/** 20 tokens a second. */
const TOKEN_EVERY_MS = 50;
const WORKERS = 2;
/** The fleet's default (`STREAM_EDIT_INTERVAL_MS`): no two writes of one message closer than this. */
const EDIT_INTERVAL_MS = 1200;
/** Ends every reply: a reply is complete in its channel once one of its messages ends with it. */
const END_MARKER = '[end]';
/** The bench's personalities' system prompt says this (bench-cluster.ts); the stub's script answers it. */
const PERSONA_PROMPT = 'benchmark partner';
const POLL_MS = 100;
/** The tag the bench's questions carry (reply-tracker.ts), which the prompt's last user turn repeats. */
const TAG_PATTERN = /#b(\d+)\b/;

/** One question and the reply it got. */
interface AskedReply {
  readonly seq: number;
  readonly channelId: string;
  readonly messageIds: readonly string[];
}

/**
 * Streamed replies under Discord's real limits (sandbox limits on, the fleet's `WEBHOOK_CHANNEL_PER_MINUTE` and
 * `STREAM_EDIT_INTERVAL_MS` at their defaults): in each channel one user asks, waits for the reply to be complete,
 * asks again, so one stream is in flight per channel. The AI stub streams each answer a token (~4 characters) every
 * 50 ms. Per reply: its first visible text (the first message's creation in the sandbox) less the AI's first
 * token (the stub's first text chunk), its edits, and the shortest gap between two writes of one message; and
 * every 429 the sandbox answered.
 */
export async function runStreamingScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const plan = context.quick ? QUICK : FULL;
  const replyChars = plan.tokens * CHARS_PER_TOKEN;
  context.progress(
    `streaming: ${plan.channels} channels × ${plan.repliesPerChannel} replies of ${plan.tokens} tokens`,
  );
  await using bench = await BenchCluster.start({
    redisUrl: context.redisUrl,
    env: { ...UNBOUNDED_USER_LIMITS, SHUTDOWN_GRACE_MS: '0', STREAM_REPLIES: 'true' },
    workerEnv: {},
    gatewayEnv: {},
    workers: WORKERS,
    sandbox: { rateLimits: { enabled: true } },
    // Warm-up replies are the stub's echo (the tracker knows them by their tag), whole and at once.
    aiStub: { behaviour: { latency: 0 } },
    channels: plan.channels,
    users: plan.channels,
    warmUp: true,
  });
  const { sandbox, aiStub, tracker, channelIds, userIds } = bench;
  aiStub.setBehaviour({
    script: [{ systemIncludes: PERSONA_PROMPT, reply: buildStreamedReplyText(replyChars, END_MARKER) }],
    streamChunkChars: CHARS_PER_TOKEN,
    chunkDelayMs: TOKEN_EVERY_MS,
  });
  aiStub.clearRequests();
  const rateLimitedBefore = sandbox.stats().rateLimited;
  const replyTimeoutMs = 3 * plan.tokens * TOKEN_EVERY_MS + 30_000;
  const loadStartedAt = performance.now();

  /** One channel's user: asks, waits for the complete reply, asks again. */
  const converse = async (index: number): Promise<AskedReply[]> => {
    const channelId = channelIds[index]!;
    const replies: AskedReply[] = [];
    const answered = new Set<string>();
    for (let n = 0; n < plan.repliesPerChannel; n += 1) {
      const askedAt = Date.now();
      const seq = tracker.send(userIds[index]!, channelId);
      const deadline = performance.now() + replyTimeoutMs;
      for (;;) {
        const mine = sandbox
          .transcript(channelId)
          .filter(
            (message) =>
              message.webhookId !== null && message.createdAt >= askedAt && !answered.has(message.id),
          );
        if (mine.some((message) => message.content.trimEnd().endsWith(END_MARKER))) {
          for (const message of mine) answered.add(message.id);
          replies.push({ seq, channelId, messageIds: mine.map((message) => message.id) });
          break;
        }
        if (performance.now() > deadline)
          throw new Error(`reply #b${seq} in channel ${index} not complete after ${replyTimeoutMs} ms`);
        await sleep(POLL_MS);
      }
    }
    return replies;
  };
  const asked = (await Promise.all(channelIds.map((_, index) => converse(index)))).flat();
  const loadMs = performance.now() - loadStartedAt;
  // A complete reply may still get a last edit (the full text reached an earlier edit): let it land.
  await sleep(EDIT_INTERVAL_MS + 500);
  const rateLimited = sandbox.stats().rateLimited - rateLimitedBefore;

  const requests = new Map<number, StubRequestRecord>();
  for (const request of aiStub.requests) {
    const lastUser = request.messages.findLast((message) => message.role === 'user')?.content ?? '';
    const tag = TAG_PATTERN.exec(lastUser);
    if (tag) requests.set(Number(tag[1]), request);
  }
  const transcripts = new Map<string, Map<string, TranscriptEntry>>();
  for (const channelId of channelIds)
    transcripts.set(
      channelId,
      new Map(sandbox.transcript(channelId).map((message) => [message.id, message] as const)),
    );
  const figures: StreamedReplyFigures[] = asked.map((reply) => {
    const firstChunkAt = requests.get(reply.seq)?.firstChunkAt;
    if (firstChunkAt == null) throw new Error(`no streamed AI request for #b${reply.seq}`);
    const messages = reply.messageIds.map((id) => transcripts.get(reply.channelId)!.get(id)!);
    return measureStreamedReply(messages, firstChunkAt);
  });
  const firstVisible = summarizeLatencies(figures.map((reply) => reply.firstVisibleAfterFirstTokenMs));
  const edits = summarizeLatencies(figures.map((reply) => reply.edits));
  const gaps = figures.flatMap((reply) => (reply.minWriteGapMs === null ? [] : [reply.minWriteGapMs]));
  const minWriteGapMs = gaps.length === 0 ? Number.NaN : Math.min(...gaps);
  const round = (value: number) => Math.round(value * 10) / 10;

  return buildScenarioResult({
    id: 'streaming',
    title: `Streamed replies: ${plan.channels} channels × ${plan.repliesPerChannel} of ${plan.tokens} tokens at ${1000 / TOKEN_EVERY_MS}/s, Discord's limits on, ${WORKERS} workers`,
    target: 'first visible text ≤ 1.5 s after the first token (p50, p95), 0 × 429',
    checks: [
      buildCheck({
        name: 'first text shown − first token p50',
        value: Math.round(firstVisible.p50),
        unit: 'ms',
        target: { op: '<=', value: 1500 },
      }),
      buildCheck({
        name: 'first text shown − first token p95',
        value: Math.round(firstVisible.p95),
        unit: 'ms',
        target: { op: '<=', value: 1500 },
      }),
      buildCheck({ name: '429s', value: rateLimited, unit: '', target: { op: '==', value: 0 } }),
      buildCheck({ name: 'edits per reply (mean)', value: round(edits.mean), unit: '' }),
      buildCheck({ name: 'edits per reply (max)', value: edits.max, unit: '' }),
      buildCheck({
        name: 'min gap between writes of a message',
        value: minWriteGapMs,
        unit: 'ms',
        target: { op: '>=', value: EDIT_INTERVAL_MS },
      }),
    ],
    figures: {
      ...plan,
      workers: WORKERS,
      replyChars,
      tokenEveryMs: TOKEN_EVERY_MS,
      editIntervalMs: EDIT_INTERVAL_MS,
      replies: figures.length,
      firstVisibleAfterFirstTokenMs: {
        p50: Math.round(firstVisible.p50),
        p95: Math.round(firstVisible.p95),
        max: Math.round(firstVisible.max),
        mean: Math.round(firstVisible.mean),
      },
      rateLimited,
      editsPerReply: { mean: round(edits.mean), max: edits.max, total: edits.mean * edits.count },
      messagesPerReply: round(figures.reduce((sum, reply) => sum + reply.messages, 0) / figures.length),
      minWriteGapMs,
      loadMs: Math.round(loadMs),
    },
    durationMs: performance.now() - startedAt,
  });
}
