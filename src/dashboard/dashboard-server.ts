import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { getRequestListener } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Logger } from '../log/index.js';
import { ReplyQueueShards } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { createTaskQueue } from '../tasks/index.js';

/** Required options of {@link startDashboardServer}. */
export interface RequiredDashboardServerOptions {
  /** Client the queues read through; the caller closes it (BullMQ does not close a client it was given). */
  connection: RedisClient;
  /** `REDIS_PREFIX`: the board opens the queues under `{<prefix>}`, as the gateway and workers do. */
  prefix: string;
  /** TCP port (`HTTP_PORT`); 0 picks a free one, read it back from {@link DashboardServer.port}. */
  port: number;
  logger: Logger;
}

/** Optional options of {@link startDashboardServer}. */
export interface OptionalDashboardServerOptions {
  /**
   * Shows queues and jobs without the buttons that change them (retry, remove, promote, pause, clean,
   * obliterate); the API answers 405 to those. @defaultValue true
   */
  readOnly: boolean;
  /** Interface to bind. @defaultValue undefined (every interface, as a container needs) */
  host: string | undefined;
  /** `REPLY_QUEUE_SHARDS`: shard i ≥ 1 shows as `shard<i>-replies`. @defaultValue 1 */
  replyQueueShards: number;
}

export type DashboardServerOptions = RequiredDashboardServerOptions & Partial<OptionalDashboardServerOptions>;

export const DefaultDashboardServerOptions = {
  readOnly: true,
  host: undefined,
  replyQueueShards: 1,
} as const satisfies Required<OptionalDashboardServerOptions>;

/** A running dashboard. Closing it drops open keep-alive connections and closes its queues, not the client. */
export interface DashboardServer extends AsyncDisposable {
  /** The port actually bound (differs from the option when that was 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Serves Bull Board for the `replies` and `tasks` queues: the UI at `/`, its JSON API under `/api`
 * (`GET /api/queues` lists the queues with their job counts), and `GET /healthz` for the container's
 * liveness probe. No authentication: anyone who reaches the port sees job data (user ids, message text), so
 * expose it only on a private network or behind an authenticating proxy.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const settings = { ...DefaultDashboardServerOptions, ...options };
  const log = settings.logger.child({ module: 'dashboard' });
  const replyShards = ReplyQueueShards.open(settings.connection, settings.replyQueueShards, {
    prefix: settings.prefix,
    logger: settings.logger,
  }).shards;
  const queues = [
    ...replyShards,
    createTaskQueue(settings.connection, { prefix: settings.prefix, logger: settings.logger }),
  ];
  const adapterOptions = { readOnlyMode: settings.readOnly, allowRetries: !settings.readOnly };

  const serverAdapter = new HonoAdapter(serveStatic);
  createBullBoard({
    // Every shard's queue is named `replies`; the board tells them apart by the name it shows.
    queues: queues.map(
      (queue, index) =>
        new BullMQAdapter(queue, {
          ...adapterOptions,
          ...(index > 0 && index < replyShards.length ? { prefix: `shard${index}-` } : {}),
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Chorus queues' } },
  });
  const app = serverAdapter.registerPlugin();
  app.get('/healthz', (context) => context.json({ status: 'ok' }));
  app.onError((error, context) => {
    log.error({ err: error, path: context.req.path }, 'dashboard request failed');
    return context.json({ error: 'internal error' }, 500);
  });

  const server = createServer(getRequestListener(app.fetch));
  server.listen({ port: settings.port, host: settings.host });
  try {
    await once(server, 'listening');
  } catch (error) {
    // Port taken or not allowed: nothing will serve these queues, so release them before reporting it.
    await Promise.all(queues.map((queue) => queue.close()));
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  log.info({ port, readOnly: settings.readOnly }, 'dashboard listening');

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // The UI polls over keep-alive connections, which would otherwise hold close() open.
        server.closeAllConnections();
      });
      await Promise.all(queues.map((queue) => queue.close()));
    })();
    return closed;
  };
  return { port, close, [Symbol.asyncDispose]: close };
}
