import { describe, expect, it } from 'vitest';
import { DiscordHttpError } from '../../../sandbox/discord-errors.js';
import { parseRequestBody } from '../../../sandbox/parse-request-body.js';

async function multipart(form: FormData): Promise<{ contentType: string; raw: Buffer }> {
  const request = new Request('http://sandbox/', { method: 'POST', body: form });
  return {
    contentType: request.headers.get('content-type') ?? '',
    raw: Buffer.from(await request.arrayBuffer()),
  };
}

describe('parseRequestBody', () => {
  describe('when the body is JSON', () => {
    it('parses it', async () => {
      const parsed = await parseRequestBody('application/json', Buffer.from('{"content":"hi"}'));
      expect(parsed).toEqual({ json: { content: 'hi' }, files: [] });
    });

    it('answers 50109 to invalid JSON', async () => {
      const error = await parseRequestBody('application/json', Buffer.from('{nope')).catch(
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(DiscordHttpError);
      expect((error as DiscordHttpError).body.code).toBe(50109);
    });
  });

  describe('when the body is multipart', () => {
    it('takes the JSON from payload_json and the uploads from file parts', async () => {
      const form = new FormData();
      form.append('files[0]', new Blob(['hello'], { type: 'text/plain' }), 'hi.txt');
      form.append('payload_json', JSON.stringify({ content: 'with file', attachments: [{ id: 0 }] }));
      const { contentType, raw } = await multipart(form);
      const parsed = await parseRequestBody(contentType, raw);
      expect(parsed.json).toEqual({ content: 'with file', attachments: [{ id: 0 }] });
      expect(parsed.files).toMatchObject([
        { field: 'files[0]', filename: 'hi.txt', contentType: 'text/plain' },
      ]);
      expect(parsed.files[0]?.data.toString()).toBe('hello');
    });
  });

  describe('when there is no body', () => {
    it('gives undefined', async () => {
      expect(await parseRequestBody(undefined, Buffer.alloc(0))).toEqual({ json: undefined, files: [] });
    });
  });
});
