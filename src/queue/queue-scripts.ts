import {
  loadScripts,
  type RedisBatch,
  type RedisClient,
  registerScripts,
  runScript,
} from '../redis/index.js';
import type { RefusalReason } from './keys.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const QUEUE_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Registers the queue area's Lua scripts on a client (idempotent). */
export function registerQueueScripts(redis: RedisClient): void {
  registerScripts(redis, QUEUE_SCRIPTS);
}

/** Names of the queue area's scripts (`<name>-<keys>.lua` in `./lua/`). */
export const QueueScript = {
  admitReply: 'admitReply',
  settleReply: 'settleReply',
  checkReplyTurn: 'checkReplyTurn',
  countQueuedReplies: 'countQueuedReplies',
  claimChainLink: 'claimChainLink',
  joinCoalesced: 'joinCoalesced',
  claimCoalesced: 'claimCoalesced',
  dropJoinedPart: 'dropJoinedPart',
  editJoinedPart: 'editJoinedPart',
} as const;

/** Runs one of this area's scripts (in `batch` when given), registering them on first use. */
export function runQueueScript<T>(
  redis: RedisClient,
  name: (typeof QueueScript)[keyof typeof QueueScript],
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  batch?: RedisBatch,
): Promise<T> {
  registerQueueScripts(redis);
  return runScript<T>(redis, name, keys, args, batch);
}

/** The negative codes `admitReply` returns for a refusal, and nothing else. */
const REFUSAL_CODES: Readonly<Record<number, RefusalReason>> = {
  [-1]: 'user-pending',
  [-2]: 'user-rate',
  [-3]: 'queue-full',
  [-4]: 'server-pending',
  [-5]: 'server-rate',
};

/** Maps a negative `admitReply` code to its refusal reason; any other code is a bug in the script. */
export function fromRefusalCode(code: number): RefusalReason {
  const reason = REFUSAL_CODES[code];
  if (reason === undefined) throw new Error(`admitReply returned an unknown code ${code}`);
  return reason;
}
