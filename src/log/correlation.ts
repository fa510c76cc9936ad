import { AsyncLocalStorage } from 'node:async_hooks';
import { randomFillSync } from 'node:crypto';

/**
 * What one unit of work (a gateway event, a reply job) is about. Ids only: every field is stamped on each
 * log line written while the work runs, so nothing secret or user-written belongs here.
 */
export interface CorrelationContext {
  /** Follows one user message from the gateway event through the job to the posted reply. */
  readonly correlationId: string;
  readonly jobId?: string;
  readonly userId?: string;
  readonly guildId?: string;
  readonly channelId?: string;
  readonly personalityId?: string;
}

/**
 * Process-wide on purpose: AsyncLocalStorage keys the context by async execution, so one instance serves
 * every concurrent job and event without them seeing each other's ids.
 */
const storage = new AsyncLocalStorage<Readonly<CorrelationContext>>();

/**
 * Runs `fn` with `context` as the current correlation; everything `fn` awaits or schedules sees it. A nested
 * call replaces the context for its own scope (spread {@link currentCorrelation} to extend it instead).
 */
export function runWithCorrelation<T>(context: CorrelationContext, fn: () => T): T {
  // Frozen copy: the logger hands this object to pino on every line, so nobody may mutate it later.
  return storage.run(Object.freeze({ ...context }), fn);
}

/** The context of the work running now, or `undefined` outside any {@link runWithCorrelation}. */
export function currentCorrelation(): Readonly<CorrelationContext> | undefined {
  return storage.getStore();
}

/** Random bits per correlation id: 9 bytes = 72 bits = 12 base64url characters. */
const ID_BYTES = 9;
/**
 * Random bytes for ids, drawn 256 ids at a time: the gateway makes an id per event, and one `randomFillSync`
 * per id showed in its CPU profile (docs/performance.md). Process-wide like the ids themselves; each byte is
 * handed out once.
 */
const idPool = Buffer.alloc(ID_BYTES * 256);
let idPoolOffset = idPool.length;

/** A fresh correlation id: 12 URL-safe characters (72 random bits), short enough to paste from a log. */
export function newCorrelationId(): string {
  if (idPoolOffset === idPool.length) {
    randomFillSync(idPool);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return id;
}
