import type { Socket } from 'node:net';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { RedisClient } from './connection.js';
import { fetchRedisScripts } from './redis-scripts.js';
import { registerScripts, runScript } from './script-loader.js';

/**
 * Calls exactly one command on what it is given and returns its result: the client itself (the result then
 * being the command's promise), or a Cluster pipeline (batched).
 */
export type QueueCommand = (pipeline: ChainableCommander) => unknown;

/** The reads {@link RedisBatch.read} can fold into one call (the `readSlot` script's list). */
export type SlotReadCommand = 'get' | 'hget' | 'hgetall' | 'lrange' | 'exists' | 'zscore';

interface ReadEntry {
  readonly redis: RedisClient;
  readonly key: string;
  readonly command: SlotReadCommand;
  readonly args: ReadonlyArray<string | number>;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface BatchEntry {
  readonly redis: Cluster;
  readonly key: string;
  readonly queue: QueueCommand;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Independent commands of several repositories sent to Redis together, so a step that needs them all pays
 * one round trip (one write, one read: a lone awaited command costs the client four to five times what a
 * pipelined one does). Repository methods that take a batch add their command to it instead of sending it
 * (a registered Lua script too, through `runScript`); {@link RedisBatch.together} sends the lot.
 *
 * On a single server each command is sent as it is added, with the client's socket corked until the batch is
 * sent, so they all leave in one write, in the order added. Not an ioredis pipeline: making one copies every
 * script defined on the client (BullMQ's too, 80-odd on a client shared with a Queue), which costs more than
 * the round trips it saves. A Cluster pipeline cannot span nodes, so there each hash tag (`{u:<id>}`, or the
 * whole key when it has none) gets its own pipeline, sent side by side: keys sharing a tag share a slot, and
 * order holds within a tag.
 */
export class RedisBatch {
  /** Sockets of single servers this batch corked: uncorking sends what was written meanwhile. */
  readonly #corked: Socket[] = [];
  /** Commands for Cluster clients, grouped into pipelines when the batch is sent. */
  readonly #clustered: BatchEntry[] = [];
  /** Reads held until the batch is sent, then folded per client and slot. */
  readonly #reads: ReadEntry[] = [];
  #sent = false;

  private constructor() {}

  /**
   * Calls `build` with a new batch, sends every command it added, and resolves with what `build` resolves
   * with. Commands must be added before `build`'s first `await` (repository methods add theirs
   * synchronously), so start every call given the batch at once, e.g. inside one `Promise.all`. Commands added
   * before `build` throws are still sent, so none of their promises is left unsettled.
   */
  static together<T>(build: (batch: RedisBatch) => Promise<T>): Promise<T> {
    const batch = new RedisBatch();
    try {
      return build(batch);
    } finally {
      batch.#send();
    }
  }

  /** Sends one command on `redis`: in `batch` when there is one, otherwise on its own, now. */
  static send<T>(
    redis: RedisClient,
    batch: RedisBatch | undefined,
    key: string,
    queue: QueueCommand,
  ): Promise<T> {
    if (batch !== undefined) return batch.#add<T>(redis, key, queue);
    return sendNow<T>(redis, queue);
  }

  /**
   * Reads one key: in `batch` when there is one, otherwise on its own, now. A batch holds its reads until it is
   * sent, after its other commands, and sends those of one slot (one hash tag) together as one `readSlot`
   * script call: one command where there were several. Resolves as the ioredis command would (HGETALL: an object).
   */
  static read<T>(
    redis: RedisClient,
    batch: RedisBatch | undefined,
    key: string,
    command: SlotReadCommand,
    ...args: Array<string | number>
  ): Promise<T> {
    if (batch === undefined) return sendNow<T>(redis, (commands) => callRead(commands, command, key, args));
    if (batch.#sent) {
      return Promise.reject(new Error('command added to a Redis batch already sent (after an await?)'));
    }
    return new Promise<T>((resolve, reject) => {
      batch.#reads.push({ redis, key, command, args, resolve: resolve as (reply: unknown) => void, reject });
    });
  }

  #add<T>(redis: RedisClient, key: string, queue: QueueCommand): Promise<T> {
    if (this.#sent) {
      return Promise.reject(new Error('command added to a Redis batch already sent (after an await?)'));
    }
    if (redis.isCluster) {
      return new Promise<T>((resolve, reject) => {
        this.#clustered.push({
          redis: redis as Cluster,
          key,
          queue,
          resolve: resolve as (reply: unknown) => void,
          reject,
        });
      });
    }
    // Undefined before the first connection; while disconnected, commands wait in ioredis's offline queue.
    const socket = (redis as Redis).stream as Socket | undefined;
    if (socket !== undefined && !this.#corked.includes(socket)) {
      socket.cork();
      this.#corked.push(socket);
    }
    return sendNow<T>(redis, queue);
  }

  /**
   * Adds the held reads to the batch: alone, as their own command; with others of their client and slot, as one
   * `readSlot` call whose replies are handed out in order.
   */
  #sendReads(): void {
    const groups = new Map<RedisClient, Map<string, ReadEntry[]>>();
    for (const entry of this.#reads) {
      const slots = groups.get(entry.redis) ?? new Map<string, ReadEntry[]>();
      groups.set(entry.redis, slots);
      const tag = hashTagOf(entry.key);
      slots.set(tag, [...(slots.get(tag) ?? []), entry]);
    }
    for (const [redis, slots] of groups) {
      for (const entries of slots.values()) {
        const [only] = entries;
        if (entries.length === 1 && only !== undefined) {
          this.#add(redis, only.key, (commands) =>
            callRead(commands, only.command, only.key, only.args),
          ).then(only.resolve, only.reject);
          continue;
        }
        registerScripts(redis, fetchRedisScripts());
        runScript<unknown[]>(
          redis,
          'readSlot',
          entries.map((entry) => entry.key),
          entries.flatMap((entry) => [entry.command, entry.args.length, ...entry.args]),
          this,
        ).then(
          (replies) => {
            for (const [index, entry] of entries.entries()) {
              const reply = replies[index] ?? null;
              if (reply instanceof Error) entry.reject(reply);
              else entry.resolve(toCommandReply(entry.command, reply));
            }
          },
          (error: unknown) => {
            for (const entry of entries) entry.reject(error);
          },
        );
      }
    }
  }

  #send(): void {
    this.#sendReads();
    this.#sent = true;
    for (const socket of this.#corked) socket.uncork();
    const pipelines = new Map<Cluster, Map<string, BatchEntry[]>>();
    for (const entry of this.#clustered) {
      const groups = pipelines.get(entry.redis) ?? new Map<string, BatchEntry[]>();
      pipelines.set(entry.redis, groups);
      const group = hashTagOf(entry.key);
      const entries = groups.get(group);
      if (entries) entries.push(entry);
      else groups.set(group, [entry]);
    }
    for (const [redis, groups] of pipelines) for (const entries of groups.values()) exec(redis, entries);
  }
}

/** Calls one read on a client or pipeline, as its ioredis method. */
function callRead(
  commands: ChainableCommander,
  command: SlotReadCommand,
  key: string,
  args: ReadonlyArray<string | number>,
): unknown {
  const method = commands[command] as unknown as (...params: Array<string | number>) => unknown;
  return method.call(commands, key, ...args);
}

/** A `readSlot` reply as the ioredis command would have answered it. */
function toCommandReply(command: SlotReadCommand, reply: unknown): unknown {
  if (command !== 'hgetall' || !Array.isArray(reply)) return reply;
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < reply.length; index += 2)
    fields[String(reply[index])] = String(reply[index + 1]);
  return fields;
}

/** Sends the command on the client itself, which takes the same calls as a pipeline and answers alike. */
function sendNow<T>(redis: RedisClient, queue: QueueCommand): Promise<T> {
  try {
    return Promise.resolve(queue(redis as unknown as ChainableCommander) as Promise<T>);
  } catch (error) {
    return Promise.reject(error);
  }
}

function exec(redis: Cluster, entries: readonly BatchEntry[]): void {
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
