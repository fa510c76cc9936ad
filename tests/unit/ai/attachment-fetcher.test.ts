import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildGifHeader, buildPng } from '../../../sandbox/sample-images.js';
import {
  AttachmentFetcher,
  AttachmentLimits,
  buildImageDataUrl,
  sniffImageType,
} from '../../../src/ai/attachment-fetcher.js';

const CDN = 'https://cdn.discordapp.com';
const HOSTS = ['cdn.discordapp.com', 'media.discordapp.net', '127.0.0.1:4000'];
const PNG = buildPng(4, 4);

describe('AttachmentFetcher', () => {
  let agent: MockAgent;
  let fetcher: AttachmentFetcher;

  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
    fetcher = new AttachmentFetcher({ allowedHosts: HOSTS, dispatcher: agent, timeoutMs: 200 });
  });

  afterEach(async () => {
    await agent.close();
  });

  describe('isAllowed', () => {
    it.each([
      ['https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1&hm=2', true],
      ['https://media.discordapp.net/attachments/1/2/cat.png', true],
      ['https://CDN.DISCORDAPP.COM/a.png', true],
      ['https://cdn.discordapp.com:443/a.png', true],
      ['http://127.0.0.1:4000/attachments/1/2/cat.png', true],
      ['https://127.0.0.1:4000/a.png', true],
      // Plain http only for a host listed with its port.
      ['http://cdn.discordapp.com/a.png', false],
      ['https://cdn.discordapp.com:8443/a.png', false],
      ['http://127.0.0.1:4001/a.png', false],
      ['http://127.0.0.1/a.png', false],
      ['https://evil.example/a.png', false],
      ['https://cdn.discordapp.com.evil.example/a.png', false],
      ['https://evil.example#cdn.discordapp.com', false],
      ['https://user:pass@cdn.discordapp.com/a.png', false],
      ['ftp://cdn.discordapp.com/a.png', false],
      ['file:///etc/passwd', false],
      ['data:image/png;base64,AAAA', false],
      ['not a url', false],
    ])('%s → %s', (url, allowed) => {
      expect(fetcher.isAllowed(url)).toBe(allowed);
    });
  });

  describe('fetchImage', () => {
    it('downloads an allowed image and tells its format by its bytes', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/attachments/1/2/cat.png', method: 'GET' })
        .reply(200, PNG, { headers: { 'content-type': 'image/png' } });
      const image = await fetcher.fetchImage(`${CDN}/attachments/1/2/cat.png`);
      expect(image).toEqual({ ok: true, bytes: PNG, mediaType: 'image/png' });
      expect(buildImageDataUrl(image as { bytes: Buffer; mediaType: string })).toBe(
        `data:image/png;base64,${PNG.toString('base64')}`,
      );
    });

    it('never asks a host that is not allowed', async () => {
      // disableNetConnect: a request would throw; the refusal comes first.
      expect(await fetcher.fetchImage('https://169.254.169.254/latest/meta-data')).toEqual({
        ok: false,
        refusal: 'host-not-allowed',
      });
      expect(await fetcher.fetchImage('http://cdn.discordapp.com/a.png')).toEqual({
        ok: false,
        refusal: 'host-not-allowed',
      });
    });

    it('refuses a redirect to another host', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/a.png', method: 'GET' })
        .reply(302, '', { headers: { location: 'http://169.254.169.254/latest/meta-data' } });
      expect(await fetcher.fetchImage(`${CDN}/a.png`)).toEqual({ ok: false, refusal: 'redirected' });
    });

    it('refuses a redirect to another allowed host too: only the same origin is followed', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/a.png', method: 'GET' })
        .reply(301, '', { headers: { location: 'https://media.discordapp.net/a.png' } });
      expect(await fetcher.fetchImage(`${CDN}/a.png`)).toEqual({ ok: false, refusal: 'redirected' });
    });

    it('follows a redirect within the origin, a bounded number of times', async () => {
      const cdn = agent.get(CDN);
      cdn.intercept({ path: '/a.png', method: 'GET' }).reply(302, '', { headers: { location: '/b.png' } });
      cdn
        .intercept({ path: '/b.png', method: 'GET' })
        .reply(200, PNG, { headers: { 'content-type': 'image/png' } });
      expect(await fetcher.fetchImage(`${CDN}/a.png`)).toMatchObject({ ok: true });

      for (const path of ['/l1', '/l2', '/l3'])
        cdn.intercept({ path, method: 'GET' }).reply(302, '', { headers: { location: `${path}x` } });
      cdn.intercept({ path: '/l1x', method: 'GET' }).reply(302, '', { headers: { location: '/l2' } });
      cdn.intercept({ path: '/l2x', method: 'GET' }).reply(302, '', { headers: { location: '/l3' } });
      expect(await fetcher.fetchImage(`${CDN}/l1`)).toEqual({ ok: false, refusal: 'redirected' });
    });

    it('refuses an image whose declared length is over the cap without reading it', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/big.png', method: 'GET' })
        .reply(200, PNG, {
          headers: { 'content-type': 'image/png', 'content-length': String(AttachmentLimits.imageBytes + 1) },
        });
      expect(await fetcher.fetchImage(`${CDN}/big.png`)).toEqual({ ok: false, refusal: 'too-large' });
    });

    it('stops reading an image that turns out over the cap', async () => {
      const big = Buffer.concat([PNG, Buffer.alloc(AttachmentLimits.imageBytes)]);
      agent
        .get(CDN)
        .intercept({ path: '/big.png', method: 'GET' })
        .reply(200, big, { headers: { 'content-type': 'image/png' } });
      expect(await fetcher.fetchImage(`${CDN}/big.png`)).toEqual({ ok: false, refusal: 'too-large' });
    });

    it.each([
      ['a type that is not an allowed image', 'image/svg+xml', PNG],
      ['html', 'text/html', PNG],
      ['bytes that are no image', 'image/png', Buffer.from('<html>not a png</html>')],
    ])('refuses %s', async (_name, contentType, body) => {
      agent
        .get(CDN)
        .intercept({ path: '/x.png', method: 'GET' })
        .reply(200, body, { headers: { 'content-type': contentType } });
      expect(await fetcher.fetchImage(`${CDN}/x.png`)).toEqual({ ok: false, refusal: 'wrong-type' });
    });

    it('gives up after its time limit', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/slow.png', method: 'GET' })
        .reply(200, PNG, { headers: { 'content-type': 'image/png' } })
        .delay(2_000);
      expect(await fetcher.fetchImage(`${CDN}/slow.png`)).toEqual({ ok: false, refusal: 'timeout' });
    });

    it('stops when the caller cancels', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/slow.png', method: 'GET' })
        .reply(200, PNG, { headers: { 'content-type': 'image/png' } })
        .delay(2_000);
      const controller = new AbortController();
      const fetching = fetcher.fetchImage(`${CDN}/slow.png`, controller.signal);
      controller.abort();
      expect(await fetching).toEqual({ ok: false, refusal: 'cancelled' });
    });

    it('reports an HTTP error or a network failure as failed', async () => {
      agent.get(CDN).intercept({ path: '/gone.png', method: 'GET' }).reply(404, 'no');
      expect(await fetcher.fetchImage(`${CDN}/gone.png`)).toEqual({ ok: false, refusal: 'failed' });
      agent.get(CDN).intercept({ path: '/broken.png', method: 'GET' }).replyWithError(new Error('reset'));
      expect(await fetcher.fetchImage(`${CDN}/broken.png`)).toEqual({ ok: false, refusal: 'failed' });
    });
  });

  describe('fetchText', () => {
    it('decodes UTF-8 text whatever its media type (Discord calls .ts files video/mp2t)', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/main.ts', method: 'GET' })
        .reply(200, '\uFEFFconst café = 1;\n', { headers: { 'content-type': 'video/mp2t' } });
      expect(await fetcher.fetchText(`${CDN}/main.ts`)).toEqual({ ok: true, text: 'const café = 1;\n' });
    });

    it.each([
      ['a NUL byte', Buffer.from([0x61, 0x00, 0x62])],
      ['invalid UTF-8', Buffer.from([0xc3, 0x28])],
    ])('refuses bytes that are not text: %s', async (_name, body) => {
      agent.get(CDN).intercept({ path: '/a.txt', method: 'GET' }).reply(200, body);
      expect(await fetcher.fetchText(`${CDN}/a.txt`)).toEqual({ ok: false, refusal: 'wrong-type' });
    });

    it('refuses a text file over 100 KB', async () => {
      agent
        .get(CDN)
        .intercept({ path: '/a.log', method: 'GET' })
        .reply(200, 'x'.repeat(AttachmentLimits.textBytes + 1));
      expect(await fetcher.fetchText(`${CDN}/a.log`)).toEqual({ ok: false, refusal: 'too-large' });
    });
  });
});

describe('sniffImageType', () => {
  it.each([
    ['png', buildPng(1, 1), 'image/png'],
    ['gif', buildGifHeader(2, 2), 'image/gif'],
    ['jpeg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), 'image/jpeg'],
    ['webp', Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBPVP8 ')]), 'image/webp'],
    ['bmp', Buffer.from('BM\0\0\0\0\0\0\0\0\0\0'), null],
    ['empty', Buffer.alloc(0), null],
  ])('%s → %s', (_name, bytes, type) => {
    expect(sniffImageType(bytes)).toBe(type);
  });
});
