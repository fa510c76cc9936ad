import { describe, expect, it } from 'vitest';
import { createCapturedLogger } from '../../support/captured-logger.js';

const BOT_TOKEN = 'MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GAbcde.abcdefghijklmnopqrstuvwxyz0123';
const WEBHOOK_TOKEN = 'x'.repeat(68);

describe('createLogger', () => {
  it.each([
    ['a token field', { token: BOT_TOKEN }],
    ['a nested apiKey', { provider: { apiKey: 'sk-live-abcdefghijklmnop' } }],
    ['a bot token inside a message string', { detail: `login with ${BOT_TOKEN} failed` }],
    ['a webhook URL', { url: `https://discord.com/api/webhooks/123/${WEBHOOK_TOKEN}` }],
    ['an Authorization header as text', { header: 'Authorization: Bot abc.def.ghijklmnopqrstu' }],
    ['an OpenAI key', { detail: 'bad key sk-proj-abcdefghijklmn' }],
  ])('redacts %s', (_name, fields) => {
    const { logger, lines } = createCapturedLogger();
    logger.info(fields, 'something happened');
    const line = lines.join('');
    expect(line).toContain('[REDACTED]');
    expect(line).not.toMatch(/sk-(live|proj)-abc|GAbcde|x{40}|ghijklmnopqrstu/);
  });

  it('redacts secrets inside logged errors', () => {
    const { logger, lines } = createCapturedLogger();
    logger.error({ err: new Error(`POST /webhooks/1/${WEBHOOK_TOKEN} failed`) }, 'post failed');
    expect(lines.join('')).not.toContain(WEBHOOK_TOKEN);
  });

  it('keeps ordinary fields and stamps the service', () => {
    const { logger, lines } = createCapturedLogger();
    logger.child({ channelId: '42' }).info({ jobId: 'reply-1-2' }, 'posted');
    expect(JSON.parse(lines[0]!)).toMatchObject({
      service: 'test',
      channelId: '42',
      jobId: 'reply-1-2',
      msg: 'posted',
    });
  });
});
