import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Logger } from '../../src/log/index.js';
import {
  buildChunk,
  buildCompletionBody,
  buildContextLengthError,
  buildInvalidKeyError,
  buildInvalidRequestError,
  buildStatusError,
  buildStreamErrorChunk,
  buildUsage,
  buildUsageChunk,
  estimateTokens,
  formatSseData,
  splitIntoDeltas,
  splitIntoPieces,
  type Usage,
} from './openai-wire.js';
import { createSeededRandom, hashSeed, type RandomSource } from './seeded-random.js';
import {
  DefaultStubBehaviour,
  decideStubOutcome,
  type ReasoningStyle,
  type StubBehaviour,
} from './stub-behaviour.js';
import { readStubImage, type StubImage } from './stub-images.js';
import {
  buildStubReply,
  type DeliveryDirectives,
  readDeliveryDirectives,
  readWaitDirective,
  type StubMessage,
} from './stub-reply.js';

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

/** How a recorded request ended. */
export type StubRequestOutcome =
  /** Still waiting (latency, or a hang). */
  | 'pending'
  | 'answered'
  /** The client closed the connection before the answer was complete (abort, timeout). */
  | 'client-closed'
  /** The stub was closed while the request waited. */
  | 'stub-closed'
  /** The stub dropped the connection on purpose (`!break`), mid-stream or before answering. */
  | 'broken';

/** One request as the stub saw it. Keeps the raw key for test assertions; logs only the fingerprint. */
export interface StubRequestRecord {
  /** 1, 2, 3… in arrival order. */
  readonly id: number;
  readonly model: string;
  readonly messages: readonly StubMessage[];
  /** The Bearer token, or null when none was sent. */
  readonly apiKey: string | null;
  /** First 12 hex characters of the key's SHA-256; null when no key was sent. */
  readonly keyFingerprint: string | null;
  readonly temperature: number | null;
  readonly stream: boolean;
  /** The request asked for a usage chunk at the end of the stream (`stream_options.include_usage`). */
  readonly includeUsage: boolean;
  /** A few diagnostic headers (never `authorization`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Unix ms. */
  readonly receivedAt: number;
  /** Unix ms when the answer (or error) was complete; null while pending or when never answered. */
  readonly answeredAt: number | null;
  /** Unix ms when the first chunk carrying text (`content`) was written; null until then, and when not streamed. */
  readonly firstChunkAt: number | null;
  /** HTTP status sent; null when none was. */
  readonly status: number | null;
  readonly outcome: StubRequestOutcome;
  /**
   * The token counts of the stub's answer (4 characters a token), whether or not it sent them (a stream sends them
   * only when asked); null until it answers, and when it answered with an error.
   */
  readonly usage: Usage | null;
}

type MutableRecord = { -readonly [K in keyof StubRequestRecord]: StubRequestRecord[K] };

const RECORDED_HEADERS = [
  'accept',
  'content-type',
  'user-agent',
  'x-stainless-retry-count',
  'x-stainless-timeout',
];
/** The context window the stub claims in context-length errors when no character limit is set. */
const NOMINAL_CONTEXT_TOKENS = 4096;
/** Room for a few images inline (base64 is 4/3 of an image's bytes). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const ContentPartSchema = z.object({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.object({ url: z.string() }).optional(),
});
const ChatBodySchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.string().min(1),
        content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
      }),
    )
    .min(1),
  temperature: z.number().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
});

/**
 * An OpenAI-compatible AI server for tests, demos and benchmarks: `POST /v1/chat/completions` (JSON or SSE
 * stream) and `GET /v1/models` on 127.0.0.1. Its answers are deterministic and show what it received; its
 * faults (latency, errors, 429 + retry-after, context-length 400s, hangs, 401 per key) are set globally and per
 * API key, at start or while running. Directives in the last user message shape one answer: `!say`, `!long`,
 * `!wait` (stub-reply.ts), reasoning (`!think`, `!think-only`, sent as {@link StubBehaviour.reasoningStyle}
 * says) and stream faults (`!break`, `!stream-error`, `!no-finish`, `!no-done`; {@link DeliveryDirectives}).
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
    const raw = await readBody(request);
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      sendJson(
        response,
        400,
        buildInvalidRequestError('We could not parse the JSON body of your request.', null),
      );
      return;
    }
    const parsed = ChatBodySchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join('.') || null;
      sendJson(
        response,
        400,
        buildInvalidRequestError(`Invalid request: ${issue?.message ?? 'bad body'}`, param),
      );
      return;
    }
    const body = parsed.data;
    const apiKey = readApiKey(request);
    const messages: StubMessage[] = body.messages.map((message) => {
      const images = readImages(message.content);
      return {
        role: message.role,
        content: joinContent(message.content),
        ...(images.length === 0 ? {} : { images }),
      };
    });
    const record: MutableRecord = {
      id: this.nextId++,
      model: body.model,
      messages,
      apiKey,
      keyFingerprint: apiKey === null ? null : fingerprint(apiKey),
      temperature: body.temperature ?? null,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
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
    const reply = directives.thinkOnly ? '' : buildStubReply(body.model, messages, behaviour.script);
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
        buildCompletionBody(id, created, body.model, answer.content, usage, reasoning),
      );
      return;
    }
    await this.stream(record, response, controller.signal, {
      id,
      created,
      model: body.model,
      answer,
      usage: body.stream_options?.include_usage ? usage : null,
      directives,
      chunkDelayMs: behaviour.chunkDelayMs,
      streamChunkChars: behaviour.streamChunkChars,
    });
  }

  /** Writes a streamed answer as OpenAI does, with the faults its directives ask for. */
  private async stream(
    record: MutableRecord,
    response: ServerResponse,
    signal: AbortSignal,
    stream: {
      readonly id: string;
      readonly created: number;
      readonly model: string;
      readonly answer: StubAnswer;
      /** Sent in a last chunk of its own when the request asked for it; else null. */
      readonly usage: Usage | null;
      readonly directives: DeliveryDirectives;
      readonly chunkDelayMs: number;
      readonly streamChunkChars: number | null;
    },
  ): Promise<void> {
    const { id, created, model, answer, directives } = stream;
    const chunk = (delta: Parameters<typeof buildChunk>[3], finishReason: 'stop' | null = null) =>
      formatSseData(buildChunk(id, created, model, delta, finishReason));
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    record.status = 200;
    response.write(chunk({ role: 'assistant', content: '' }));
    const deltas: Array<Parameters<typeof buildChunk>[3]> = [
      ...(answer.reasoning === null
        ? []
        : splitIntoDeltas(answer.reasoning).map((piece) => ({ [answer.reasoningField]: piece }))),
      // Small pieces, so `<think>` tags end up split across chunks.
      ...splitIntoPieces(answer.content.slice(0, answer.thinkChars), 5).map((piece) => ({ content: piece })),
      ...(stream.streamChunkChars === null
        ? splitIntoDeltas(answer.content.slice(answer.thinkChars))
        : splitIntoPieces(answer.content.slice(answer.thinkChars), Math.max(1, stream.streamChunkChars))
      ).map((piece) => ({ content: piece })),
    ];
    let sentChars = 0;
    let written: Promise<void> = Promise.resolve();
    for (const delta of deltas) {
      if (directives.streamErrorAfterChars !== null && sentChars >= directives.streamErrorAfterChars) break;
      if (directives.breakAfterChars !== null && sentChars >= directives.breakAfterChars) break;
      if (!(await pause(stream.chunkDelayMs, signal))) return;
      written = new Promise((resolve) => response.write(chunk(delta), () => resolve()));
      if (record.firstChunkAt === null && (delta.content ?? '') !== '') record.firstChunkAt = Date.now();
      sentChars += delta.content?.length ?? 0;
    }
    if (directives.breakAfterChars !== null) {
      // Destroying the socket drops what is not flushed yet: the text goes out first, then the connection.
      await written;
      record.outcome = 'broken';
      response.destroy();
      return;
    }
    if (directives.streamErrorAfterChars !== null) {
      response.write(formatSseData(buildStreamErrorChunk(id, created, model)));
    } else {
      if (!directives.noFinish) response.write(chunk({}, 'stop'));
      if (stream.usage !== null)
        response.write(formatSseData(buildUsageChunk(id, created, model, stream.usage)));
      if (!directives.noDone) response.write(formatSseData('[DONE]'));
    }
    record.answeredAt = Date.now();
    record.outcome = 'answered';
    response.end();
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

/** What the stub answers: the text (with `<think>` tags, in that style) and reasoning sent beside it. */
interface StubAnswer {
  readonly content: string;
  /** How many characters at the start of `content` are the `<think>` block (0 unless `think-tags`). */
  readonly thinkChars: number;
  /** Reasoning sent in `reasoningField`; null when none (or when it is inside `content`). */
  readonly reasoning: string | null;
  readonly reasoningField: 'reasoning_content' | 'reasoning';
}

function buildAnswer(reply: string, think: string | null, style: ReasoningStyle): StubAnswer {
  if (think === null || style === 'think-tags') {
    const block = think === null ? '' : `<think>${think}</think>${reply === '' ? '' : '\n\n'}`;
    return { content: block + reply, thinkChars: block.length, reasoning: null, reasoningField: 'reasoning' };
  }
  return { content: reply, thinkChars: 0, reasoning: think, reasoningField: style };
}

/** First 12 hex characters of SHA-256: identifies a key in records and logs without revealing it. */
function fingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}

function readApiKey(request: IncomingMessage): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match ? match[1]!.trim() : null;
}

function pickHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function joinContent(
  content: string | ReadonlyArray<{ type: string; text?: string | undefined }> | null | undefined,
) {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

/** The `image_url` parts of a message's content, read as far as the stub can. */
function readImages(content: z.infer<typeof ChatBodySchema>['messages'][number]['content']): StubImage[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) =>
    part.type === 'image_url' && part.image_url !== undefined ? [readStubImage(part.image_url.url)] : [],
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Waits `ms`; false when the request was aborted meanwhile (the caller then stops answering). */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  if (ms <= 0) return true;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Drops `undefined` fields, so `{ latency: undefined }` means "unchanged" rather than erasing a setting. */
function withoutUndefined<T extends object>(partial: T): T {
  return Object.fromEntries(Object.entries(partial).filter(([, value]) => value !== undefined)) as T;
}
