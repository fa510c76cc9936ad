/**
 * The client side of the HTTP transport scenario, in a process of its own so its CPU time is only the client's:
 * `node --import tsx bench/transport-client.ts '<json TransportClientPlan>'`. Runs the same calls, at the same
 * concurrency, through each transport in turn (the order rotating per round), and prints one JSON line per
 * (kind, transport, round) with the CPU time (user + system, `process.cpuUsage`) the calls took.
 */
import { Agent, type Dispatcher, request as undiciRequest } from 'undici';
import { ProviderClient } from '../src/ai/provider-client.js';
import { createProviderPool } from '../src/ai/provider-pools.js';
import { KeepAliveTransport } from '../src/http/keep-alive-transport.js';
import { ScopedAbort } from '../src/http/scoped-abort.js';

/** What the parent asks for. */
export interface TransportClientPlan {
  /** The AI stub's base URL (`…/v1`). */
  readonly aiBaseUrl: string;
  /** The webhook-like server's origin. */
  readonly webhookOrigin: string;
  readonly calls: number;
  readonly concurrency: number;
  readonly rounds: number;
  /** Calls per transport before the first round (connections opened, code warmed up). */
  readonly warmupCalls: number;
}

/** One measured round. */
export interface TransportRound {
  readonly kind: TransportKind;
  readonly transport: string;
  readonly round: number;
  readonly calls: number;
  readonly cpuMicros: number;
  readonly wallMs: number;
}

export type TransportKind = 'ai-call' | 'webhook-post' | 'ai-stream';

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
const TIMEOUT_MS = 60_000;
const USER_AGENT = 'chorus-bench/1';

/** One call: sends, reads the whole answer, parses it as JSON. Rejects on a non-2xx. */
type Call = () => Promise<void>;

/** A prompt of a realistic size: a system prompt and a few turns of history, ~2 KB of JSON. */
function buildAiBody(): string {
  const history = Array.from({ length: 8 }, (_, index) => ({
    role: index % 2 === 0 ? 'user' : 'assistant',
    content: `Turn ${index}: ${'the relay carries every message through the queue and back. '.repeat(3)}`,
  }));
  return JSON.stringify({
    model: 'stub-small',
    messages: [
      { role: 'system', content: `You are Alice, a cheerful pirate. ${'Stay in character. '.repeat(10)}` },
      ...history,
      { role: 'user', content: 'Bob: what is the weather like at sea?' },
    ],
    temperature: 0.7,
  });
}

/** An execute-webhook body as the webhook client sends it. */
function buildWebhookBody(): string {
  return JSON.stringify({
    content: `Ahoy! ${'The sea is calm and the wind is fair today. '.repeat(6)}`,
    username: 'Alice',
    avatar_url: 'https://cdn.example/avatars/alice.png',
    allowed_mentions: { parse: [] },
  });
}

function keepAliveCall(origin: URL, path: string, headers: Record<string, string>, body: string): Call {
  const transport = new KeepAliveTransport({
    origin,
    timeoutMs: TIMEOUT_MS,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    resendOnStaleConnection: true,
  });
  return async () => {
    using deadline = new ScopedAbort([], TIMEOUT_MS);
    const answer = await transport.send({ method: 'POST', path, headers, body }, deadline.signal);
    if (answer.status < 200 || answer.status > 299 || answer.body === null) {
      throw new Error(`HTTP ${answer.status}`);
    }
    JSON.parse(answer.body.toString('utf8'));
  };
}

/** Through a dispatcher: a per-origin Pool (path only), or an Agent (full URL) as `request()` uses. */
function undiciCall(
  dispatcher: Dispatcher,
  origin: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  withAgent: boolean,
): Call {
  return async () => {
    using deadline = new ScopedAbort([], TIMEOUT_MS);
    const response = withAgent
      ? await undiciRequest(`${origin}${path}`, {
          method: 'POST',
          headers,
          body,
          signal: deadline.signal,
          dispatcher,
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        })
      : await dispatcher.request({
          method: 'POST',
          path,
          headers,
          body,
          signal: deadline.signal,
          // As ProviderClient.complete sends it: undici's own timeouts as the backstop.
          headersTimeout: TIMEOUT_MS,
          bodyTimeout: TIMEOUT_MS,
        });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) throw new Error('too large');
      chunks.push(chunk);
    }
    if (response.statusCode < 200 || response.statusCode > 299)
      throw new Error(`HTTP ${response.statusCode}`);
    JSON.parse(Buffer.concat(chunks, size).toString('utf8'));
  };
}

/** `ProviderClient.stream` as the AI service calls it: ~600 characters in ~40 chunks. */
function streamCall(baseUrl: string): Call {
  const client = new ProviderClient({ baseUrl, apiKey: 'sk-bench', timeoutMs: TIMEOUT_MS, now: Date.now });
  const messages = JSON.parse(buildAiBody()).messages.slice(0, -1);
  return async () => {
    const controller = new AbortController();
    let chars = 0;
    await client.stream(
      {
        model: 'stub-small',
        messages: [...messages, { role: 'user', content: '!long 600' }],
        temperature: 0.7,
        signal: controller.signal,
        cancelSignal: controller.signal,
      },
      (text) => {
        chars += text.length;
      },
    );
    if (chars === 0) throw new Error('empty stream');
  };
}

/** Runs `calls` calls, `concurrency` at a time. */
async function runCalls(call: Call, calls: number, concurrency: number): Promise<void> {
  let started = 0;
  const lane = async (): Promise<void> => {
    while (started < calls) {
      started += 1;
      await call();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, lane));
}

async function main(plan: TransportClientPlan): Promise<void> {
  const ai = new URL(`${plan.aiBaseUrl.replace(/\/+$/, '')}/chat/completions`);
  const aiPath = `${ai.pathname}${ai.search}`;
  const aiHeaders = {
    authorization: 'Bearer sk-bench',
    'content-type': 'application/json',
    accept: 'application/json',
    'accept-encoding': 'identity',
    'user-agent': USER_AGENT,
  };
  const webhook = new URL(plan.webhookOrigin);
  const webhookPath = '/api/v10/webhooks/1234567890123456789/bench-token?wait=true';
  const webhookHeaders = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  const aiBody = buildAiBody();
  const webhookBody = buildWebhookBody();
  const agent = new Agent({ keepAliveTimeout: 4_000, headersTimeout: 0, bodyTimeout: 0, allowH2: false });

  const suites: Record<TransportKind, Record<string, Call>> = {
    'ai-call': {
      KeepAliveTransport: keepAliveCall(ai, aiPath, aiHeaders, aiBody),
      'undici Pool': undiciCall(
        createProviderPool(ai.origin, TIMEOUT_MS),
        ai.origin,
        aiPath,
        aiHeaders,
        aiBody,
        false,
      ),
      'undici Agent': undiciCall(agent, ai.origin, aiPath, aiHeaders, aiBody, true),
    },
    'webhook-post': {
      KeepAliveTransport: keepAliveCall(webhook, webhookPath, webhookHeaders, webhookBody),
      'undici Pool': undiciCall(
        createProviderPool(webhook.origin, TIMEOUT_MS),
        webhook.origin,
        webhookPath,
        webhookHeaders,
        webhookBody,
        false,
      ),
    },
    'ai-stream': { 'ProviderClient.stream': streamCall(plan.aiBaseUrl) },
  };

  for (const [kind, transports] of Object.entries(suites) as Array<[TransportKind, Record<string, Call>]>) {
    const names = Object.keys(transports);
    // Streams cost more per call: a fifth as many keep their share of the run about equal.
    const calls = kind === 'ai-stream' ? Math.max(50, Math.round(plan.calls / 5)) : plan.calls;
    for (const name of names) await runCalls(transports[name]!, plan.warmupCalls, plan.concurrency);
    for (let round = 0; round < plan.rounds; round += 1) {
      // Rotating the order spreads the machine's drift (other processes, GC) over every transport.
      for (let offset = 0; offset < names.length; offset += 1) {
        const name = names[(round + offset) % names.length]!;
        const cpuBefore = process.cpuUsage();
        const wallBefore = performance.now();
        await runCalls(transports[name]!, calls, plan.concurrency);
        const cpu = process.cpuUsage(cpuBefore);
        const line: TransportRound = {
          kind,
          transport: name,
          round,
          calls,
          cpuMicros: cpu.user + cpu.system,
          wallMs: performance.now() - wallBefore,
        };
        process.stdout.write(`${JSON.stringify(line)}\n`);
      }
    }
  }
  process.exit(0);
}

main(JSON.parse(process.argv[2] ?? '{}') as TransportClientPlan).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
