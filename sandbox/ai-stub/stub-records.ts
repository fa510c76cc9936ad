import type { Usage } from './openai-wire.js';
import type { StubMessage } from './stub-reply.js';

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

/** A record as the stub fills it in while answering. */
export type MutableRecord = { -readonly [K in keyof StubRequestRecord]: StubRequestRecord[K] };
