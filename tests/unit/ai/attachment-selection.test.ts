import { describe, expect, it } from 'vitest';
import { AttachmentLimits } from '../../../src/ai/attachment-fetcher.js';
import { selectAttachments } from '../../../src/ai/attachment-selection.js';
import type { AttachmentRef } from '../../../src/discord/index.js';

const MB = 1024 * 1024;

function ref(filename: string, contentType: string | null, size = 1000): AttachmentRef {
  return {
    id: String(filename.length),
    filename,
    contentType,
    size,
    url: `https://cdn.discordapp.com/${filename}`,
  };
}

const image = (name: string, size = 1000) => ref(name, 'image/png', size);
const text = (name: string, size = 1000) => ref(name, 'text/plain', size);

/** `name:action[:reason]` for each selected attachment, in order. */
function decide(
  attachments: AttachmentRef[],
  options: { repliedTo?: AttachmentRef[]; vision?: boolean; inlineImages?: boolean } = {},
): string[] {
  return selectAttachments({
    attachments,
    repliedTo: options.repliedTo ?? [],
    vision: options.vision ?? true,
    inlineImages: options.inlineImages ?? false,
  }).map(({ ref: { filename }, action, leftOut, fromReply }) =>
    [fromReply ? `reply/${filename}` : filename, action, ...(leftOut === null ? [] : [leftOut])].join(':'),
  );
}

describe('selectAttachments', () => {
  describe('when the model takes images', () => {
    it('shows the first 5 images and leaves out the rest', () => {
      const images = Array.from({ length: 7 }, (_, index) => image(`i${index}.png`));
      expect(decide(images)).toEqual([
        'i0.png:show',
        'i1.png:show',
        'i2.png:show',
        'i3.png:show',
        'i4.png:show',
        'i5.png:leave-out:too-many-images',
        'i6.png:leave-out:too-many-images',
      ]);
    });

    it('leaves out an image over 10 MB without counting it among the 5', () => {
      expect(
        decide([
          image('big.png', AttachmentLimits.imageBytes + 1),
          ...['a', 'b', 'c', 'd', 'e'].map((n) => image(`${n}.png`)),
        ]),
      ).toEqual([
        'big.png:leave-out:too-large',
        'a.png:show',
        'b.png:show',
        'c.png:show',
        'd.png:show',
        'e.png:show',
      ]);
    });

    it("counts the replied-to message's images after the message's own, within the same 5", () => {
      const own = ['a', 'b', 'c', 'd'].map((n) => image(`${n}.png`));
      expect(decide(own, { repliedTo: [image('r1.png'), text('r.txt'), image('r2.png')] })).toEqual([
        'a.png:show',
        'b.png:show',
        'c.png:show',
        'd.png:show',
        'reply/r1.png:show',
        'reply/r2.png:leave-out:too-many-images',
      ]);
    });

    it('leaves out images past 20 MB together when they go inline, not when the provider fetches them', () => {
      const images = [
        image('a.png', 9 * MB),
        image('b.png', 9 * MB),
        image('c.png', 3 * MB),
        image('d.png', 1 * MB),
      ];
      expect(decide(images, { inlineImages: true })).toEqual([
        'a.png:show',
        'b.png:show',
        'c.png:leave-out:too-much-image-data',
        'd.png:show',
      ]);
      expect(decide(images, { inlineImages: false })).toEqual([
        'a.png:show',
        'b.png:show',
        'c.png:show',
        'd.png:show',
      ]);
    });
  });

  describe('when the model takes no images', () => {
    it('names the images, whatever their number or size, and ignores the replied-to ones', () => {
      const images = Array.from({ length: 6 }, (_, index) => image(`i${index}.png`, 20 * MB));
      expect(decide(images, { vision: false, repliedTo: [image('r.png')] })).toEqual(
        images.map((item) => `${item.filename}:name`),
      );
    });
  });

  it('inlines text files up to 100 KB, 5 of them, for any model', () => {
    const files = [
      text('big.log', AttachmentLimits.textBytes + 1),
      ...Array.from({ length: 6 }, (_, index) => text(`f${index}.txt`)),
    ];
    expect(decide(files, { vision: false })).toEqual([
      'big.log:leave-out:too-large',
      'f0.txt:show',
      'f1.txt:show',
      'f2.txt:show',
      'f3.txt:show',
      'f4.txt:show',
      'f5.txt:leave-out:too-many-files',
    ]);
  });

  it('leaves out types no model reads, in order with the rest', () => {
    expect(decide([ref('clip.mp4', 'video/mp4'), image('a.png'), ref('doc.pdf', 'application/pdf')])).toEqual(
      ['clip.mp4:leave-out:unsupported-type', 'a.png:show', 'doc.pdf:leave-out:unsupported-type'],
    );
  });
});
