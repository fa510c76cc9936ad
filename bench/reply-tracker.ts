import { performance } from 'node:perf_hooks';
import type { DiscordSandbox, TranscriptEntry } from '../sandbox/index.js';
import type { DeliveryCount } from './scenario-result.js';

/** One message a benchmark user sent, and when its answer arrived. Times are `performance.now()` ms. */
export interface TrackedMessage {
  readonly seq: number;
  readonly userId: string;
  readonly channelId: string;
  /** When the sandbox dispatched its MESSAGE_CREATE to the gateway. */
  readonly dispatchedAt: number;
  /** When the first chunk of its reply reached the sandbox as a webhook (or DM) message; null until then. */
  repliedAt: number | null;
  /** Tagged posts answering it: exactly-once delivery says 1 once answered. */
  replies: number;
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
 * What a benchmark message says after its mention. `tag`: only its tag (`@Bench #b42`), which the stub's echo of
 * the prompt's last user turn repeats. `chat`: a `!say` of its tag and one of {@link CHAT_SENTENCES}, about 120
 * characters in all, and the stub answers exactly `#b42 <sentence>`. The echo cannot serve room context, whose
 * last user turn starts with the channel's earlier lines; the `!say` answer is the same in either mode, so only
 * the prompt differs between them. `fact`: a `chat` message that also says a `fact:` line (~40 characters), which
 * the stub's summaries keep (docs/memory.md), so a long conversation's rolling summary grows as a real one would.
 */
export type MessageBody = 'tag' | 'chat' | 'fact';

/** Chat-length sentences (~100 characters) for `chat` messages: no `#`, no `!`, nothing the stub obeys. */
const CHAT_SENTENCES = [
  'Has anyone tried the new release on a Raspberry Pi yet? Mine keeps dropping the connection after an hour.',
  'I pushed the fix for the login timeout, but the staging tests still fail about half the time for me.',
  'We should move the weekly sync to Thursday, most of the team is out on Fridays until the end of March.',
  'The map in the second chapter makes no sense to me, the river flows uphill if you follow the legend.',
  'Can someone explain why the cache gets cleared on every deploy? It makes the first minute painfully slow.',
  'Just finished the book you recommended, the ending was great but the middle part dragged on a little.',
  'Does the raid start at eight or nine tonight? I can only make it if we are done before eleven or so.',
  'My sourdough finally rose properly after I moved it next to the radiator, thanks for the tip everyone.',
] as const;

/** The text of benchmark message `seq`, addressed to `mention`. */
export function buildMessageText(seq: number, mention: string, body: MessageBody): string {
  if (body === 'tag') return `@${mention} #b${seq}`;
  const chat = `@${mention} !say #b${seq} ${CHAT_SENTENCES[seq % CHAT_SENTENCES.length]}`;
  return body === 'chat' ? chat : `${chat} fact: the user's item ${seq} is kept in box ${seq % 97}.`;
}

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

  /** `userId` says `@<mention> #b<seq>` (and a `body`) in `channelId`; returns the message's sequence number. */
  send(userId: string, channelId: string, mention = this.mention, body: MessageBody = 'tag'): number {
    const seq = this.#nextSeq;
    this.#nextSeq += 1;
    this.sandbox.userSays(userId, channelId, buildMessageText(seq, mention, body));
    // userSays dispatches synchronously, so the last MESSAGE_CREATE dispatch is this message's.
    this.messages.set(seq, {
      seq,
      userId,
      channelId,
      dispatchedAt: this.#lastDispatchAt,
      repliedAt: null,
      replies: 0,
    });
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

  /**
   * Of `seqs`, each owed one reply: how many have none (lost, once the caller has waited for them) and how many
   * second replies arrived (doubled).
   */
  countDelivery(seqs: Iterable<number>): DeliveryCount {
    let lost = 0;
    let doubled = 0;
    for (const seq of seqs) {
      const message = this.messages.get(seq);
      if (message === undefined) continue;
      if (message.repliedAt === null) lost += 1;
      doubled += Math.max(0, message.replies - 1);
    }
    return { lost, doubled };
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
    if (tracked) tracked.replies += 1;
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
