import type { MessageBody, ReplyTracker } from './reply-tracker.js';

/** Who sends the next message: the n-th message goes to `pick(n)`. */
export type SenderPicker = (n: number) => { readonly userId: string; readonly channelId: string };

/**
 * Keeps a fixed number of messages unanswered: every reply lets the next message go. Measures the sustained
 * throughput of the whole pipeline without letting a backlog grow (an open-loop sender above capacity would
 * measure the queue instead).
 */
export class ClosedLoopDriver {
  /** Sequence numbers of the messages sent, in order. */
  readonly seqs: number[] = [];
  #sent = 0;
  #credits = 0;
  #flushing = false;
  #running = false;
  #unsubscribe: (() => void) | null = null;

  constructor(
    private readonly tracker: ReplyTracker,
    private readonly pick: SenderPicker,
    /** Messages kept in flight. */
    private readonly window: number,
    /** What each message says besides its mention and tag. */
    private readonly body: MessageBody = 'tag',
  ) {}

  /** Messages sent so far. */
  get sent(): number {
    return this.#sent;
  }

  start(): void {
    this.#running = true;
    this.#unsubscribe = this.tracker.onReply(() => {
      this.#credits += 1;
      this.#scheduleFlush();
    });
    this.#credits = this.window;
    this.#scheduleFlush();
  }

  /** Sends nothing more; messages in flight still get their replies. */
  stop(): void {
    this.#running = false;
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  // Sending from inside the sandbox's event handler would nest a gateway dispatch in a REST request's
  // handling; batching on setImmediate also coalesces replies that arrive together.
  #scheduleFlush(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    setImmediate(() => {
      this.#flushing = false;
      while (this.#running && this.#credits > 0) {
        this.#credits -= 1;
        const { userId, channelId } = this.pick(this.#sent);
        this.#sent += 1;
        this.seqs.push(this.tracker.send(userId, channelId, undefined, this.body));
      }
    });
  }
}
