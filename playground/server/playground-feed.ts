import { EventEmitter } from 'node:events';
import type { DiscordSandbox, RequestLogEntry, SandboxEventMap } from '../../sandbox/index.js';
import { buildMessageView, isVisibleTo, type MessageView, tryParseTypingChannel } from './message-view.js';

/** What the page hears live, in order. */
export type FeedEvent =
  | { readonly type: 'message'; readonly message: MessageView }
  | { readonly type: 'delete'; readonly id: string; readonly channelId: string }
  | { readonly type: 'typing'; readonly channelId: string; readonly name: string; readonly at: number };

/**
 * Every message the sandbox holds, as views, kept current from the sandbox's own events (creations, edits and
 * deletions, ephemeral ones included), and fanned out to the pages listening. The playground starts the
 * sandbox itself, so listening from the start sees every message.
 */
export class PlaygroundFeed implements Disposable {
  readonly #messages = new Map<string, MessageView>();
  readonly #emitter = new EventEmitter<{ event: [FeedEvent] }>();
  readonly #detach: () => void;

  constructor(sandbox: DiscordSandbox, botName: string) {
    const onChanged = ({ kind, message }: SandboxEventMap['messageChanged'][0]) => {
      if (kind === 'deleted') {
        this.#messages.delete(message.id);
        this.#emitter.emit('event', { type: 'delete', id: message.id, channelId: message.channelId });
        return;
      }
      const view = buildMessageView(message, sandbox.bot.userId);
      this.#messages.set(view.id, view);
      this.#emitter.emit('event', { type: 'message', message: view });
    };
    const onRequest = (entry: RequestLogEntry) => {
      const channelId = tryParseTypingChannel(entry);
      if (channelId !== null)
        this.#emitter.emit('event', { type: 'typing', channelId, name: botName, at: entry.at });
    };
    sandbox.events.on('messageChanged', onChanged);
    sandbox.events.on('request', onRequest);
    this.#detach = () => {
      sandbox.events.off('messageChanged', onChanged);
      sandbox.events.off('request', onRequest);
    };
  }

  /** The messages `viewerId` may see in a channel, oldest first (snowflakes grow with time). */
  messagesFor(channelId: string, viewerId: string): MessageView[] {
    return [...this.#messages.values()]
      .filter((view) => view.channelId === channelId && isVisibleTo(view, viewerId))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  /** One message by id, whoever may see it. */
  getMessage(messageId: string): MessageView | undefined {
    return this.#messages.get(messageId);
  }

  /** Calls `listener` with every event `viewerId` may see, until the returned function is called. */
  subscribe(viewerId: string, listener: (event: FeedEvent) => void): () => void {
    const filtered = (event: FeedEvent): void => {
      if (event.type === 'message' && !isVisibleTo(event.message, viewerId)) return;
      listener(event);
    };
    this.#emitter.on('event', filtered);
    return () => this.#emitter.off('event', filtered);
  }

  [Symbol.dispose](): void {
    this.#detach();
  }
}
