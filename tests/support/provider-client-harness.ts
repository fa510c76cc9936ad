/**
 * The setup ProviderClient tests share: one AI stub for the file, and the clients and node:http servers a
 * test opens, all closed (and the stub reset) after each test. Called at the top of a test file, it registers
 * those hooks itself.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { AiStub } from '../../sandbox/ai-stub/index.js';
import type { ChatMessage } from '../../src/ai/index.js';
import {
  type ProviderCallInput,
  ProviderClient,
  type ProviderClientSettings,
} from '../../src/ai/provider-client.js';
import { type ReceivedRequest, type RecordingServer, startRecordingServer } from './recording-server.js';

/** The clients' clock: retry times in answers are read against it. */
export const PROVIDER_TEST_NOW = Date.parse('2026-01-01T00:00:00Z');
const SYSTEM_MESSAGE: ChatMessage = { role: 'system', content: 'You are Alice, a cheerful pirate.' };
export const PROVIDER_TEST_MESSAGES: readonly ChatMessage[] = [
  SYSTEM_MESSAGE,
  { role: 'user', content: 'Bob: hello' },
];

/** The stub's failures before an answer, and how a call classifies each (`complete` and `stream` alike). */
export const STUB_FAILURES = [
  ['a rejected key', { rejectKey: true }, { kind: 'invalid-key', status: 401 }],
  ['a 503', { errorRate: 1, errorStatus: 503 }, { kind: 'server-error', status: 503, retryAfterMs: null }],
  [
    'a 429 with retry-after',
    { errorRate: 1, errorStatus: 429, retryAfterSeconds: 2 },
    { kind: 'rate-limited', retryAfterMs: 2_000 },
  ],
  [
    'a context-length 400',
    { contextLimit: 'always' },
    { kind: 'context-length', detail: expect.stringContaining('maximum context length') },
  ],
] as const;

/** A recording server with the provider base URL to give a client. */
export interface ProviderTestServer extends RecordingServer {
  readonly baseUrl: string;
}

export type ProviderTestHandler = (request: ReceivedRequest, response: ServerResponse) => void;

export interface ProviderClientHarness {
  /** The file's AI stub, there once `beforeAll` ran. */
  readonly stub: AiStub;
  /** A client of the stub with `apiKey` and the test clock, unless `settings` say otherwise. */
  createClient(settings?: Partial<ProviderClientSettings>): ProviderClient;
  /** A call of `stub-small` with the test messages (the user's line replaced by `userText` when given). */
  input(overrides?: Partial<ProviderCallInput>, userText?: string): ProviderCallInput;
  /** A recording server on 127.0.0.1 whose base URL ends in `basePath`. */
  startServer(handle: ProviderTestHandler, basePath?: string): Promise<ProviderTestServer>;
}

export function useProviderClientHarness(apiKey: string): ProviderClientHarness {
  let stub: AiStub | undefined;
  const clients: ProviderClient[] = [];
  const servers: ProviderTestServer[] = [];
  const runningStub = (): AiStub => {
    if (stub === undefined) throw new Error('the AI stub starts in beforeAll');
    return stub;
  };

  beforeAll(async () => {
    stub = await AiStub.start();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await Promise.all(servers.splice(0).map((server) => server.close()));
    runningStub().resetBehaviour();
    runningStub().clearRequests();
  });

  afterAll(async () => {
    await stub?.close();
  });

  return {
    get stub() {
      return runningStub();
    },
    createClient(settings = {}) {
      const client = new ProviderClient({
        baseUrl: runningStub().baseUrl,
        apiKey,
        timeoutMs: 5_000,
        now: () => PROVIDER_TEST_NOW,
        ...settings,
      });
      clients.push(client);
      return client;
    },
    input(overrides = {}, userText) {
      const signal = new AbortController().signal;
      return {
        model: 'stub-small',
        messages:
          userText === undefined
            ? PROVIDER_TEST_MESSAGES
            : [SYSTEM_MESSAGE, { role: 'user', content: userText }],
        temperature: 0.5,
        signal,
        cancelSignal: signal,
        ...overrides,
      };
    },
    async startServer(handle, basePath = '/v1') {
      const server = await startRecordingServer(handle);
      const testServer: ProviderTestServer = { ...server, baseUrl: `${server.url}${basePath}` };
      servers.push(testServer);
      return testServer;
    },
  };
}
