import type { MessageService } from './message-service.js';
import type { SandboxEvents, TranscriptEntry } from './sandbox-events.js';
import type { SandboxStore } from './sandbox-store.js';

/** What {@link TranscriptReader} reads. */
export interface TranscriptReaderDeps {
  readonly store: SandboxStore;
  readonly messages: MessageService;
  readonly events: SandboxEvents;
}

/** Channels as people see them, and waiting for them to reach a state: how tests observe the bot. */
export class TranscriptReader {
  readonly #deps: TranscriptReaderDeps;

  constructor(deps: TranscriptReaderDeps) {
    this.#deps = deps;
  }

  /** The channel as people see it, oldest first; `includeThreads` merges in its threads' messages. */
  transcript(channelId: string, options: { includeThreads?: boolean } = {}): TranscriptEntry[] {
    const channelIds = [channelId];
    if (options.includeThreads) {
      for (const channel of this.#deps.store.channels.values())
        if (channel.parentId === channelId) channelIds.push(channel.id);
    }
    return channelIds
      .flatMap((id) => this.#deps.store.channelMessages(id))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .map((message) => this.#deps.messages.transcriptEntry(message));
  }

  /**
   * Waits until the channel's transcript holds `count` messages, or satisfies `predicate`; resolves with the
   * transcript. Rechecked on every new, edited or deleted message. Rejects after `timeoutMs`.
   * @param timeoutMs - @defaultValue 5000
   */
  waitForMessages(
    channelId: string,
    countOrPredicate: number | ((messages: readonly TranscriptEntry[]) => boolean),
    timeoutMs = 5000,
  ): Promise<TranscriptEntry[]> {
    const check = (): TranscriptEntry[] | null => {
      const transcript = this.transcript(channelId);
      const done =
        typeof countOrPredicate === 'number'
          ? transcript.length >= countOrPredicate
          : countOrPredicate(transcript);
      return done ? transcript : null;
    };
    const ready = check();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const onChange = (): void => {
        const result = check();
        if (!result) return;
        cleanup();
        resolve(result);
      };
      const onDispatch = ({ type }: { type: string }): void => {
        if (type === 'MESSAGE_UPDATE' || type === 'MESSAGE_DELETE' || type === 'MESSAGE_DELETE_BULK')
          onChange();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#deps.events.off('messageCreated', onChange);
        this.#deps.events.off('dispatch', onDispatch);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `sandbox: channel ${channelId} did not get the expected messages within ${timeoutMs} ms ` +
              `(has ${this.transcript(channelId).length})`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.#deps.events.on('messageCreated', onChange);
      this.#deps.events.on('dispatch', onDispatch);
    });
  }
}
