/**
 * DiscordWebhookClient's webhook-token requests over real HTTP to a recording server: what goes on the wire, how
 * each kind of answer comes back, and what happens when none does (the sandbox e2e tests cover the same against
 * Discord's rules).
 */
import type { ServerResponse } from 'node:http';
import { DiscordAPIError, HTTPError, REST } from '@discordjs/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/http/keep-alive-pool.js';
import { DiscordWebhookClient } from '../../../src/webhooks/discord-webhook-client.js';
import { classifyDiscordFailure } from '../../../src/webhooks/failure-policy.js';
import { type RecordingServer, startRecordingServer } from '../../support/recording-server.js';

const WEBHOOK = { id: '111', token: 'secret-webhook-token' };
const servers: RecordingServer[] = [];
const clients: DiscordWebhookClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A client whose API base is a server answering each request as `answer` says. */
async function clientOf(
  answer: (index: number, response: ServerResponse, destroy: () => void) => void,
  timeout = 5_000,
) {
  const server = await startRecordingServer((request, response) => {
    answer(server.requests.length - 1, response, () => request.socket.destroy());
  });
  servers.push(server);
  const client = new DiscordWebhookClient(new REST({ api: `${server.url}/api`, timeout }));
  clients.push(client);
  return { client, server };
}

/** A client whose API base is a server answering every request with `status`, `body` and `headers`. */
async function clientAnswering(status: number, body: string, headers: Record<string, string> = {}) {
  const server = await startRecordingServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  });
  servers.push(server);
  const client = new DiscordWebhookClient(new REST({ api: `${server.url}/api`, timeout: 5_000 }));
  clients.push(client);
  return { client, server };
}

function execute(client: DiscordWebhookClient) {
  return client.requestWithWebhookToken({
    method: 'POST',
    webhook: WEBHOOK,
    path: '',
    query: new URLSearchParams({ wait: 'true' }),
    body: { content: 'hi' },
  });
}

describe('DiscordWebhookClient.requestWithWebhookToken', () => {
  it('posts to the versioned token route without the bot token, and returns the body and the bucket', async () => {
    const { client, server } = await clientAnswering(200, '{"id":"42"}', {
      'x-ratelimit-limit': '5',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset-after': '1.999',
    });
    const response = await execute(client);
    expect(response).toMatchObject({ kind: 'ok', body: { id: '42' } });
    expect(response.rateLimit).toMatchObject({ limit: 5, remaining: 4, resetAfterMs: 1999 });
    const [request] = server.requests;
    expect(request).toMatchObject({
      method: 'POST',
      url: '/api/v10/webhooks/111/secret-webhook-token?wait=true',
      body: '{"content":"hi"}',
    });
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'accept-encoding': 'identity',
    });
    expect(request!.headers['user-agent']).toMatch(/^DiscordBot \(/);
    expect(request!.headers.authorization).toBeUndefined();
  });

  it("hands a 429 back with Discord's retry_after instead of throwing", async () => {
    const { client } = await clientAnswering(
      429,
      '{"message":"You are being rate limited.","retry_after":0.25,"global":true}',
      { 'retry-after': '1', 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' },
    );
    const response = await execute(client);
    expect(response.kind).toBe('rate-limited');
    expect(response.rateLimit).toMatchObject({ retryAfterMs: 250, global: true, scope: 'global' });
  });

  it("throws a 4xx as DiscordAPIError with Discord's code, the token cut from its URL", async () => {
    const { client } = await clientAnswering(404, '{"message":"Unknown Webhook","code":10015}');
    const error = await execute(client).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(DiscordAPIError);
    expect(error).toMatchObject({ code: 10015, status: 404 });
    expect((error as DiscordAPIError).url).toContain('/webhooks/111/:token');
    expect(JSON.stringify(error)).not.toContain(WEBHOOK.token);
    expect(String((error as Error).message)).not.toContain(WEBHOOK.token);
  });

  it('throws a 5xx as HTTPError', async () => {
    const { client } = await clientAnswering(502, 'bad gateway');
    const error = await execute(client).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(HTTPError);
    expect(error).toMatchObject({ status: 502, message: 'Bad Gateway' });
    expect((error as HTTPError).url).not.toContain(WEBHOOK.token);
  });

  it('edits and deletes on the message route with thread_id, over kept-alive connections', async () => {
    const { client, server } = await clientAnswering(200, '{"id":"42"}');
    const query = new URLSearchParams({ thread_id: '77' });
    await client.requestWithWebhookToken({
      method: 'PATCH',
      webhook: WEBHOOK,
      path: '/messages/42',
      query,
      body: { content: 'edited' },
    });
    await client.requestWithWebhookToken({ method: 'DELETE', webhook: WEBHOOK, path: '/messages/42', query });
    for (let index = 0; index < 3; index += 1) await execute(client);
    expect(server.requests.slice(0, 2).map(({ method, url, body }) => ({ method, url, body }))).toEqual([
      {
        method: 'PATCH',
        url: '/api/v10/webhooks/111/secret-webhook-token/messages/42?thread_id=77',
        body: '{"content":"edited"}',
      },
      {
        method: 'DELETE',
        url: '/api/v10/webhooks/111/secret-webhook-token/messages/42?thread_id=77',
        body: '',
      },
    ]);
    expect(server.requests[0]!.headers['content-length']).toBe('20');
    expect(server.requests[1]!.headers['content-type']).toBeUndefined();
    // A request sent the moment the previous answer's body ends can find its connection not yet free in undici
    // (the body ends before the connection is released) and open a second one; after that, they are reused.
    expect(server.sockets.length).toBeLessThanOrEqual(2);
  });

  it('never sends an execute again when its kept-alive connection turns out closed: the outcome is unknown', async () => {
    // The second request on the first connection: as if the server had closed it idle meanwhile.
    const { client, server } = await clientOf((index, response, destroy) => {
      if (index === 1) {
        destroy();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id":"42"}');
    });
    await execute(client);
    const failure = await execute(client).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).reason).toBe('connection');
    expect(String((failure as Error).message)).not.toContain(WEBHOOK.token);
    // No HTTP status: the delivery ledger must not guess whether Discord posted it.
    expect(classifyDiscordFailure(failure)).toBeNull();
    expect(server.requests).toHaveLength(2);
  });

  it("bounds an exchange by REST's timeout, from connecting to the answer's last byte", async () => {
    const { client: silent } = await clientOf(() => undefined, 100);
    const unanswered = await execute(silent).catch((error: unknown) => error);
    expect(unanswered).toBeInstanceOf(TransportError);
    expect((unanswered as TransportError).reason).toBe('timed-out');
    expect(classifyDiscordFailure(unanswered)).toBeNull();

    // Headers at once, then a body that never ends.
    const { client: trickling } = await clientOf((_index, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"id":');
    }, 100);
    const cutOff = await execute(trickling).catch((error: unknown) => error);
    expect(cutOff).toBeInstanceOf(TransportError);
    expect((cutOff as TransportError).reason).toBe('timed-out');
  });

  it('reads no more than 1 MiB of an answer: a larger one comes back without a body', async () => {
    const large = `{"id":"42","content":"${'x'.repeat(1024 * 1024)}"}`;
    const { client: declared } = await clientAnswering(200, large);
    expect(await execute(declared)).toMatchObject({ kind: 'ok', body: null });

    // Chunked: no content-length to refuse it by, so it is cut off as it comes.
    const { client: chunked } = await clientOf((_index, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-ratelimit-remaining': '4' });
      for (let offset = 0; offset < large.length; offset += 64 * 1024) {
        response.write(large.slice(offset, offset + 64 * 1024));
      }
      response.end();
    });
    const answer = await execute(chunked);
    expect(answer).toMatchObject({ kind: 'ok', body: null });
    expect(answer.rateLimit).toMatchObject({ remaining: 4 });
  });
});
