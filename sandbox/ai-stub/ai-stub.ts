import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log/index.js';
import { fingerprint, pickHeaders, readApiKey, readChatRequest } from './chat-request.js';
import {
  buildCompletionBody,
  buildContextLengthError,
  buildInvalidKeyError,
  buildInvalidRequestError,
  buildStatusError,
  buildUsage,
  estimateTokens,
} from './openai-wire.js';
import { createSeededRandom, hashSeed, type RandomSource } from './seeded-random.js';
import { DefaultStubBehaviour, decideStubOutcome, type StubBehaviour } from './stub-behaviour.js';
import { pause, sendJson, waitForAbort } from './stub-http.js';
import type { MutableRecord, StubRequestRecord } from './stub-records.js';
import { buildStubReply, readDeliveryDirectives, readWaitDirective } from './stub-reply.js';
import { buildAnswer, writeStreamedAnswer } from './stub-stream.js';

/** Options for {@link AiStub.start}. */
export interface AiStubOptions {
  /** Interface to listen on. @defaultValue '127.0.0.1' */
  host: string;
  /** Port; 0 picks a free one. @defaultValue 0 */
  port: number;
  /** Global behaviour at start (and after {@link AiStub.resetBehaviour}). @defaultValue {} (all defaults) */
  behaviour: Partial<StubBehaviour>;
  /** Per-API-key behaviour at start, keyed by the raw key. @defaultValue {} */
  keyBehaviours: Readonly<Record<string, Partial<StubBehaviour>>>;
  /** Models listed by `GET /v1/models` (any model name is answered). @defaultValue ['stub-small', 'stub-large'] */
  models: readonly string[];
  /** Seed of the deterministic randomness (error/hang rates, latency distributions). @defaultValue 1 */
  seed: number;
  /** Request log (debug level; key fingerprints only, never keys or prompts). null = silent. @defaultValue null */
  logger: Logger | null;
}

export const DefaultAiStubOptions = {
  host: '127.0.0.1',
  port: 0,
  behaviour: {},
  keyBehaviours: {},
  models: ['stub-small', 'stub-large'],
  seed: 1,
  logger: null,
} as const satisfies Required<AiStubOptions>;

/** The context window the stub claims in context-length errors when no character limit is set. */
const NOMINAL_CONTEXT_TOKENS = 4096;

/**
 * An OpenAI-compatible AI server for tests, demos and benchmarks: `POST /v1/chat/completions` (JSON or SSE
 * stream) and `GET /v1/models` on 127.0.0.1. Its answers are deterministic and show what it received; its
 * faults (latency, errors, 429 + retry-after, context-length 400s, hangs, 401 per key) are set globally and per
 * API key, at start or while running. Directives in the last user message shape one answer: `!say`, `!long`,
 * `!wait` (stub-reply.ts), reasoning (`!think`, `!think-only`, sent as {@link StubBehaviour.reasoningStyle}
 * says) and stream faults (`!break`, `!stream-error`, `!no-finish`, `!no-done`; `DeliveryDirectives` in stub-reply.ts).
 */
export class AiStub implements AsyncDisposable {
  /** `http://127.0.0.1:<port>/v1`: what an OpenAI client takes as its base URL. */
  readonly baseUrl: string;
  private readonly options: AiStubOptions;
  private globalBehaviour: Partial<StubBehaviour> = {};
  private readonly keyBehaviours = new Map<string, Partial<StubBehaviour>>();
  /** One random stream per API key, so one key's traffic never changes another key's draws. */
  private readonly randoms = new Map<string, RandomSource>();
  private readonly records: MutableRecord[] = [];
  /** Requests still waiting, with their abort handles: close() ends them. */
  private readonly pending = new Map<AbortController, MutableRecord>();
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly server: Server,
    options: AiStubOptions,
  ) {
    this.options = options;
    const address = server.address() as AddressInfo;
    this.baseUrl = `http://${options.host}:${address.port}/v1`;
    this.resetBehaviour();
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: Partial<AiStubOptions> = {}): Promise<AiStub> {
    const full: AiStubOptions = { ...DefaultAiStubOptions, ...withoutUndefined(options) };
    let stub: AiStub | undefined;
    const server = createServer((request, response) => {
      // Requests cannot arrive before listen() resolves, so the stub exists by then.
      void stub!.handle(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(full.port, full.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    stub = new AiStub(server, full);
    return stub;
  }

  /** Changes the global behaviour (merged over the current one). */
  setBehaviour(partial: Partial<StubBehaviour>): void {
    this.globalBehaviour = { ...this.globalBehaviour, ...withoutUndefined(partial) };
  }

  /** Changes the behaviour for requests made with `apiKey` (merged over that key's current overrides). */
  setKeyBehaviour(apiKey: string, partial: Partial<StubBehaviour>): void {
    this.keyBehaviours.set(apiKey, { ...this.keyBehaviours.get(apiKey), ...withoutUndefined(partial) });
  }

  /** Back to the behaviour given at start, with the random streams re-seeded. */
  resetBehaviour(): void {
    this.globalBehaviour = withoutUndefined(this.options.behaviour);
    this.keyBehaviours.clear();
    for (const [key, partial] of Object.entries(this.options.keyBehaviours)) {
      this.keyBehaviours.set(key, withoutUndefined(partial));
    }
    this.randoms.clear();
  }

  /** Every request received since start or the last {@link AiStub.clearRequests}, oldest first (copies). */
  get requests(): readonly StubRequestRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  clearRequests(): void {
    this.records.length = 0;
  }

  /** Stops listening and ends every waiting or hanging request. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [controller, record] of this.pending) {
      if (record.outcome === 'pending') record.outcome = 'stub-closed';
      controller.abort();
    }
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await done;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private behaviourFor(apiKey: string | null): StubBehaviour {
    return {
      ...DefaultStubBehaviour,
      ...this.globalBehaviour,
      ...(apiKey === null ? undefined : this.keyBehaviours.get(apiKey)),
    };
  }

  private randomFor(apiKey: string | null): RandomSource {
    const id = apiKey ?? '';
    let random = this.randoms.get(id);
    if (!random) {
      random = createSeededRandom(hashSeed(`${this.options.seed}:${id}`));
      this.randoms.set(id, random);
    }
    return random;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const path = new URL(request.url ?? '/', 'http://stub').pathname.replace(/\/+$/, '');
      if (request.method === 'GET' && path === '/v1/models') return this.listModels(request, response);
      if (request.method === 'POST' && path === '/v1/chat/completions')
        return await this.chat(request, response);
      sendJson(
        response,
        404,
        buildInvalidRequestError(`Unknown request URL: ${request.method} ${path}.`, null),
      );
    } catch (error) {
      this.options.logger?.error({ err: error }, 'ai stub failed to answer');
      if (!response.headersSent) sendJson(response, 500, buildStatusError(500));
      else response.destroy();
    }
  }

  private listModels(request: IncomingMessage, response: ServerResponse): void {
    if (this.behaviourFor(readApiKey(request)).rejectKey) {
      sendJson(response, 401, buildInvalidKeyError());
      return;
    }
    sendJson(response, 200, {
      object: 'list',
      data: this.options.models.map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'chorus-stub',
      })),
    });
  }

  private async chat(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const read = await readChatRequest(request);
    if ('invalid' in read) {
      sendJson(response, 400, read.invalid);
      return;
    }
    const { chat } = read;
    const { messages } = chat;
    const apiKey = readApiKey(request);
    const record: MutableRecord = {
      id: this.nextId++,
      model: chat.model,
      messages,
      apiKey,
      keyFingerprint: apiKey === null ? null : fingerprint(apiKey),
      temperature: chat.temperature,
      stream: chat.stream,
      includeUsage: chat.includeUsage,
      headers: pickHeaders(request),
      receivedAt: Date.now(),
      answeredAt: null,
      firstChunkAt: null,
      status: null,
      outcome: 'pending',
      usage: null,
    };
    this.records.push(record);

    const controller = new AbortController();
    this.pending.set(controller, record);
    response.on('close', () => {
      if (record.outcome === 'pending') record.outcome = 'client-closed';
      controller.abort();
      this.pending.delete(controller);
      this.options.logger?.debug(
        {
          requestId: record.id,
          model: record.model,
          keyFingerprint: record.keyFingerprint,
          status: record.status,
          outcome: record.outcome,
        },
        'ai stub request ended',
      );
    });

    const charCount = messages.reduce((sum, message) => sum + message.content.length, 0);
    const behaviour = this.behaviourFor(apiKey);
    const decision = decideStubOutcome(
      behaviour,
      { messageCount: messages.length, charCount },
      this.randomFor(apiKey),
    );
    if (decision.kind === 'unauthorized') {
      this.finish(record, response, 401, buildInvalidKeyError());
      return;
    }
    if (decision.kind === 'hang') {
      await waitForAbort(controller.signal);
      return;
    }
    if (!(await pause(decision.latencyMs + readWaitDirective(messages), controller.signal))) return;
    if (decision.kind === 'error') {
      const headers: Record<string, string> =
        decision.status === 429 && behaviour.retryAfterSeconds !== null
          ? { 'retry-after': String(behaviour.retryAfterSeconds) }
          : {};
      this.finish(record, response, decision.status, buildStatusError(decision.status), headers);
      return;
    }
    if (decision.kind === 'context-length') {
      const limitTokens =
        typeof behaviour.contextLimit === 'object' && behaviour.contextLimit?.maxChars !== undefined
          ? estimateTokens(behaviour.contextLimit.maxChars)
          : NOMINAL_CONTEXT_TOKENS;
      this.finish(record, response, 400, buildContextLengthError(limitTokens, estimateTokens(charCount)));
      return;
    }

    const directives = readDeliveryDirectives(messages);
    const reply = directives.thinkOnly ? '' : buildStubReply(chat.model, messages, behaviour.script);
    const answer = buildAnswer(reply, directives.think, behaviour.reasoningStyle);
    const id = `chatcmpl-stub-${record.id}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = buildUsage(charCount, answer.content.length + (answer.reasoning?.length ?? 0));
    record.usage = usage;
    if (!record.stream) {
      if (directives.breakAfterChars !== null) {
        record.outcome = 'broken';
        response.destroy();
        return;
      }
      const reasoning = answer.reasoning === null ? {} : { [answer.reasoningField]: answer.reasoning };
      this.finish(
        record,
        response,
        200,
        buildCompletionBody(id, created, chat.model, answer.content, usage, reasoning),
      );
      return;
    }
    await writeStreamedAnswer(record, response, controller.signal, {
      id,
      created,
      model: chat.model,
      answer,
      usage: chat.includeUsage ? usage : null,
      directives,
      chunkDelayMs: behaviour.chunkDelayMs,
      streamChunkChars: behaviour.streamChunkChars,
    });
  }

  private finish(
    record: MutableRecord,
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    record.status = status;
    record.answeredAt = Date.now();
    record.outcome = 'answered';
    sendJson(response, status, body, headers);
  }
}

/** Drops `undefined` fields, so `{ latency: undefined }` means "unchanged" rather than erasing a setting. */
function withoutUndefined<T extends object>(partial: T): T {
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as T;
}
