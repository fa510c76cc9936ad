import { type Dispatcher, request } from 'undici';
import { findMediaType, IMAGE_MEDIA_TYPES } from '../discord/index.js';

/**
 * What a reply may show a model of a message's attachments, in one place (docs/context.md, Attachments).
 * Images and text files past these are left out, and the reply says which.
 */
export const AttachmentLimits = {
  /** Images shown per reply: the message's own first, then those of the message it replies to. */
  imagesPerMessage: 5,
  /** Bytes of one image (Discord's size, then the download's). */
  imageBytes: 10 * 1024 * 1024,
  /** Text files inlined per message. */
  textFilesPerMessage: 5,
  /** Bytes of one text file. */
  textBytes: 100 * 1024,
  /**
   * Bytes of images sent inline (base64) in one reply, together. An image inline costs about four times its size
   * in worker memory while the request is built (the bytes, base64, the JSON body, the socket's copy): five 10 MB
   * images would hold some 250 MB of a worker's heap for one reply.
   */
  inlineImageBytesPerReply: 20 * 1024 * 1024,
} as const;

/** Why a download gave nothing. */
export type AttachmentDownloadRefusal =
  /** The URL's host (or scheme, or port) is not on the allowlist. */
  | 'host-not-allowed'
  /** The server redirected to another origin, or too many times. */
  | 'redirected'
  /** Over the cap (the declared length, or the bytes read). */
  | 'too-large'
  /** Not an image of an allowed format / not text. */
  | 'wrong-type'
  | 'timeout'
  /** An HTTP error or a network failure. */
  | 'failed'
  /** The caller's signal fired. */
  | 'cancelled';

/** A downloaded image. */
export interface FetchedImage {
  readonly ok: true;
  readonly bytes: Buffer;
  /** The format its bytes are (sniffed: png, jpeg, webp or gif), whatever the server called it. */
  readonly mediaType: string;
}

/** A downloaded text file, decoded. */
export interface FetchedText {
  readonly ok: true;
  readonly text: string;
}

export interface RefusedDownload {
  readonly ok: false;
  readonly refusal: AttachmentDownloadRefusal;
}

/** Options of {@link AttachmentFetcher}. */
export interface AttachmentFetcherOptions {
  /**
   * Hosts downloads may come from (`ATTACHMENT_HOSTS`): `host` allows `https://host` on the default port only;
   * `host:port` allows that port over https or plain http (the sandbox in tests).
   */
  readonly allowedHosts: readonly string[];
  /** Time limit of one download, headers and body together, ms. @defaultValue 10000 */
  readonly timeoutMs: number;
  /** Redirects followed, each within the same origin (never to another host). @defaultValue 2 */
  readonly maxRedirects: number;
  /** The undici dispatcher (tests pass a `MockAgent`); null = undici's global one. @defaultValue null */
  readonly dispatcher: Dispatcher | null;
}

export const DefaultAttachmentFetcherOptions = {
  timeoutMs: 10_000,
  maxRedirects: 2,
  dispatcher: null,
} as const satisfies Omit<Required<AttachmentFetcherOptions>, 'allowedHosts'>;

const USER_AGENT = 'chorus-attachment-fetcher/1';

interface AllowedHost {
  readonly hostname: string;
  /** null: https on its default port only. */
  readonly port: string | null;
}

/**
 * Downloads a message's attachments for the model, from allowlisted hosts only, so a reply can never be made
 * to fetch anything else (no SSRF): the URL's host must be on the list (https, or plain http for a `host:port`
 * entry), no credentials in the URL, redirects only within the same origin, a time limit, a size cap enforced
 * on the declared length and on the bytes read, and the bytes must be what was asked for (an image of an allowed
 * format, or UTF-8 text). Never throws: every failure is a {@link RefusedDownload}.
 */
export class AttachmentFetcher {
  readonly options: AttachmentFetcherOptions;
  private readonly hosts: readonly AllowedHost[];

  constructor(options: Pick<AttachmentFetcherOptions, 'allowedHosts'> & Partial<AttachmentFetcherOptions>) {
    this.options = { ...DefaultAttachmentFetcherOptions, ...options };
    this.hosts = this.options.allowedHosts.map(parseAllowedHost);
  }

  /** Whether `url` may be downloaded (or handed to a provider to fetch): its host, scheme and port allowed. */
  isAllowed(url: string | URL): boolean {
    let parsed: URL;
    try {
      parsed = typeof url === 'string' ? new URL(url) : url;
    } catch {
      return false;
    }
    if (parsed.username !== '' || parsed.password !== '') return false;
    const https = parsed.protocol === 'https:';
    if (!https && parsed.protocol !== 'http:') return false;
    return this.hosts.some((host) =>
      host.port === null
        ? https && parsed.port === '' && parsed.hostname === host.hostname
        : parsed.port === host.port && parsed.hostname === host.hostname,
    );
  }

  /** An image of an allowed format, at most {@link AttachmentLimits.imageBytes}. */
  async fetchImage(url: string, signal?: AbortSignal): Promise<FetchedImage | RefusedDownload> {
    const download = await this.download(url, AttachmentLimits.imageBytes, signal);
    if (!download.ok) return download;
    if (!IMAGE_MEDIA_TYPES.has(findMediaType(download.contentType) ?? ''))
      return { ok: false, refusal: 'wrong-type' };
    const mediaType = sniffImageType(download.bytes);
    if (mediaType === null) return { ok: false, refusal: 'wrong-type' };
    return { ok: true, bytes: download.bytes, mediaType };
  }

  /** A text file (valid UTF-8 without NUL bytes, whatever its media type), at most {@link AttachmentLimits.textBytes}. */
  async fetchText(url: string, signal?: AbortSignal): Promise<FetchedText | RefusedDownload> {
    const download = await this.download(url, AttachmentLimits.textBytes, signal);
    if (!download.ok) return download;
    const text = decodeText(download.bytes);
    return text === null ? { ok: false, refusal: 'wrong-type' } : { ok: true, text };
  }

  /** Any file's bytes, at most `maxBytes` (a character card: its parser checks what they are). */
  async fetchFile(
    url: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<{ ok: true; bytes: Buffer } | RefusedDownload> {
    const download = await this.download(url, maxBytes, signal);
    return download.ok ? { ok: true, bytes: download.bytes } : download;
  }

  private async download(
    url: string,
    maxBytes: number,
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; bytes: Buffer; contentType: string | null } | RefusedDownload> {
    let current: URL;
    try {
      current = new URL(url);
    } catch {
      return { ok: false, refusal: 'host-not-allowed' };
    }
    if (!this.isAllowed(current)) return { ok: false, refusal: 'host-not-allowed' };
    if (signal?.aborted) return { ok: false, refusal: 'cancelled' };
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    const refuse = (fallback: AttachmentDownloadRefusal): RefusedDownload => ({
      ok: false,
      refusal: signal?.aborted ? 'cancelled' : timeout.aborted ? 'timeout' : fallback,
    });
    for (let redirects = 0; ; redirects += 1) {
      let response: Dispatcher.ResponseData;
      try {
        response = await request(current, {
          method: 'GET',
          headers: { 'user-agent': USER_AGENT, accept: '*/*', 'accept-encoding': 'identity' },
          signal: combined,
          ...(this.options.dispatcher === null ? {} : { dispatcher: this.options.dispatcher }),
        });
      } catch {
        return refuse('failed');
      }
      const { statusCode, headers, body } = response;
      if (statusCode >= 300 && statusCode < 400) {
        body.destroy();
        const location = readHeader(headers, 'location');
        const next = location === null ? null : resolveUrl(location, current);
        // Only within the origin: a redirect elsewhere could point anywhere, the allowlist's own hosts included.
        if (next === null || next.origin !== current.origin || redirects >= this.options.maxRedirects)
          return { ok: false, refusal: 'redirected' };
        current = next;
        continue;
      }
      if (statusCode !== 200) {
        body.destroy();
        return refuse('failed');
      }
      const declared = Number(readHeader(headers, 'content-length') ?? Number.NaN);
      if (declared > maxBytes) {
        body.destroy();
        return { ok: false, refusal: 'too-large' };
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of body) {
          size += (chunk as Buffer).length;
          if (size > maxBytes) {
            body.destroy();
            return { ok: false, refusal: 'too-large' };
          }
          chunks.push(chunk as Buffer);
        }
      } catch {
        return refuse('failed');
      }
      return {
        ok: true,
        bytes: Buffer.concat(chunks, size),
        contentType: readHeader(headers, 'content-type'),
      };
    }
  }
}

/** A `data:` URL of an image, for a provider that does not fetch URLs. */
export function buildImageDataUrl(image: Pick<FetchedImage, 'bytes' | 'mediaType'>): string {
  return `data:${image.mediaType};base64,${image.bytes.toString('base64')}`;
}

/** The format of an image from its first bytes (its "magic number"); null when not png, jpeg, webp or gif. */
export function sniffImageType(bytes: Buffer): string | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.length >= 6 && /^GIF8[79]a$/.test(bytes.subarray(0, 6).toString('latin1'))) return 'image/gif';
  if (
    bytes.length >= 12 &&
    bytes.subarray(0, 4).toString('latin1') === 'RIFF' &&
    bytes.subarray(8, 12).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return null;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** UTF-8 text without its BOM, or null for bytes that are not text (invalid UTF-8, or a NUL byte). */
function decodeText(bytes: Buffer): string | null {
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return null;
  }
}

function parseAllowedHost(entry: string): AllowedHost {
  const colon = entry.lastIndexOf(':');
  if (colon < 0) return { hostname: entry.toLowerCase(), port: null };
  return { hostname: entry.slice(0, colon).toLowerCase(), port: entry.slice(colon + 1) };
}

function readHeader(headers: Dispatcher.ResponseData['headers'], name: string): string | null {
  const value = headers[name];
  if (Array.isArray(value)) return value[0] ?? null;
  return value ?? null;
}

function resolveUrl(location: string, base: URL): URL | null {
  try {
    return new URL(location, base);
  } catch {
    return null;
  }
}
