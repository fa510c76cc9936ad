/**
 * `npm run playground:screenshot`: starts the playground, plays a short scene in the system Chromium and writes
 * docs/playground.png (the README's picture).
 */
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.js';
import { startPlayground } from './server/start-playground.js';

const OUTPUT = fileURLToPath(new URL('../docs/playground.png', import.meta.url));
const REPLY_TIMEOUT_MS = 20_000;
const STREAM_SETTLE_MS = 3000;

async function main(): Promise<void> {
  await using playground = await startPlayground({
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    prefix: `playground-shot-${process.pid}`,
    server: { port: 0 },
  });
  await using browser = await launchChromium({ width: 1360, height: 820 });
  const page = await browser.context.newPage();
  await page.goto(playground.url);
  await page.waitForSelector('body[data-live="true"]');
  const say = async (text: string) => {
    await page.fill('#composer-input', text);
    await page.press('#composer-input', 'Enter');
  };
  await say('@Alice hi! Could you suggest a **puzzle** book? ||no spoilers||');
  await page.waitForSelector('article[data-author="Alice"]', { timeout: REPLY_TIMEOUT_MS });
  await page.hover('article[data-author="Alice"]');
  await page.click('article[data-author="Alice"] .reply-button');
  await say('Thanks! And something with `code` in it?\n```ts\nconst answer = 42;\n```');
  await page.locator('article[data-author="Alice"]').nth(1).waitFor({ timeout: REPLY_TIMEOUT_MS });
  // Let the streamed answer finish writing before the picture.
  await page.waitForTimeout(STREAM_SETTLE_MS);
  await page.check('#inspect-toggle');
  await page.click('article[data-author="Alice"] .inspect-button');
  await page.waitForSelector('.inspector .timings', { timeout: REPLY_TIMEOUT_MS });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: OUTPUT });
  console.log(`wrote ${OUTPUT}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('playground screenshot failed:', error);
    process.exit(1);
  },
);
