import { describe, expect, it, vi } from 'vitest';
import { buildPng } from '../../../sandbox/sample-images.js';
import type { AttachmentFetcher, FetchedImage, FetchedText, RefusedDownload } from '../../../src/ai/index.js';
import type { AttachmentRef } from '../../../src/discord/index.js';
import type { ReplyJob } from '../../../src/queue/reply-job.js';
import { AttachmentReader } from '../../../src/replies/attachment-reader.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

const PNG = buildPng(2, 2);
const CDN = 'https://cdn.discordapp.com/attachments/1';

function ref(filename: string, contentType: string, size = 100): AttachmentRef {
  return { id: String(100 + filename.length), filename, contentType, size, url: `${CDN}/${filename}` };
}

function job(attachments: AttachmentRef[], repliedTo: AttachmentRef[] = []): ReplyJob {
  return {
    kind: 'reply',
    version: 1,
    correlationId: 'c1',
    messageId: '200000000000000001',
    channelId: '300000000000000001',
    parentChannelId: null,
    guildId: '400000000000000001',
    authorId: '500000000000000001',
    authorName: 'Kate',
    content: 'look',
    trigger: 'mention',
    personalityId: 'alicepersona',
    messageCreatedAt: 1,
    enqueuedAt: 2,
    attachments,
    ...(repliedTo.length === 0 ? {} : { repliedToAttachments: repliedTo }),
  };
}

/** A fetcher over fixed answers by file name; Discord's CDN allowed. */
function fakeFetcher(answers: Record<string, FetchedImage | FetchedText | RefusedDownload>) {
  const answer = async (url: string) =>
    answers[url.split('/').at(-1)!] ?? { ok: false as const, refusal: 'failed' as const };
  return {
    isAllowed: (url: string) => url.startsWith('https://cdn.discordapp.com/'),
    fetchImage: vi.fn(answer) as unknown as AttachmentFetcher['fetchImage'],
    fetchText: vi.fn(answer) as unknown as AttachmentFetcher['fetchText'],
  };
}

function reader(
  fetcher: ReturnType<typeof fakeFetcher>,
  provider: { vision: boolean; fetchesImageUrls: boolean },
): AttachmentReader {
  return new AttachmentReader({
    fetcher,
    providers: new Map([
      [
        'main',
        {
          visionModels: new Set(provider.vision ? ['eyes'] : []),
          fetchesImageUrls: provider.fetchesImageUrls,
        },
      ],
    ]),
    logger: createCapturedLogger().logger,
  });
}

const PERSONALITY = { provider: 'main', model: 'eyes' };

describe('AttachmentReader', () => {
  describe('for a vision model whose provider does not fetch URLs', () => {
    it('downloads images and text files and sends images inline', async () => {
      const fetcher = fakeFetcher({
        'cat.png': { ok: true, bytes: PNG, mediaType: 'image/png' },
        'notes.txt': { ok: true, text: 'hello' },
      });
      const read = await reader(fetcher, { vision: true, fetchesImageUrls: false }).read(
        job([ref('cat.png', 'image/png'), ref('notes.txt', 'text/plain')], [ref('dog.png', 'image/png')]),
        PERSONALITY,
      );
      expect(read).toEqual([
        {
          kind: 'image',
          filename: 'cat.png',
          fromReply: false,
          imageUrl: `data:image/png;base64,${PNG.toString('base64')}`,
        },
        { kind: 'text', filename: 'notes.txt', fromReply: false, text: 'hello' },
        // Not in the answers: the download failed.
        { kind: 'image', filename: 'dog.png', fromReply: true, leftOut: 'unavailable' },
      ]);
    });

    it('tells a file that turned out too big or not what it claimed', async () => {
      const fetcher = fakeFetcher({
        'big.png': { ok: false, refusal: 'too-large' },
        'fake.png': { ok: false, refusal: 'wrong-type' },
      });
      const read = await reader(fetcher, { vision: true, fetchesImageUrls: false }).read(
        job([ref('big.png', 'image/png'), ref('fake.png', 'image/png')]),
        PERSONALITY,
      );
      expect(read.map((item) => item.leftOut)).toEqual(['too-large', 'unsupported-type']);
    });
  });

  describe('for a provider that fetches image URLs', () => {
    it("passes Discord's link on without downloading, and refuses a host not allowed", async () => {
      const fetcher = fakeFetcher({});
      const elsewhere = { ...ref('x.png', 'image/png'), url: 'https://evil.example/x.png' };
      const read = await reader(fetcher, { vision: true, fetchesImageUrls: true }).read(
        job([ref('cat.png', 'image/png'), elsewhere]),
        PERSONALITY,
      );
      expect(read).toEqual([
        { kind: 'image', filename: 'cat.png', fromReply: false, imageUrl: `${CDN}/cat.png` },
        { kind: 'image', filename: 'x.png', fromReply: false, leftOut: 'unavailable' },
      ]);
      expect(fetcher.fetchImage).not.toHaveBeenCalled();
    });
  });

  describe('for a model that takes no images', () => {
    it('names images without downloading them, still reads text files, and skips the replied-to images', async () => {
      const fetcher = fakeFetcher({ 'a.json': { ok: true, text: '{}' } });
      const read = await reader(fetcher, { vision: false, fetchesImageUrls: false }).read(
        job([ref('cat.png', 'image/png'), ref('a.json', 'application/json')], [ref('dog.png', 'image/png')]),
        PERSONALITY,
      );
      expect(read).toEqual([
        { kind: 'image', filename: 'cat.png', fromReply: false },
        { kind: 'text', filename: 'a.json', fromReply: false, text: '{}' },
      ]);
      expect(fetcher.fetchImage).not.toHaveBeenCalled();
    });
  });

  it('reads nothing for a job without attachments (and one queued before they existed)', async () => {
    const fetcher = fakeFetcher({});
    const { attachments: _none, ...old } = job([]);
    expect(await reader(fetcher, { vision: true, fetchesImageUrls: false }).read(old, PERSONALITY)).toEqual(
      [],
    );
  });
});
