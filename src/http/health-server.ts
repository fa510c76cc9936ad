import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/index.js';
import type { ReadinessReport } from './readiness.js';

/** Required options of {@link startHealthServer}. */
export interface RequiredHealthServerOptions {
  /** TCP port (`HTTP_PORT`); 0 picks a free one, read it back from {@link HealthServer.port}. */
  port: number;
  logger: Logger;
  /** Asked on every `GET /readyz`; the caller composes its checks (see `runReadinessChecks`). */
  readiness: () => Promise<ReadinessReport>;
}

/** Optional options of {@link startHealthServer}. */
export interface OptionalHealthServerOptions {
  /** Served as Prometheus text on `GET /metrics`; without it `/metrics` is 404. @defaultValue undefined */
  metrics: Registry | undefined;
  /** Interface to bind. @defaultValue undefined (every interface, as a container needs) */
  host: string | undefined;
}

export type HealthServerOptions = RequiredHealthServerOptions & Partial<OptionalHealthServerOptions>;

export const DefaultHealthServerOptions = {
  metrics: undefined,
  host: undefined,
} as const satisfies Required<OptionalHealthServerOptions>;

/** A running health server. Closing it drops open keep-alive connections too. */
export interface HealthServer extends AsyncDisposable {
  /** The port actually bound (differs from the option when that was 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts the probe endpoints every process serves:
 * - `GET /healthz` → 200 while the process runs (liveness: restart me only if this stops answering);
 * - `GET /readyz` → 200 when every readiness check passes, else 503 naming the failing ones;
 * - `GET /metrics` → the Prometheus registry, when one is given.
 * Anything else is 404 (405 for another method on a known path).
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const settings = { ...DefaultHealthServerOptions, ...options };
  const log = settings.logger.child({ module: 'health-server' });
  // Readiness is asked every few seconds; log only when it flips, not on every probe.
  let lastReady: boolean | undefined;

  const routes: Record<string, (response: ServerResponse) => Promise<void>> = {
    '/healthz': async (response) => sendJson(response, 200, { status: 'ok' }),
    '/readyz': async (response) => {
      const report = await settings.readiness();
      const failing = report.checks.filter((check) => !check.ok).map((check) => check.name);
      if (report.ready !== lastReady) {
        if (report.ready) log.info('ready');
        else log.warn({ failing, checks: report.checks }, 'not ready');
        lastReady = report.ready;
      }
      sendJson(response, report.ready ? 200 : 503, {
        status: report.ready ? 'ready' : 'not-ready',
        ...(report.ready ? {} : { failing }),
        checks: report.checks,
      });
    },
  };
  const registry = settings.metrics;
  if (registry) {
    routes['/metrics'] = async (response) => {
      const body = await registry.metrics();
      response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
      response.end(body);
    };
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://health.invalid').pathname;
    const route = routes[path];
    if (!route) return sendJson(response, 404, { status: 'not-found' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      return sendJson(response, 405, { status: 'method-not-allowed' });
    }
    await route(response);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.error({ err: error, path: request.url }, 'health endpoint failed');
      if (!response.headersSent) sendJson(response, 500, { status: 'error' });
      else response.destroy();
    });
  });
  server.listen({ port: settings.port, host: settings.host });
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  log.info({ port }, 'health server listening');

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive sockets (Prometheus, fetch) would otherwise hold close() open until they time out.
      server.closeAllConnections();
    });
    return closed;
  };
  return { port, close, [Symbol.asyncDispose]: close };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}
