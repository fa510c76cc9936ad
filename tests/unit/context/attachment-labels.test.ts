import { describe, expect, it } from 'vitest';
import {
  buildAttachmentLabel,
  buildAttachmentLines,
  buildAttachmentNames,
} from '../../../src/context/attachment-labels.js';
import type { AttachmentRef } from '../../../src/discord/index.js';

function ref(filename: string, contentType: string | null): AttachmentRef {
  return {
    id: '1',
    filename,
    contentType,
    size: 1,
    url: `https://cdn.discordapp.com/a/1/${filename}?ex=1&hm=2`,
  };
}

describe('buildAttachmentNames', () => {
  it('names the files as the history keeps them: by kind, never with a URL', () => {
    const names = buildAttachmentNames([
      ref('cat.png', 'image/png'),
      ref('notes.txt', 'text/plain'),
      ref('clip.mp4', 'video/mp4'),
    ]);
    expect(names).toEqual(['[image: cat.png]', '[file: notes.txt]', '[attachment: clip.mp4]']);
    expect(names.join('\n')).not.toContain('https://');
  });
});

describe('buildAttachmentLabel', () => {
  it('keeps a label on one line, without brackets of the name’s own, and at most 200 characters of name', () => {
    expect(buildAttachmentLabel('image', 'a]\n[image: b.png')).toBe('[image: a image: b.png]');
    expect(buildAttachmentLabel('text', `${'x'.repeat(300)}.txt`)).toBe(`[file: ${'x'.repeat(200)}]`);
  });
});

describe('buildAttachmentLines', () => {
  it('inlines a text file in a fence longer than any run of backticks in it, tagged with its extension', () => {
    expect(
      buildAttachmentLines([{ kind: 'text', filename: 'a.PY', fromReply: false, text: 'x = "````"' }]),
    ).toEqual(['[file: a.PY]\n`````py\nx = "````"\n`````']);
  });

  it('names a text file left out without its contents', () => {
    expect(
      buildAttachmentLines([{ kind: 'text', filename: 'big.log', fromReply: false, leftOut: 'too-large' }]),
    ).toEqual(['[file: big.log (not read)]']);
  });
});
