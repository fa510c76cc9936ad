import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { AiStub } from '../../sandbox/ai-stub/index.js';
import type { BenchContext } from '../bench-context.js';
import { buildCheck, buildScenarioResult, type Check, type ScenarioResult } from '../scenario-result.js';
import type { TransportClientPlan, TransportKind, TransportRound } from '../transport-client.js';

/** The sizes of a run: calls per round of each kind, at the same concurrency. */
const FULL = { calls: 4_000, concurrency: 20, rounds: 5, warmupCalls: 2_000 } as const;
const QUICK = { calls: 1_000, concurrency: 20, rounds: 3, warmupCalls: 300 } as const;

const CLIENT_SCRIPT = fileURLToPath(new URL('../transport-client.ts', import.meta.url));

/** A Discord message object as `POST /webhooks/{id}/{token}?wait=true` answers it (~1 KB). */
const WEBHOOK_ANSWER = JSON.stringify({
  id: '1300000000000000001',
  type: 0,
  content: `Ahoy! ${'The sea is calm and the wind is fair today. '.repeat(6)}`,
  channel_id: '1200000000000000001',
  author: {
    id: '1234567890123456789',
    username: 'Alice',
    avatar: null,
    discriminator: '0000',
    public_flags: 0,
    flags: 0,
    bot: true,
    global_name: null,
  },
  attachments: [],
  embeds: [],
  mentions: [],
  mention_roles: [],
  pinned: false,
  mention_everyone: false,
  tts: false,
  timestamp: '2026-01-01T00:00:00.000000+00:00',
  edited_timestamp: null,
  flags: 0,
  components: [],
  webhook_id: '1234567890123456789',
});

/** Discord's rate-limit headers on a webhook execute. */
const WEBHOOK_HEADERS = {
  'content-type': 'application/json',
  'x-ratelimit-bucket': 'a06de2e3b8e5c3f1b3c2f1f0e2d3c4b5',
  'x-ratelimit-limit': '5',
  'x-ratelimit-remaining': '4',
  'x-ratelimit-reset': '1767225600.123',
  'x-ratelimit-reset-after': '2.000',
  via: '1.1 google',
  'cf-cache-status': 'DYNAMIC',
};

async function startWebhookServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { ...WEBHOOK_HEADERS, 'content-length': Buffer.byteLength(WEBHOOK_ANSWER) });
      response.end(WEBHOOK_ANSWER);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Runs the client process and collects its rounds. */
async function runClient(plan: TransportClientPlan): Promise<TransportRound[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT_SCRIPT, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the transport client exited with ${code}: ${stderr.trim()}`);
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TransportRound);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Per kind: the median over rounds of CPU µs per call, and every round's figure. */
function summarize(rounds: readonly TransportRound[]) {
  const kinds = [...new Set(rounds.map((round) => round.kind))];
  return kinds.map((kind) => {
    const ofKind = rounds.filter((round) => round.kind === kind);
    const perCall = ofKind.map((round) => round.cpuMicros / round.calls);
    return {
      kind,
      cpuMicrosPerCall: Math.round(median(perCall)),
      roundsMicrosPerCall: perCall.map((value) => Math.round(value)),
      callsPerSecond: Math.round(
        (ofKind[0]?.calls ?? 0) / (median(ofKind.map((round) => round.wallMs)) / 1000),
      ),
    };
  });
}

const KIND_TITLES: Record<TransportKind, string> = {
  'ai-call': 'AI call',
  'webhook-post': 'webhook post',
};

/**
 * The HTTP transport: client CPU per non-streamed AI call (`ProviderClient.complete` against the AI stub) and per
 * webhook post (`DiscordWebhookClient.requestWithWebhookToken` against a server answering like Discord's
 * execute), both over undici pools, in one client process measured alone (the servers run in the bench
 * process). The comparison that chose undici over a hand-written `node:http` transport is recorded in
 * docs/performance.md ("HTTP transport").
 */
export async function runTransportScenario(context: BenchContext): Promise<ScenarioResult> {
  const startedAt = performance.now();
  const shape = context.quick ? QUICK : FULL;
  const stub = await AiStub.start();
  const webhook = await startWebhookServer();
  try {
    context.progress(
      `transport: ${shape.calls} calls × ${shape.rounds} rounds per kind, ${shape.concurrency} at a time`,
    );
    const rounds = await runClient({
      aiBaseUrl: stub.baseUrl,
      webhookOrigin: webhook.origin,
      calls: shape.calls,
      concurrency: shape.concurrency,
      rounds: shape.rounds,
      warmupCalls: shape.warmupCalls,
    });
    const summary = summarize(rounds);
    const checks: Check[] = summary.map((entry) =>
      buildCheck({ name: `${KIND_TITLES[entry.kind]} CPU`, value: entry.cpuMicrosPerCall, unit: 'µs' }),
    );
    return buildScenarioResult({
      id: 'transport',
      title: 'HTTP transport',
      target: 'reported',
      checks,
      figures: { shape, summary },
      durationMs: performance.now() - startedAt,
    });
  } finally {
    await stub.close();
    await new Promise<void>((resolve) => {
      webhook.server.close(() => resolve());
      webhook.server.closeAllConnections();
    });
  }
}
