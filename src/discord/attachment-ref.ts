import { z } from 'zod';
import { DiscordLimits } from './discord-limits.js';

/**
 * A file attached to a Discord message, as data: what the gateway saw and a reply job carries, so the worker can
 * name it, show it to a model or read it. The URLs are Discord's CDN links, signed and valid for about a day:
 * they travel with the job, never into anything kept (the channel window and the history name files only).
 * @see https://discord.com/developers/docs/resources/message#attachment-object
 */
export const AttachmentRefSchema = z.object({
  id: z.string().regex(/^\d{1,20}$/),
  filename: z.string().min(1).max(1024),
  /** The media type Discord guessed from the upload; null when it gave none. */
  contentType: z.string().max(255).nullable(),
  /** Bytes, as Discord reports them (checked again when downloaded). */
  size: z.number().int().min(0),
  url: z.string().max(4096),
  proxyUrl: z.string().max(4096).optional(),
  /** Images only. */
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
});
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

/** A message's attachments as a job carries them: at most Discord's 10 per message. */
export const AttachmentRefListSchema = z.array(AttachmentRefSchema).max(DiscordLimits.attachmentsPerMessage);

/** The fields of a discord.js `Attachment` this reads (kept structural: `src/discord` imports no client). */
export interface ClientAttachment {
  readonly id: string;
  readonly name: string;
  readonly contentType: string | null;
  readonly size: number;
  readonly url: string;
  readonly proxyURL: string;
  readonly width: number | null;
  readonly height: number | null;
}

/** A discord.js message's attachments (`message.attachments.values()`), as data; at most 10. */
export function buildAttachmentRefs(attachments: Iterable<ClientAttachment>): AttachmentRef[] {
  const refs: AttachmentRef[] = [];
  for (const attachment of attachments) {
    if (refs.length >= DiscordLimits.attachmentsPerMessage) break;
    const parsed = AttachmentRefSchema.safeParse({
      id: attachment.id,
      filename: attachment.name,
      contentType: attachment.contentType ?? null,
      size: attachment.size,
      url: attachment.url,
      proxyUrl: attachment.proxyURL,
      ...(attachment.width === null ? {} : { width: attachment.width }),
      ...(attachment.height === null ? {} : { height: attachment.height }),
    });
    if (parsed.success) refs.push(parsed.data);
  }
  return refs;
}

/**
 * The attachments of a raw API message object (a gateway packet's `referenced_message`, say), as data; entries
 * that are not attachment objects are skipped. At most 10.
 */
export function parseApiAttachments(raw: unknown): AttachmentRef[] {
  if (!Array.isArray(raw)) return [];
  const refs: AttachmentRef[] = [];
  for (const entry of raw) {
    if (refs.length >= DiscordLimits.attachmentsPerMessage) break;
    if (typeof entry !== 'object' || entry === null) continue;
    const api = entry as Record<string, unknown>;
    const parsed = AttachmentRefSchema.safeParse({
      id: api['id'],
      filename: api['filename'],
      contentType: api['content_type'] ?? null,
      size: api['size'],
      url: api['url'],
      ...(typeof api['proxy_url'] === 'string' ? { proxyUrl: api['proxy_url'] } : {}),
      ...(typeof api['width'] === 'number' ? { width: api['width'] } : {}),
      ...(typeof api['height'] === 'number' ? { height: api['height'] } : {}),
    });
    if (parsed.success) refs.push(parsed.data);
  }
  return refs;
}

/** What an attachment is to a model: an image it may be shown, a text file it may read, or neither. */
export type AttachmentKind = 'image' | 'text' | 'other';

/** The image formats vision models take (OpenAI's list, which OpenAI-compatible servers follow). */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/gif',
]);

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['png', 'jpg', 'jpeg', 'webp', 'gif']);

/** Media types of text besides `text/*` (and `+json`, `+xml` suffixes). */
const TEXT_MEDIA_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'application/x-ndjson',
  'application/xml',
  'application/javascript',
  'application/x-javascript',
  'application/typescript',
  'application/x-typescript',
  'application/x-sh',
  'application/x-python',
  'application/x-yaml',
  'application/yaml',
  'application/toml',
  'application/sql',
  'application/graphql',
  'application/x-httpd-php',
]);

/**
 * Extensions of text and code files. They decide even against the media type: Discord types a `.ts` file as
 * `video/mp2t` (MPEG transport stream) and many code files as `application/octet-stream`; the download checks
 * that the bytes are text.
 */
const TEXT_EXTENSIONS: ReadonlySet<string> = new Set(
  (
    'txt md markdown rst log csv tsv json jsonc json5 ndjson yaml yml toml ini cfg conf properties xml html htm ' +
    'css scss sass less js mjs cjs jsx ts mts cts tsx vue svelte py pyi rb rs go java kt kts scala groovy gradle ' +
    'c h cc cpp cxx hpp hh cs fs swift m mm php pl pm lua r jl dart ex exs erl hrl hs clj cljs elm zig nim ml ' +
    'sh bash zsh fish ps1 bat cmd sql graphql gql proto tf hcl nix diff patch tex bib srt vtt env dockerfile'
  ).split(' '),
);

/** `image/PNG; charset=…` → `image/png`; null stays null. */
export function findMediaType(contentType: string | null): string | null {
  if (contentType === null) return null;
  const base = contentType.split(';')[0]!.trim().toLowerCase();
  return base === '' ? null : base;
}

function findExtension(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot < 0 ? filename.toLowerCase() : filename.slice(dot + 1).toLowerCase();
}

/**
 * Whether an attachment is an image a vision model takes (png, jpeg, webp, gif: by media type, or by extension
 * when Discord gave none), a text file (`text/*`, json, xml and code types, or a text or code extension), or
 * neither (video, audio, archives, PDFs, other image formats).
 */
export function classifyAttachment(ref: Pick<AttachmentRef, 'filename' | 'contentType'>): AttachmentKind {
  const mediaType = findMediaType(ref.contentType);
  const extension = findExtension(ref.filename);
  if (mediaType === null ? IMAGE_EXTENSIONS.has(extension) : IMAGE_MEDIA_TYPES.has(mediaType)) return 'image';
  if (TEXT_EXTENSIONS.has(extension)) return 'text';
  if (mediaType === null) return 'other';
  if (
    mediaType.startsWith('text/') ||
    TEXT_MEDIA_TYPES.has(mediaType) ||
    mediaType.endsWith('+json') ||
    mediaType.endsWith('+xml')
  )
    return 'text';
  return 'other';
}
