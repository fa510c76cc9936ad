// Small real images for the sandbox, tests and the demo: a valid PNG of any size (one grey colour), and a GIF header.
import { crc32, deflateSync } from 'node:zlib';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/**
 * A valid 8-bit greyscale PNG of `width` × `height`, with `extraChunks` (text chunks of a character card, say)
 * before its end.
 */
export function buildPng(
  width: number,
  height: number,
  extraChunks: ReadonlyArray<{ readonly name: string; readonly data: Uint8Array }> = [],
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  const rows = Buffer.alloc((width + 1) * height, 0x80);
  for (let row = 0; row < height; row += 1) rows[row * (width + 1)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    ...extraChunks.map((extra) => chunk(extra.name, Buffer.from(extra.data))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first bytes of a GIF of `width` × `height` (enough for sniffing and reading its size). */
export function buildGifHeader(width: number, height: number): Buffer {
  const bytes = Buffer.alloc(13);
  bytes.write('GIF89a', 0, 'latin1');
  bytes.writeUInt16LE(width, 6);
  bytes.writeUInt16LE(height, 8);
  return bytes;
}
