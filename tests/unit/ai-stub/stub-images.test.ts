import { describe, expect, it } from 'vitest';
import { describeStubImage, readStubImage } from '../../../sandbox/ai-stub/stub-images.js';
import { buildGifHeader, buildPng } from '../../../sandbox/sample-images.js';

const dataUrl = (type: string, bytes: Buffer) => `data:${type};base64,${bytes.toString('base64')}`;

/** A JPEG's opening: SOI, an APP0 segment, then SOF0 with its height and width. */
function jpegHeader(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x04, 0x00, 0x00]);
  const sof = Buffer.from([
    0xff,
    0xc0,
    0x00,
    0x0b,
    0x08,
    height >> 8,
    height & 0xff,
    width >> 8,
    width & 0xff,
    0x01,
    0x00,
  ]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof]);
}

describe('readStubImage', () => {
  it.each([
    ['png', dataUrl('image/png', buildPng(64, 64)), 'image/png 64x64'],
    ['gif', dataUrl('image/gif', buildGifHeader(3, 7)), 'image/gif 3x7'],
    ['jpeg', dataUrl('image/jpeg', jpegHeader(640, 480)), 'image/jpeg 640x480'],
    ['webp (no dimensions read)', dataUrl('image/webp', Buffer.from('RIFF0000WEBP')), 'image/webp'],
    ['a link', 'http://127.0.0.1:4000/attachments/1/2/cat.png', 'cat.png (url)'],
  ])('describes %s', (_name, url, description) => {
    expect(describeStubImage(readStubImage(url))).toBe(description);
  });
});
