import type { Socket } from 'node:net';
import { type Command, Redis, type RedisOptions } from 'ioredis';

/**
 * A single-server client whose commands leave in one socket write per turn of the event loop. ioredis writes
 * each command as it is sent, so a worker with hundreds of jobs in flight paid one `write` syscall per command
 * (a quarter of its CPU in the bench's profile) and Redis one `read` for each. Here the first command of a turn
 * corks the socket and a `setImmediate` uncorks it once the turn's I/O callbacks have all run: everything sent
 * meanwhile, by any job, goes out as one `writev`, in the order sent. Alone, a command waits only for the
 * rest of its own turn.
 *
 * Unlike ioredis' `enableAutoPipelining`, this makes no pipeline object per batch (each copies every script
 * defined on the client: BullMQ's 80-odd) and never holds a turn's commands until an earlier batch is
 * answered. Commands given their own stream (a pipeline's) are left alone. Only for a single server: a
 * Cluster makes its own node connections.
 */
export class CoalescingRedis extends Redis {
  /** The socket corked this turn, if any; a reconnect in between leaves the new one untouched. */
  #corked: Socket | undefined;

  constructor(url: string, options: Omit<RedisOptions, 'replyMapping'>) {
    super(url, options);
  }

  readonly #uncork = (): void => {
    const socket = this.#corked;
    this.#corked = undefined;
    socket?.uncork();
  };

  override sendCommand(command: Command, stream?: Parameters<Redis['sendCommand']>[1]): unknown {
    if (stream === undefined && this.#corked === undefined && this.status === 'ready') {
      const socket = this.stream as Socket | undefined;
      if (socket?.writable === true) {
        socket.cork();
        this.#corked = socket;
        setImmediate(this.#uncork);
      }
    }
    return super.sendCommand(command, stream);
  }
}
