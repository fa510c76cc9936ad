import { DiscordHttpError } from './discord-errors.js';
import type { UploadedFile } from './rest-router.js';

/** A request body as Discord reads it: the JSON payload and any uploaded files. */
export interface ParsedBody {
  readonly json: unknown;
  readonly files: UploadedFile[];
}

/** Discord's answer to a body that is not valid JSON. */
function invalidJson(): DiscordHttpError {
  return new DiscordHttpError(400, { message: 'The request body contains invalid JSON.', code: 50109 });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalidJson();
  }
}

/**
 * Parses a JSON or `multipart/form-data` body. In multipart bodies the JSON comes from `payload_json` (what
 * discord.js sends with files) or, failing that, from the plain form fields; file parts become uploads.
 * @see https://discord.com/developers/docs/reference#uploading-files
 */
export async function parseRequestBody(contentType: string | undefined, raw: Buffer): Promise<ParsedBody> {
  if (raw.length === 0) return { json: undefined, files: [] };
  const type = (contentType ?? '').toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    let form: FormData;
    try {
      form = await new Response(new Uint8Array(raw), {
        headers: { 'content-type': contentType ?? '' },
      }).formData();
    } catch {
      throw invalidJson();
    }
    const files: UploadedFile[] = [];
    const fields: Record<string, unknown> = {};
    let payloadJson: unknown;
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') payloadJson = parseJson(value);
        else fields[field] = value;
      } else {
        files.push({
          field,
          filename: value.name,
          contentType: value.type === '' ? null : value.type,
          data: Buffer.from(await value.arrayBuffer()),
        });
      }
    }
    return { json: payloadJson ?? fields, files };
  }
  return { json: parseJson(raw.toString('utf8')), files: [] };
}
