/** Options for {@link TypingIndicator}. */
export interface TypingIndicatorOptions {
  /** Typing starts only when an answer takes longer than this. @defaultValue 1000 */
  readonly startDelayMs: number;
  /** Discord shows typing for ~10 s; renew before it lapses. @defaultValue 8000 */
  readonly renewEveryMs: number;
  /** Sends one typing indicator (POST /channels/{id}/typing). Failures are the sender's to log. */
  readonly sendTyping: (channelId: string) => Promise<void>;
}

interface ChannelTyping {
  inFlight: number;
  timer: NodeJS.Timeout | null;
}

/** Ends one job's share of a channel's typing loop; idempotent. */
export type TypingLease = () => void;

/**
 * One typing loop per channel, not per job: many jobs in one channel send one indicator every 8 s, and the
 * loop stops when the channel has nothing in flight.
 */
export class TypingIndicator implements Disposable {
  private readonly channels = new Map<string, ChannelTyping>();
  private readonly options: TypingIndicatorOptions;

  constructor(options: Partial<TypingIndicatorOptions> & Pick<TypingIndicatorOptions, 'sendTyping'>) {
    this.options = { startDelayMs: 1000, renewEveryMs: 8000, ...options };
  }

  /** A job in `channelId` starts waiting on the AI. */
  begin(channelId: string): TypingLease {
    let channel = this.channels.get(channelId);
    if (!channel) {
      channel = { inFlight: 0, timer: null };
      this.channels.set(channelId, channel);
    }
    channel.inFlight += 1;
    if (channel.timer === null) channel.timer = this.schedule(channelId, this.options.startDelayMs);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.end(channelId);
    };
  }

  /** Channels with a live loop (for tests and status). */
  activeChannels(): string[] {
    return [...this.channels.keys()];
  }

  [Symbol.dispose](): void {
    for (const channel of this.channels.values()) if (channel.timer) clearTimeout(channel.timer);
    this.channels.clear();
  }

  private end(channelId: string): void {
    const channel = this.channels.get(channelId);
    if (!channel) return;
    channel.inFlight -= 1;
    if (channel.inFlight > 0) return;
    if (channel.timer) clearTimeout(channel.timer);
    this.channels.delete(channelId);
  }

  private schedule(channelId: string, delayMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      const channel = this.channels.get(channelId);
      if (!channel || channel.inFlight === 0) return;
      channel.timer = this.schedule(channelId, this.options.renewEveryMs);
      void this.options.sendTyping(channelId);
    }, delayMs);
    timer.unref();
    return timer;
  }
}
