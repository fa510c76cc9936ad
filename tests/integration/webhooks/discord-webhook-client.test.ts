/**
 * DiscordWebhookClient's webhook-token requests over real HTTP to a recording server: what goes on the wire, and
 * how each kind of answer comes back (the sandbox e2e tests cover the same against Discord's rules).
 */
import { DiscordAPIError, HTTPError, REST } from '@discordjs/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscordWebhookClient } from '../../../src/webhooks/discord-webhook-client.js';
import { type RecordingServer, startRecordingServer } from '../../support/recording-server.js';

const WEBHOOK = { id: '111', token: 'secret-webhook-token' };
const servers: RecordingServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** A client whose API base is a server answering every request with `status`, `body` and `headers`. */
async function clientAnswering(status: number, body: string, headers: Record<string, string> = {}) {
  const server = await startRecordingServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(body);
  });
  servers.push(server);
  const client = new DiscordWebhookClient(new REST({ api: `${server.url}/api`, timeout: 5_000 }));
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
});
