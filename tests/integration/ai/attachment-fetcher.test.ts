/**
 * AttachmentFetcher against the Discord sandbox's CDN route (`/attachments/<channel>/<id>/<name>`, plain http on
 * 127.0.0.1): what a user uploads comes back byte for byte when the sandbox's host:port is allowed, and not at
 * all when only Discord's CDN is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscordSandbox } from '../../../sandbox/index.js';
import { buildPng } from '../../../sandbox/sample-images.js';
import { AttachmentFetcher } from '../../../src/ai/index.js';
import { DISCORD_ATTACHMENT_HOSTS } from '../../../src/config/index.js';

const PNG = buildPng(32, 16);

let sandbox: DiscordSandbox;
let channelId: string;
/** The uploaded files' CDN URLs, as the REST API gives them, by file name. */
const urls = new Map<string, string>();

beforeAll(async () => {
  sandbox = await DiscordSandbox.start();
  const guild = sandbox.createGuild({ name: 'files' });
  channelId = sandbox.createChannel(guild.id, { name: 'files' }).id;
  const user = sandbox.createUser({ username: 'kate' });
  sandbox.addMember(guild.id, user.id);
  const sent = sandbox.userSays(user.id, channelId, 'files', {
    attachments: [
      { filename: 'cat.png', data: PNG, contentType: 'image/png' },
      { filename: 'notes.txt', data: 'hello from a file\n', contentType: 'text/plain' },
    ],
  });
  const response = await fetch(`${sandbox.restUrl}/v10/channels/${channelId}/messages/${sent.id}`, {
    headers: { authorization: `Bot ${sandbox.bot.token}` },
  });
  const message = (await response.json()) as { attachments: Array<{ filename: string; url: string }> };
  for (const attachment of message.attachments) urls.set(attachment.filename, attachment.url);
});

afterAll(async () => {
  await sandbox?.close();
});

describe('AttachmentFetcher with the sandbox CDN', () => {
  const sandboxHost = () => new URL(sandbox.restUrl).host;

  it('downloads an uploaded image and text file when the sandbox host:port is allowed', async () => {
    const fetcher = new AttachmentFetcher({
      allowedHosts: [...DISCORD_ATTACHMENT_HOSTS.split(','), sandboxHost()],
    });
    expect(await fetcher.fetchImage(urls.get('cat.png')!)).toEqual({
      ok: true,
      bytes: PNG,
      mediaType: 'image/png',
    });
    expect(await fetcher.fetchText(urls.get('notes.txt')!)).toEqual({
      ok: true,
      text: 'hello from a file\n',
    });
  });

  it("refuses the sandbox when only Discord's CDN is allowed, and a host listed without its port", async () => {
    for (const allowedHosts of [DISCORD_ATTACHMENT_HOSTS.split(','), ['127.0.0.1']]) {
      const fetcher = new AttachmentFetcher({ allowedHosts });
      expect(await fetcher.fetchImage(urls.get('cat.png')!)).toEqual({
        ok: false,
        refusal: 'host-not-allowed',
      });
    }
  });

  it('reports a file the CDN does not have as failed, and a text file asked for as an image as the wrong type', async () => {
    const fetcher = new AttachmentFetcher({ allowedHosts: [sandboxHost()] });
    const missing = urls.get('cat.png')!.replace(/\/attachments\/(\d+)\/\d+\//, '/attachments/$1/1/');
    expect(await fetcher.fetchImage(missing)).toEqual({ ok: false, refusal: 'failed' });
    expect(await fetcher.fetchImage(urls.get('notes.txt')!)).toEqual({ ok: false, refusal: 'wrong-type' });
  });
});
