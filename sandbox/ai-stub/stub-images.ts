/** An image part the stub received, as far as it can tell without decoding it. */
export interface StubImage {
  /** `data`: inline bytes (a `data:` URL); `url`: a link the provider would have fetched. */
  readonly source: 'data' | 'url';
  /** The `data:` URL's media type; null for a link. */
  readonly mediaType: string | null;
  /** The decoded size of a `data:` URL; null for a link. */
  readonly bytes: number | null;
  /** Read from a PNG, GIF or JPEG header; null otherwise. */
  readonly width: number | null;
  readonly height: number | null;
  /** A link's last path segment (its file name); null for a `data:` URL. */
  readonly name: string | null;
}

const DATA_URL = /^data:([^;,]+)(?:;[^,]*)?;base64,(.*)$/s;

/** What the stub can tell of an `image_url` part's URL: a `data:` URL's type, size and dimensions, or a link's file name. */
export function readStubImage(url: string): StubImage {
  const data = DATA_URL.exec(url);
  if (data) {
    const bytes = Buffer.from(data[2]!, 'base64');
    const size = readImageSize(bytes);
    return {
      source: 'data',
      mediaType: data[1]!.toLowerCase(),
      bytes: bytes.length,
      width: size?.width ?? null,
      height: size?.height ?? null,
      name: null,
    };
  }
  let name: string | null = null;
  try {
    const segment = new URL(url).pathname.split('/').at(-1) ?? '';
    name = segment === '' ? null : decodeURIComponent(segment);
  } catch {
    name = null;
  }
  return { source: 'url', mediaType: null, bytes: null, width: null, height: null, name };
}

/** `image/png 64x64` for inline bytes (dimensions when readable), `cat.png (url)` for a link. */
export function describeStubImage(image: StubImage): string {
  if (image.source === 'url') return `${image.name ?? '?'} (url)`;
  const size = image.width === null || image.height === null ? '' : ` ${image.width}x${image.height}`;
  return `${image.mediaType ?? '?'}${size}`;
}

/** Width and height from a PNG (IHDR), GIF (logical screen) or baseline/progressive JPEG (SOF) header. */
function readImageSize(bytes: Buffer): { width: number; height: number } | null {
  if (
    bytes.length >= 24 &&
    bytes.readUInt32BE(0) === 0x89504e47 &&
    bytes.toString('latin1', 12, 16) === 'IHDR'
  )
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (bytes.length >= 10 && bytes.toString('latin1', 0, 4) === 'GIF8')
    return { width: bytes.readUInt16LE(6), height: bytes.readUInt16LE(8) };
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let offset = 2;
    while (offset + 9 <= bytes.length && bytes[offset] === 0xff) {
      const marker = bytes[offset + 1]!;
      // SOF0–SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame's size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { width: bytes.readUInt16BE(offset + 7), height: bytes.readUInt16BE(offset + 5) };
      offset += 2 + bytes.readUInt16BE(offset + 2);
    }
  }
  return null;
}
