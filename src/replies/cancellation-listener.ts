import type { Logger } from '../log/index.js';
import type { RedisClient } from '../redis/index.js';

/**
 * Aborts in-flight work for a message the moment its author deletes it. The gateway publishes deletions;
 * every worker subscribes once. The durable "deleted" mark is checked separately (before posting), so a
 * publish missed during a restart still cancels.
 */
export class CancellationListener implements AsyncDisposable {
  private readonly controllers = new Map<string, Set<AbortController>>();

  private constructor(
    private readonly subscriber: RedisClient,
    private readonly channel: string,
  ) {}

  /** Subscribes `subscriber` (a dedicated connection: subscribed connections take no other commands). */
  static async start(
    subscriber: RedisClient,
    channel: string,
    logger: Logger,
  ): Promise<CancellationListener> {
    const listener = new CancellationListener(subscriber, channel);
    subscriber.on('message', (from: string, messageId: string) => {
      if (from === channel) listener.abort(messageId);
    });
    // ioredis re-subscribes by itself after a reconnect.
    await subscriber.subscribe(channel);
    logger.debug({ channel }, 'listening for deleted messages');
    return listener;
  }

  /** A signal that aborts when `messageId` is deleted; call the returned release when done. */
  watch(messageId: string): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    let set = this.controllers.get(messageId);
    if (!set) {
      set = new Set();
      this.controllers.set(messageId, set);
    }
    set.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        const current = this.controllers.get(messageId);
        current?.delete(controller);
        if (current?.size === 0) this.controllers.delete(messageId);
      },
    };
  }

  private abort(messageId: string): void {
    for (const controller of this.controllers.get(messageId) ?? [])
      controller.abort(new Error('message deleted'));
    this.controllers.delete(messageId);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
    this.subscriber.disconnect();
  }
}
