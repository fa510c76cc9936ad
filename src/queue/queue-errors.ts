import type { Logger } from '../log/index.js';

/** A BullMQ Queue, Worker or QueueEvents, as far as its `error` event goes. */
export interface BullErrorSource {
  readonly name: string;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Logs a BullMQ queue's (or worker's) `error` events. Unheard, BullMQ prints them with `console.error`,
 * unredacted; its connection's errors reach here too, re-emitted.
 */
export function logQueueErrors<T extends BullErrorSource>(source: T, logger: Logger): T {
  const log = logger.child({ module: 'queue', queue: source.name });
  source.on('error', (error) => log.error({ err: error }, 'queue error'));
  return source;
}
