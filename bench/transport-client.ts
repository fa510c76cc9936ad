/**
 * The client side of the HTTP transport scenario, in a process of its own so its CPU time is only the client's:
 * `node --import tsx bench/transport-client.ts '<json TransportClientPlan>'`. Runs the calls, at the given
 * concurrency, through the clients Chorus uses (both over undici pools), and prints one JSON line per
 * (kind, round) with the CPU time (user + system, `process.cpuUsage`) the calls took.
 */
import { REST } from '@discordjs/rest';
import type { ChatMessage } from '../src/ai/chat-completion.js';
import { ProviderClient } from '../src/ai/provider-client.js';
import { ProviderPools } from '../src/ai/provider-pools.js';
import { ScopedAbort } from '../src/http/scoped-abort.js';
import { DiscordWebhookClient } from '../src/webhooks/discord-webhook-client.js';

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
  readonly round: number;
  readonly calls: number;
  readonly cpuMicros: number;
  readonly wallMs: number;
}

export type TransportKind = 'ai-call' | 'webhook-post';

const TIMEOUT_MS = 60_000;

/** One call through the client as Chorus makes it. Rejects on any failure. */
type Call = () => Promise<void>;

/** A prompt of a realistic size: a system prompt and a few turns of history, ~2 KB of JSON. */
function buildMessages(): ChatMessage[] {
  const history = Array.from({ length: 8 }, (_, index) => ({
    role: index % 2 === 0 ? ('user' as const) : ('assistant' as const),
    content: `Turn ${index}: ${'the relay carries every message through the queue and back. '.repeat(3)}`,
  }));
  return [
    { role: 'system', content: `You are Alice, a cheerful pirate. ${'Stay in character. '.repeat(10)}` },
    ...history,
    { role: 'user', content: 'Bob: what is the weather like at sea?' },
  ];
}

/** An execute-webhook body as the webhook manager sends it. */
function buildWebhookBody(): object {
  return {
    content: `Ahoy! ${'The sea is calm and the wind is fair today. '.repeat(6)}`,
    username: 'Alice',
    avatar_url: 'https://cdn.example/avatars/alice.png',
    allowed_mentions: { parse: [] },
  };
}

/** `ProviderClient.complete` on a shared pool, as the AI service calls it (its per-call deadline included). */
function aiCall(baseUrl: string): Call {
  const client = new ProviderClient({
    baseUrl,
    apiKey: 'sk-bench',
    timeoutMs: TIMEOUT_MS,
    now: Date.now,
    pool: new ProviderPools(TIMEOUT_MS).get(baseUrl),
  });
  const messages = buildMessages();
  const cancel = new AbortController();
  return async () => {
    using deadline = new ScopedAbort([cancel.signal], TIMEOUT_MS);
    const reply = await client.complete({
      model: 'stub-small',
      messages,
      temperature: 0.7,
      signal: deadline.signal,
      cancelSignal: cancel.signal,
    });
    if (reply.content === '') throw new Error('empty reply');
  };
}

/** `DiscordWebhookClient.requestWithWebhookToken`: an execute with `wait=true`, as the webhook manager sends it. */
function webhookCall(origin: string): Call {
  const client = new DiscordWebhookClient(new REST({ api: `${origin}/api`, timeout: TIMEOUT_MS }));
  const webhook = { id: '1234567890123456789', token: 'bench-token' };
  const body = buildWebhookBody();
  return async () => {
    const response = await client.requestWithWebhookToken({
      method: 'POST',
      webhook,
      path: '',
      query: new URLSearchParams({ wait: 'true' }),
      body,
    });
    if (response.kind !== 'ok' || response.body === null) throw new Error(`webhook post: ${response.kind}`);
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
  const calls: Record<TransportKind, Call> = {
    'ai-call': aiCall(plan.aiBaseUrl),
    'webhook-post': webhookCall(plan.webhookOrigin),
  };
  const kinds = Object.keys(calls) as TransportKind[];
  for (const kind of kinds) await runCalls(calls[kind], plan.warmupCalls, plan.concurrency);
  for (let round = 0; round < plan.rounds; round += 1) {
    for (const kind of kinds) {
      const cpuBefore = process.cpuUsage();
      const wallBefore = performance.now();
      await runCalls(calls[kind], plan.calls, plan.concurrency);
      const cpu = process.cpuUsage(cpuBefore);
      const line: TransportRound = {
        kind,
        round,
        calls: plan.calls,
        cpuMicros: cpu.user + cpu.system,
        wallMs: performance.now() - wallBefore,
      };
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }
  }
  process.exit(0);
}

main(JSON.parse(process.argv[2] ?? '{}') as TransportClientPlan).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
