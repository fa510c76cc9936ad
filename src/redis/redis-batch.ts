import type { Socket } from 'node:net';
import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import type { RedisClient } from './connection.js';
import { fetchRedisScripts } from './redis-scripts.js';
import { findScript, queueScript, registerScripts } from './script-loader.js';
import { type BundledOperation, queueBundle } from './slot-bundle.js';

/**
 * Calls exactly one command on what it is given and returns its result: the client itself (the result then
 * being the command's promise), or a Cluster pipeline (batched).
 */
export type QueueCommand = (pipeline: ChainableCommander) => unknown;

/** The reads {@link RedisBatch.read} can fold into one call (the `readSlot` script's list). */
export type SlotReadCommand = 'get' | 'hget' | 'hmget' | 'hgetall' | 'lrange' | 'exists' | 'zscore';

interface ReadEntry {
  readonly key: string;
  readonly command: SlotReadCommand;
  readonly args: ReadonlyArray<string | number>;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

interface ScriptEntry {
  readonly operation: BundledOperation;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/** What a batch holds for one client and slot until it is sent: script calls, then reads. */
interface HeldSlot {
  readonly scripts: ScriptEntry[];
  readonly reads: ReadEntry[];
}

/** One operation of a slot's send: a script call, or the slot's reads as one `readSlot` call. */
interface SlotOperation {
  readonly operation: BundledOperation;
  readonly settle: (reply: unknown) => void;
  readonly fail: (error: unknown) => void;
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
 * On a single server each plain command is sent as it is added, with the client's socket corked until the batch
 * is sent, so they all leave in one write, in the order added. Not an ioredis pipeline: making one copies every
 * script defined on the client (BullMQ's too, 80-odd on a client shared with a Queue), which costs more than
 * the round trips it saves. A Cluster pipeline cannot span nodes, so there each hash tag (`{u:<id>}`, or the
 * whole key when it has none) gets its own pipeline, sent side by side: keys sharing a tag share a slot, and
 * order holds within a tag.
 *
 * Script calls and reads wait until the batch is sent (a script call only until a plain command of its slot is
 * added, so order within a slot holds). Two or more of one client and slot then go as one call of a bundle
 * script running each in turn (scripts in the order added, then the reads): one command sent where there were
 * several. A lone one goes as it would without the batch.
 */
export class RedisBatch {
  /** Sockets of single servers this batch corked: uncorking sends what was written meanwhile. */
  readonly #corked: Socket[] = [];
  /** Commands for Cluster clients, grouped into pipelines when the batch is sent. */
  readonly #clustered: BatchEntry[] = [];
  /** Script calls and reads held per client and slot (hash tag), to be folded when sent. */
  readonly #held = new Map<RedisClient, Map<string, HeldSlot>>();
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
   * script call, itself folded with the slot's script calls when there are any: one command where there were
   * several. Resolves as the ioredis command would (HGETALL: an object).
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
      batch
        .#hold(redis, key)
        .reads.push({ key, command, args, resolve: resolve as (reply: unknown) => void, reject });
    });
  }

  /**
   * Runs one registered script in `batch`, held until the batch is sent so it can fold with the other calls of
   * its slot (its keys all share one). Use `runScript`, which looks the script up.
   */
  static runScript<T>(redis: RedisClient, batch: RedisBatch, operation: BundledOperation): Promise<T> {
    if (batch.#sent) {
      return Promise.reject(new Error('command added to a Redis batch already sent (after an await?)'));
    }
    return new Promise<T>((resolve, reject) => {
      batch
        .#hold(redis, operation.keys[0] ?? '')
        .scripts.push({ operation, resolve: resolve as (reply: unknown) => void, reject });
    });
  }

  #hold(redis: RedisClient, key: string): HeldSlot {
    const slots = this.#held.get(redis) ?? new Map<string, HeldSlot>();
    this.#held.set(redis, slots);
    const tag = hashTagOf(key);
    let slot = slots.get(tag);
    if (slot === undefined) {
      slot = { scripts: [], reads: [] };
      slots.set(tag, slot);
    }
    return slot;
  }

  #add<T>(redis: RedisClient, key: string, queue: QueueCommand): Promise<T> {
    if (this.#sent) {
      return Promise.reject(new Error('command added to a Redis batch already sent (after an await?)'));
    }
    // Scripts of this slot added before this command go before it.
    const held = this.#held.get(redis)?.get(hashTagOf(key));
    if (held !== undefined && held.scripts.length > 0) this.#sendSlot(redis, held.scripts.splice(0), []);
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
   * Adds one slot's held scripts and reads to the batch: a lone one as its own command, two or more as one
   * bundle call whose replies are handed out in order.
   */
  #sendSlot(redis: RedisClient, scripts: readonly ScriptEntry[], reads: readonly ReadEntry[]): void {
    const [onlyRead] = reads;
    if (scripts.length === 0 && reads.length === 1 && onlyRead !== undefined) {
      this.#add(redis, onlyRead.key, (commands) =>
        callRead(commands, onlyRead.command, onlyRead.key, onlyRead.args),
      ).then(onlyRead.resolve, onlyRead.reject);
      return;
    }
    const operations: SlotOperation[] = scripts.map((entry) => ({
      operation: entry.operation,
      settle: (reply) => (reply instanceof Error ? entry.reject(reply) : entry.resolve(reply)),
      fail: entry.reject,
    }));
    if (reads.length > 0) operations.push(readSlotOperation(redis, reads));
    const [only] = operations;
    if (only === undefined) return;
    if (operations.length === 1) {
      const { script, keys, args } = only.operation;
      this.#add(redis, keys[0] ?? '', queueScript(script.name, keys, args)).then(only.settle, only.fail);
      return;
    }
    const bundle = queueBundle(
      redis,
      operations.map((entry) => entry.operation),
    );
    this.#add<unknown[]>(redis, only.operation.keys[0] ?? '', bundle).then(
      (replies) => {
        for (const [index, entry] of operations.entries()) entry.settle(replies[index] ?? null);
      },
      (error: unknown) => {
        for (const entry of operations) entry.fail(error);
      },
    );
  }

  #send(): void {
    for (const [redis, slots] of this.#held) {
      // Emptied first: sending them must not find them still held (see #add).
      for (const slot of slots.values()) this.#sendSlot(redis, slot.scripts.splice(0), slot.reads.splice(0));
    }
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

/** A slot's reads as one `readSlot` call, each read settled from its place in the reply. */
function readSlotOperation(redis: RedisClient, reads: readonly ReadEntry[]): SlotOperation {
  registerScripts(redis, fetchRedisScripts());
  const script = findScript('readSlot');
  if (script === undefined) throw new Error('the readSlot script is missing');
  return {
    operation: {
      script,
      keys: reads.map((entry) => entry.key),
      args: reads.flatMap((entry) => [entry.command, entry.args.length, ...entry.args]),
    },
    settle: (replies) => {
      if (!Array.isArray(replies)) {
        const error = replies instanceof Error ? replies : new Error('readSlot answered no list');
        for (const entry of reads) entry.reject(error);
        return;
      }
      for (const [index, entry] of reads.entries()) {
        const reply: unknown = replies[index] ?? null;
        if (reply instanceof Error) entry.reject(reply);
        else entry.resolve(toCommandReply(entry.command, reply));
      }
    },
    fail: (error) => {
      for (const entry of reads) entry.reject(error);
    },
  };
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
