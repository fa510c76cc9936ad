import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.js';

/**
 * Calls exactly one command on what it is given and returns its result: a pipeline (batched), or the client
 * itself (sent alone, the result then being the command's promise).
 */
export type QueueCommand = (pipeline: ChainableCommander) => unknown;

interface BatchEntry {
  readonly redis: RedisClient;
  readonly key: string;
  readonly queue: QueueCommand;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Independent commands of several repositories sent to Redis together, so a step that needs them all pays
 * one round trip (one write, one read: a lone awaited command costs the client four to five times what a
 * pipelined one does). Repository methods that take a batch add their command to it instead of sending it;
 * {@link RedisBatch.together} sends the lot.
 *
 * On a single server every command of a client goes into one pipeline, run in the order added. A Cluster
 * pipeline cannot span nodes, so there each hash tag (`{u:<id>}`, or the whole key when it has none) gets
 * its own pipeline, sent side by side: keys sharing a tag share a slot, and order holds within a tag.
 */
export class RedisBatch {
  readonly #entries: BatchEntry[] = [];
  #sent = false;

  private constructor() {}

  /**
   * Calls `build` with a new batch, sends every command it added, and resolves with what `build` resolves
   * with. Commands must be added before `build`'s first `await` (repository methods add theirs
   * synchronously), so start every call given the batch at once, e.g. inside one `Promise.all`.
   */
  static together<T>(build: (batch: RedisBatch) => Promise<T>): Promise<T> {
    const batch = new RedisBatch();
    const result = build(batch);
    batch.#send();
    return result;
  }

  /** Sends one command on `redis`: in `batch` when there is one, otherwise on its own, now. */
  static send<T>(
    redis: RedisClient,
    batch: RedisBatch | undefined,
    key: string,
    queue: QueueCommand,
  ): Promise<T> {
    if (batch !== undefined) return batch.#add<T>(redis, key, queue);
    // The client takes the same command calls as a pipeline and answers each with its reply, transformed alike.
    return Promise.resolve(queue(redis as unknown as ChainableCommander) as Promise<T>);
  }

  #add<T>(redis: RedisClient, key: string, queue: QueueCommand): Promise<T> {
    if (this.#sent) {
      return Promise.reject(new Error('command added to a Redis batch already sent (after an await?)'));
    }
    return new Promise<T>((resolve, reject) => {
      this.#entries.push({ redis, key, queue, resolve: resolve as (reply: unknown) => void, reject });
    });
  }

  #send(): void {
    this.#sent = true;
    const pipelines = new Map<RedisClient, Map<string, BatchEntry[]>>();
    for (const entry of this.#entries) {
      const groups = pipelines.get(entry.redis) ?? new Map<string, BatchEntry[]>();
      pipelines.set(entry.redis, groups);
      const group = entry.redis.isCluster ? hashTagOf(entry.key) : '';
      const entries = groups.get(group);
      if (entries) entries.push(entry);
      else groups.set(group, [entry]);
    }
    for (const [redis, groups] of pipelines) for (const entries of groups.values()) exec(redis, entries);
  }
}

function exec(redis: RedisClient, entries: readonly BatchEntry[]): void {
  const pipeline = redis.pipeline();
  try {
    for (const entry of entries) entry.queue(pipeline);
  } catch (error) {
    // Nothing was sent: every command of the pipeline fails with the one that could not be queued.
    for (const entry of entries) entry.reject(error);
    return;
  }
  pipeline.exec().then(
    (replies) => {
      entries.forEach((entry, index) => {
        const [error, reply] = replies?.[index] ?? [new Error('Redis pipeline discarded'), null];
        if (error) entry.reject(error);
        else entry.resolve(reply);
      });
    },
    (error: unknown) => {
      for (const entry of entries) entry.reject(error);
    },
  );
}

/** The part of a key Redis Cluster hashes: the first non-empty `{…}`, or the whole key. */
function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
