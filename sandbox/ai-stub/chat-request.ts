import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { buildInvalidRequestError } from './openai-wire.js';
import { readStubImage, type StubImage } from './stub-images.js';
import type { StubMessage } from './stub-reply.js';

const RECORDED_HEADERS = [
  'accept',
  'content-type',
  'user-agent',
  'x-stainless-retry-count',
  'x-stainless-timeout',
];
/** Room for a few images inline (base64 is 4/3 of an image's bytes). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

const ContentPartSchema = z.object({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.object({ url: z.string() }).optional(),
});
const ChatBodySchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.string().min(1),
        content: z.union([z.string(), z.array(ContentPartSchema), z.null()]).optional(),
      }),
    )
    .min(1),
  temperature: z.number().nullable().optional(),
  stream: z.boolean().nullable().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).nullable().optional(),
});

/** A `POST /v1/chat/completions` request, read and checked as OpenAI would. */
export interface ChatRequest {
  readonly model: string;
  readonly messages: StubMessage[];
  readonly temperature: number | null;
  readonly stream: boolean;
  /** `stream_options.include_usage`: a usage chunk ends the stream. */
  readonly includeUsage: boolean;
}

/**
 * Reads a chat completion request's body: the request, or OpenAI's 400 body for JSON it cannot parse or a body
 * it refuses. Throws when the body is larger than the stub accepts.
 */
export async function readChatRequest(
  request: IncomingMessage,
): Promise<{ readonly chat: ChatRequest } | { readonly invalid: unknown }> {
  const raw = await readBody(request);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { invalid: buildInvalidRequestError('We could not parse the JSON body of your request.', null) };
  }
  const parsed = ChatBodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') || null;
    return { invalid: buildInvalidRequestError(`Invalid request: ${issue?.message ?? 'bad body'}`, param) };
  }
  const body = parsed.data;
  return {
    chat: {
      model: body.model,
      messages: body.messages.map((message) => {
        const images = readImages(message.content);
        return {
          role: message.role,
          content: joinContent(message.content),
          ...(images.length === 0 ? {} : { images }),
        };
      }),
      temperature: body.temperature ?? null,
      stream: body.stream === true,
      includeUsage: body.stream_options?.include_usage === true,
    },
  };
}

/** First 12 hex characters of SHA-256: identifies a key in records and logs without revealing it. */
export function fingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 12);
}

export function readApiKey(request: IncomingMessage): string | null {
  const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  return match ? match[1]!.trim() : null;
}

/** A few diagnostic headers, for the request record (never `authorization`). */
export function pickHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of RECORDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  return headers;
}

function joinContent(
  content: string | ReadonlyArray<{ type: string; text?: string | undefined }> | null | undefined,
) {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => (part.type === 'text' ? (part.text ?? '') : '')).join('');
}

/** The `image_url` parts of a message's content, read as far as the stub can. */
function readImages(content: z.infer<typeof ChatBodySchema>['messages'][number]['content']): StubImage[] {
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) =>
    part.type === 'image_url' && part.image_url !== undefined ? [readStubImage(part.image_url.url)] : [],
  );
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
