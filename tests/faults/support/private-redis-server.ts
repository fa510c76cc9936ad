/**
 * A `redis-server` of the test's own, on a free port with an append-only file in a temporary directory, so a
 * scenario can stop and restart Redis without touching the shared server every other test uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

const READY_TIMEOUT_MS = 10_000;

/** See the module comment. Disposing it stops the server and deletes its directory. */
export class PrivateRedisServer implements AsyncDisposable {
  #child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  /** Starts a server on a free loopback port, persisting to an AOF (no RDB snapshots). */
  static async start(): Promise<PrivateRedisServer> {
    const server = new PrivateRedisServer(
      await findFreePort(),
      await mkdtemp(join(tmpdir(), 'chorus-faults-redis-')),
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts the server again on the same port and directory (it replays its AOF); resolves once it answers PING. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('private redis-server is already running');
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--appendonly',
        'yes',
        '--dir',
        this.dir,
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      const probe = new Redis(this.url, {
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      // Refused until the server listens: the failed connect() says so; the error event needs no second report.
      probe.on('error', () => undefined);
      try {
        await probe.connect();
        // LOADING while it replays the AOF: not ready yet.
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        if (Date.now() > deadline) throw new Error(`redis-server on ${this.port} not ready`);
      } finally {
        probe.disconnect();
      }
      await sleep(50);
    }
  }

  /** `SHUTDOWN` (which flushes the AOF) and waits for the process to end. */
  async shutdown(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    const client = new Redis(this.url, { retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    // The connection drops as the server exits: that is the expected answer to SHUTDOWN.
    await client.shutdown().catch(() => undefined);
    client.disconnect();
    await exited;
    this.#child = null;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    this.#child = null;
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A TCP port nobody listens on right now (bound to 0, read back, released). */
async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
