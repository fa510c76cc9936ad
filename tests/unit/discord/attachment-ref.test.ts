import { describe, expect, it } from 'vitest';
import {
  buildAttachmentRefs,
  type ClientAttachment,
  classifyAttachment,
  parseApiAttachments,
} from '../../../src/discord/attachment-ref.js';

describe('classifyAttachment', () => {
  it.each([
    ['cat.png', 'image/png', 'image'],
    ['photo.JPG', 'image/jpeg', 'image'],
    ['anim.gif', 'image/gif', 'image'],
    ['pic.webp', 'image/webp', 'image'],
    ['noType.png', null, 'image'],
    ['scan.bmp', 'image/bmp', 'other'],
    // SVG is XML: a model reads it as text.
    ['vector.svg', 'image/svg+xml', 'text'],
    ['photo.heic', 'image/heic', 'other'],
    ['notes.txt', 'text/plain; charset=utf-8', 'text'],
    ['data.json', 'application/json', 'text'],
    ['feed.atom', 'application/atom+xml', 'text'],
    // Discord types TypeScript as an MPEG transport stream, and much code as octet-stream: the extension decides.
    ['main.ts', 'video/mp2t', 'text'],
    ['script.py', 'application/octet-stream', 'text'],
    ['Dockerfile', null, 'text'],
    ['clip.mp4', 'video/mp4', 'other'],
    ['report.pdf', 'application/pdf', 'other'],
    ['archive.zip', 'application/zip', 'other'],
    ['mystery', null, 'other'],
  ])('%s (%s) is %s', (filename, contentType, kind) => {
    expect(classifyAttachment({ filename, contentType })).toBe(kind);
  });
});

function clientAttachment(index: number, overrides: Partial<ClientAttachment> = {}): ClientAttachment {
  return {
    id: String(1000 + index),
    name: `file${index}.png`,
    contentType: 'image/png',
    size: 10,
    url: `https://cdn.discordapp.com/attachments/1/${1000 + index}/file${index}.png`,
    proxyURL: `https://media.discordapp.net/attachments/1/${1000 + index}/file${index}.png`,
    width: 64,
    height: 32,
    ...overrides,
  };
}

describe('buildAttachmentRefs', () => {
  it('keeps the fields a job carries, and at most 10', () => {
    const refs = buildAttachmentRefs(Array.from({ length: 12 }, (_, index) => clientAttachment(index)));
    expect(refs).toHaveLength(10);
    expect(refs[0]).toEqual({
      id: '1000',
      filename: 'file0.png',
      contentType: 'image/png',
      size: 10,
      url: 'https://cdn.discordapp.com/attachments/1/1000/file0.png',
      proxyUrl: 'https://media.discordapp.net/attachments/1/1000/file0.png',
      width: 64,
      height: 32,
    });
  });

  it('leaves out the dimensions of a file that is not an image', () => {
    const [ref] = buildAttachmentRefs([
      clientAttachment(0, { name: 'a.txt', contentType: null, width: null, height: null }),
    ]);
    expect(ref).not.toHaveProperty('width');
    expect(ref).toMatchObject({ filename: 'a.txt', contentType: null });
  });
});

describe('parseApiAttachments', () => {
  it('reads attachment objects as the API sends them, skipping anything else', () => {
    expect(
      parseApiAttachments([
        {
          id: '42',
          filename: 'cat.png',
          size: 5,
          url: 'https://cdn.discordapp.com/a/cat.png',
          proxy_url: 'https://media.discordapp.net/a/cat.png',
          content_type: 'image/png',
          width: 8,
          height: 8,
        },
        { id: '43', filename: 'notes.txt', size: 3, url: 'https://cdn.discordapp.com/a/notes.txt' },
        { id: 'x' },
        null,
      ]),
    ).toEqual([
      {
        id: '42',
        filename: 'cat.png',
        contentType: 'image/png',
        size: 5,
        url: 'https://cdn.discordapp.com/a/cat.png',
        proxyUrl: 'https://media.discordapp.net/a/cat.png',
        width: 8,
        height: 8,
      },
      {
        id: '43',
        filename: 'notes.txt',
        contentType: null,
        size: 3,
        url: 'https://cdn.discordapp.com/a/notes.txt',
      },
    ]);
    expect(parseApiAttachments(undefined)).toEqual([]);
  });
});
