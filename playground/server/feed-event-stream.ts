import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { FeedEvent, PlaygroundFeed } from './playground-feed.js';

/**
 * Streams what `viewerId` may see of the feed as Server-Sent Events (`ready` first, then `message`, `delete`,
 * `typing`), with a comment every `keepAliveSeconds` while idle, until the page goes away.
 */
export function streamFeedEvents(
  context: Context,
  feed: PlaygroundFeed,
  viewerId: string,
  keepAliveSeconds: number,
): Response {
  return streamSSE(context, async (stream) => {
    const queue: FeedEvent[] = [];
    let wake: (() => void) | null = null;
    const unsubscribe = feed.subscribe(viewerId, (event) => {
      queue.push(event);
      wake?.();
    });
    stream.onAbort(() => {
      unsubscribe();
      wake?.();
    });
    await stream.writeSSE({ event: 'ready', data: '{}' });
    while (!stream.aborted) {
      const next = queue.shift();
      if (next) {
        await stream.writeSSE({ event: next.type, data: JSON.stringify(next) });
        continue;
      }
      // Sleep until an event arrives or the keep-alive is due, whichever is first.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, keepAliveSeconds * 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
      if (queue.length === 0 && !stream.aborted) await stream.write(': keep-alive\n\n');
    }
    unsubscribe();
  });
}
