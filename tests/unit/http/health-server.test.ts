import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type HealthServer, type ReadinessReport, startHealthServer } from '../../../src/http/index.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

const READY: ReadinessReport = { ready: true, checks: [{ name: 'redis', ok: true }] };

describe('startHealthServer', () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(
    readiness: () => Promise<ReadinessReport> = async () => READY,
    metrics?: Registry,
  ): Promise<{ url: string; lines: Record<string, unknown>[] }> {
    const { logger, records: lines } = createCapturedLogger('info');
    server = await startHealthServer({ port: 0, logger, readiness, metrics });
    return { url: `http://127.0.0.1:${server.port}`, lines };
  }

  it('binds a free port for port 0 and logs it', async () => {
    const { lines } = await start();
    expect(server?.port).toBeGreaterThan(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        module: 'health-server',
        port: server?.port,
        msg: 'health server listening',
      }),
    );
  });

  it('answers /healthz with 200 ok', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  describe('when every readiness check passes', () => {
    it('answers /readyz with 200', async () => {
      const { url } = await start();
      const response = await fetch(`${url}/readyz`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ready', checks: READY.checks });
    });
  });

  describe('when a readiness check fails', () => {
    const notReady: ReadinessReport = {
      ready: false,
      checks: [
        { name: 'redis', ok: true },
        { name: 'discord', ok: false, detail: 'not ready' },
      ],
    };

    it('answers /readyz with 503 naming the failing checks', async () => {
      const { url } = await start(async () => notReady);
      const response = await fetch(`${url}/readyz`);
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'not-ready',
        failing: ['discord'],
        checks: notReady.checks,
      });
    });

    it('still answers /healthz with 200', async () => {
      const { url } = await start(async () => notReady);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
    });

    it('logs only when readiness flips', async () => {
      let report = notReady;
      const { url, lines } = await start(async () => report);
      for (const next of [notReady, notReady, READY, READY, notReady]) {
        report = next;
        await (await fetch(`${url}/readyz`)).body?.cancel();
      }
      expect(lines.map((line) => line['msg']).filter((msg) => msg !== 'health server listening')).toEqual([
        'not ready',
        'ready',
        'not ready',
      ]);
    });
  });

  describe('when the readiness function throws', () => {
    it('answers /readyz with 500 and logs the error', async () => {
      const { url, lines } = await start(async () => {
        throw new Error('boom');
      });
      const response = await fetch(`${url}/readyz`);
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ status: 'error' });
      expect(lines).toContainEqual(expect.objectContaining({ level: 50, msg: 'health endpoint failed' }));
    });
  });

  describe('when given a registry', () => {
    it('serves it on /metrics with the registry’s content type', async () => {
      const registry = new Registry();
      new Counter({ name: 'test_total', help: 'test', registers: [registry] });
      const { url } = await start(undefined, registry);
      const response = await fetch(`${url}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
      expect(await response.text()).toContain('test_total 0');
    });
  });

  describe('when given no registry', () => {
    it('answers /metrics with 404', async () => {
      const { url } = await start();
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
    });
  });

  it.each([
    ['an unknown path', 'GET', '/nope', 404],
    ['a query string on a known path', 'GET', '/healthz?verbose=1', 200],
    ['HEAD on a known path', 'HEAD', '/healthz', 200],
    ['POST on a known path', 'POST', '/healthz', 405],
  ])('answers %s with the right status', async (_name, method, path, status) => {
    const { url } = await start();
    const response = await fetch(`${url}${path}`, { method });
    await response.body?.cancel();
    expect(response.status).toBe(status);
  });

  describe('when closed', () => {
    it('stops answering, and closing again is harmless', async () => {
      const { url } = await start();
      await (await fetch(`${url}/healthz`)).body?.cancel();
      await server?.close();
      await server?.[Symbol.asyncDispose]();
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    });
  });
});
