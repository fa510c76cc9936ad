import type { Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { vi } from 'vitest';

/**
 * Counts the writes a connected client's socket hands to the OS from now on: one per write, however many
 * commands it carries, so a test can tell one round trip from several. Undone by `vi.restoreAllMocks()`.
 */
export function spyOnSocketWrites(redis: Redis): () => number {
  const socket = redis.stream as Socket;
  const single = vi.spyOn(socket, '_write');
  const vectored = vi.spyOn(socket as Required<Socket>, '_writev');
  return () => single.mock.calls.length + vectored.mock.calls.length;
}
