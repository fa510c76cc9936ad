import { performance } from 'node:perf_hooks';
import type { DiscordSandbox, TranscriptEntry } from '../sandbox/index.js';

/** One message a benchmark user sent, and when its answer arrived. Times are `performance.now()` ms. */
export interface TrackedMessage {
  readonly seq: number;
  readonly userId: string;
  readonly channelId: string;
  /** When the sandbox dispatched its MESSAGE_CREATE to the gateway. */
  readonly dispatchedAt: number;
  /** When the first chunk of its reply reached the sandbox as a webhook (or DM) message; null until then. */
  repliedAt: number | null;
}

/** A message the bot posted as itself in a guild channel: a limit notice, a failure notice. */
export interface BotNotice {
  readonly channelId: string;
  readonly content: string;
  /** The user message it answers (the gateway's notices reply to the refused message). */
  readonly referencedMessageId: string | null;
  readonly at: number;
}

/** Tags every benchmark message carries, so the stub's echo (`last="<name>: #b42"`) names its question. */
const TAG_PATTERN = /#b(\d+)\b/;

/**
 * Follows benchmark traffic through the sandbox's events: sends tagged messages, notes the moment each one's
 * MESSAGE_CREATE is dispatched, and the moment its reply is created (the stub echoes the tag). Everything runs
 * in this process, so both ends share one monotonic clock.
 */
export class ReplyTracker implements Disposable {
  readonly messages = new Map<number, TrackedMessage>();
  /** Reply arrival times, in arrival order (for throughput windows). */
  readonly replyTimes: number[] = [];
  readonly notices: BotNotice[] = [];
  /** Posts the bot made that carry no tag of ours (later chunks of a split reply, unexpected answers). */
  untaggedReplies = 0;
  /** Second replies to a message already answered: exactly-once delivery says this stays 0. */
  duplicateReplies = 0;
  #nextSeq = 1;
  #lastDispatchAt = 0;
  readonly #waiters = new Set<() => void>();
  readonly #replyListeners = new Set<(message: TrackedMessage) => void>();
  readonly #onDispatch = ({ type }: { type: string }) => {
    if (type === 'MESSAGE_CREATE') this.#lastDispatchAt = performance.now();
  };
  readonly #onMessage = ({ message }: { message: TranscriptEntry }) => this.#record(message);

  constructor(
    private readonly sandbox: DiscordSandbox,
    /** The personality a message addresses unless told otherwise, written as a mention (`@Bench`). */
    private readonly mention: string,
  ) {
    sandbox.events.on('dispatch', this.#onDispatch);
    sandbox.events.on('messageCreated', this.#onMessage);
  }

  /** Replies received so far. */
  get replied(): number {
    return this.replyTimes.length;
  }

  /** `userId` says `@<mention> #b<seq>` in `channelId`; returns the message's sequence number. */
  send(userId: string, channelId: string, mention = this.mention): number {
    const seq = this.#nextSeq;
    this.#nextSeq += 1;
    this.sandbox.userSays(userId, channelId, `@${mention} #b${seq}`);
    // userSays dispatches synchronously, so the last MESSAGE_CREATE dispatch is this message's.
    this.messages.set(seq, { seq, userId, channelId, dispatchedAt: this.#lastDispatchAt, repliedAt: null });
    return seq;
  }

  /** Latencies (dispatch → reply, ms) of the answered messages among `seqs` (all when omitted). */
  latencies(seqs?: Iterable<number>): number[] {
    const picked =
      seqs === undefined ? this.messages.values() : [...seqs].flatMap((seq) => this.messages.get(seq) ?? []);
    const result: number[] = [];
    for (const message of picked)
      if (message.repliedAt !== null) result.push(message.repliedAt - message.dispatchedAt);
    return result;
  }

  /** Replies that arrived within [from, to) (performance.now() ms). */
  repliesBetween(from: number, to: number): number {
    let count = 0;
    for (const at of this.replyTimes) if (at >= from && at < to) count += 1;
    return count;
  }

  /** Calls `listener` with every message answered from now on; returns the unsubscribe function. */
  onReply(listener: (message: TrackedMessage) => void): () => void {
    this.#replyListeners.add(listener);
    return () => this.#replyListeners.delete(listener);
  }

  /** Resolves once every message of `seqs` is answered; rejects after `timeoutMs`. O(1) per reply. */
  waitForAll(seqs: Iterable<number>, timeoutMs: number, what: string): Promise<void> {
    const pending = new Set([...seqs].filter((seq) => this.messages.get(seq)?.repliedAt === null));
    let unsubscribe: () => void = () => undefined;
    const done = this.waitUntil(() => pending.size === 0, timeoutMs, `${what} (${pending.size} unanswered)`);
    unsubscribe = this.onReply((message) => {
      pending.delete(message.seq);
    });
    return done.finally(unsubscribe);
  }

  /** Resolves once `done()` holds (checked on every reply or notice); rejects after `timeoutMs`. */
  waitUntil(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${this.replied} replies so far)`),
        );
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }

  [Symbol.dispose](): void {
    this.sandbox.events.off('dispatch', this.#onDispatch);
    this.sandbox.events.off('messageCreated', this.#onMessage);
    this.#waiters.clear();
    this.#replyListeners.clear();
  }

  #record(message: TranscriptEntry): void {
    const fromBot = message.webhookId !== null || message.authorId === this.sandbox.bot.userId;
    if (!fromBot) return;
    const at = performance.now();
    const tag = TAG_PATTERN.exec(message.content);
    const tracked = tag ? this.messages.get(Number(tag[1])) : undefined;
    if (tracked && tracked.repliedAt === null) {
      tracked.repliedAt = at;
      this.replyTimes.push(at);
      for (const listener of this.#replyListeners) listener(tracked);
    } else if (!tracked && message.webhookId === null) {
      this.notices.push({
        channelId: message.channelId,
        content: message.content,
        referencedMessageId: message.referencedMessageId,
        at,
      });
    } else if (tracked) {
      this.duplicateReplies += 1;
    } else {
      this.untaggedReplies += 1;
    }
    for (const waiter of [...this.#waiters]) waiter();
  }
}
