import { describe, expect, it } from 'vitest';
import type { PromptAttachment } from '../../../src/context/index.js';
import { ReplyMessages } from '../../../src/replies/messages.js';

function item(
  filename: string,
  kind: PromptAttachment['kind'],
  leftOut?: PromptAttachment['leftOut'],
): PromptAttachment {
  return { kind, filename, fromReply: false, ...(leftOut === undefined ? {} : { leftOut }) };
}

describe('ReplyMessages.attachmentsLeftOut', () => {
  it.each<[string, PromptAttachment[], string | null]>([
    ['nothing left out', [item('cat.png', 'image'), item('a.txt', 'text')], null],
    [
      'an image over the cap and images past the first 5',
      [
        item('big.png', 'image', 'too-large'),
        item('f.png', 'image', 'too-many-images'),
        item('g.png', 'image', 'too-many-images'),
      ],
      "-# I couldn't look at `big.png` (over 10 MB) and only looked at the first 5 images (not `f.png` or `g.png`).",
    ],
    [
      'a text file over the cap, an unsupported type and a failed download',
      [
        item('log.txt', 'text', 'too-large'),
        item('clip.mp4', 'other', 'unsupported-type'),
        item('cat.png', 'image', 'unavailable'),
      ],
      "-# I couldn't look at `log.txt` (over 100 KB), `clip.mp4` (a file type I can't read) or `cat.png` (it couldn't be downloaded).",
    ],
    [
      'text files past the first 5',
      [item('f.txt', 'text', 'too-many-files')],
      '-# I only read the first 5 text files (not `f.txt`).',
    ],
    [
      'too many megabytes inline',
      [item('huge.png', 'image', 'too-much-image-data')],
      "-# I couldn't look at `huge.png` (more than 20 MB of images at once).",
    ],
  ])('%s', (_name, attachments, note) => {
    expect(ReplyMessages.attachmentsLeftOut(attachments)).toBe(note);
  });

  it('keeps names short and free of markdown', () => {
    const note = ReplyMessages.attachmentsLeftOut([
      item(`\`${'a'.repeat(100)}.mp4`, 'other', 'unsupported-type'),
    ]);
    expect(note).toBe(`-# I couldn't look at \`${'a'.repeat(59)}…\` (a file type I can't read).`);
  });
});
