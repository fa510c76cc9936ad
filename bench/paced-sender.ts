import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** How often the sender wakes to catch up with its schedule, in ms. */
const TICK_MS = 2;

/**
 * Open-loop load: calls `send(n)` for n = 0, 1, 2… at `ratePerSecond`, for `count` messages, keeping to the
 * schedule however slow the system under test gets (that is the point of an open loop: a slow system builds
 * a backlog instead of slowing the sender). Resolves when the last one is sent.
 */
export async function sendPaced(
  ratePerSecond: number,
  count: number,
  send: (n: number) => void,
): Promise<void> {
  const startedAt = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - startedAt) * ratePerSecond) / 1000) + 1);
    while (sent < due) {
      send(sent);
      sent += 1;
    }
    await sleep(TICK_MS);
  }
}
