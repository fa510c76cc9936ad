/**
 * The playground page in a real browser (the system Chromium through playwright-core) against the whole
 * system: sandbox, AI stub, a gateway and a worker process, real Redis.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChromiumSession, launchChromium } from '../../playground/chromium.js';
import { type Playground, startPlayground } from '../../playground/server/start-playground.js';
import { FULL_V2_CARD } from '../support/character-card.js';
import { createTestPrefix, TEST_REDIS_URL } from '../support/redis.js';

const REPLY_TIMEOUT_MS = 20_000;
/** What `!long 1500` shows once streamed, give or take the whitespace markdown folds. */
const STREAMED_LENGTH = 1400;

describe('the playground page', () => {
  let playground: Playground;
  let browser: ChromiumSession;
  let page: Page;

  async function openPage(): Promise<Page> {
    const opened = await browser.context.newPage();
    await opened.goto(playground.url);
    await opened.waitForSelector('body[data-live="true"]');
    return opened;
  }

  async function openChannel(target: Page, name: string): Promise<void> {
    await target.click(`.channel[data-channel-name="${name}"]`);
    await target.waitForSelector(`.channel.active[data-channel-name="${name}"]`);
  }

  async function say(target: Page, text: string): Promise<void> {
    await target.fill('#composer-input', text);
    await target.press('#composer-input', 'Enter');
  }

  beforeAll(async () => {
    playground = await startPlayground({
      redisUrl: TEST_REDIS_URL,
      prefix: createTestPrefix(),
      server: { port: 0 },
    });
    browser = await launchChromium();
    page = await openPage();
  });

  afterAll(async () => {
    await browser?.[Symbol.asyncDispose]();
    await playground?.close();
  });

  it('loads the server: channels, a thread and the DMs, people to type as', async () => {
    const channels = await page.locator('.channel').allTextContents();
    expect(channels).toEqual(expect.arrayContaining(['# general', '↳ book club', '# studio', '@ Chorus']));
    // Only the viewer's own DM with the bot is listed.
    expect(await page.locator('.channel.kind-dm').count()).toBe(1);
    expect(await page.locator('#viewer option').allTextContents()).toEqual(['Maya', 'Sam', 'Lee']);
    expect(playground.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/u);
  });

  it('shows Alice’s reply to "@Alice hi" under her name with the APP tag', async () => {
    await say(page, '@Alice hi');
    const reply = page.locator('article[data-author="Alice"]').last();
    await reply.waitFor({ timeout: REPLY_TIMEOUT_MS });
    expect(await reply.locator('.author').textContent()).toBe('Alice');
    expect(await reply.locator('.app-tag').textContent()).toBe('APP');
    // Offline the avatar URL does not load: the initials stand in.
    expect(await reply.locator('.avatar').getAttribute('data-initials')).toBe('A');
    await expect.poll(() => reply.locator('.content').textContent()).toContain('You are Alice');
  });

  it('replies to a message from the composer, quoting it', async () => {
    const alice = page.locator('article[data-author="Alice"]').last();
    await alice.hover();
    await alice.locator('.reply-button').click();
    expect(await page.locator('#reply-bar').textContent()).toContain('Replying to Alice');
    await say(page, 'tell me more');
    const mine = page.locator('article[data-author="Maya"]', { hasText: 'tell me more' });
    await mine.waitFor();
    expect(await mine.locator('.reply-quote .reply-author').textContent()).toBe('@Alice');
    expect(await page.locator('#reply-bar').isHidden()).toBe(true);
    // Replying to a personality's message is addressing it: Alice answers without a mention.
    await page.locator('article[data-author="Alice"]').nth(1).waitFor({ timeout: REPLY_TIMEOUT_MS });
  });

  it('shows the bot typing while a slow answer is on its way, until it is posted', async () => {
    await openChannel(page, 'book club');
    playground.cluster.aiStub.setBehaviour({ latency: 3000 });
    try {
      await say(page, '@Dr Who are you there?');
      // Chorus types only for answers that take more than a second.
      await expect
        .poll(() => page.locator('#typing').textContent(), { timeout: REPLY_TIMEOUT_MS })
        .toBe('Chorus is typing…');
      await page.locator('article[data-author="Dr Who"]').waitFor({ timeout: REPLY_TIMEOUT_MS });
      await expect.poll(() => page.locator('#typing').textContent(), { timeout: REPLY_TIMEOUT_MS }).toBe('');
    } finally {
      playground.cluster.aiStub.resetBehaviour();
    }
  });

  it('talks with a personality in a DM, where the bot itself answers for it', async () => {
    await openChannel(page, 'Chorus');
    await say(page, '@Alice are we alone?');
    const reply = page.locator('article[data-author="Chorus"]', { hasText: 'Alice:' });
    await reply.waitFor({ timeout: REPLY_TIMEOUT_MS });
    expect(await reply.locator('.app-tag').textContent()).toBe('APP');
  });

  it('grows a streamed reply in place', async () => {
    await openChannel(page, 'studio');
    playground.cluster.aiStub.setBehaviour({ chunkDelayMs: 60 });
    try {
      await say(page, '@Alice !long 1500');
      const reply = page.locator('article[data-author="Alice"]');
      await reply.waitFor({ timeout: REPLY_TIMEOUT_MS });
      const id = await reply.getAttribute('data-id');
      const lengths: number[] = [];
      await expect
        .poll(
          async () => {
            lengths.push((await reply.locator('.content').textContent())?.length ?? 0);
            return lengths.at(-1);
          },
          { timeout: REPLY_TIMEOUT_MS, interval: 100 },
        )
        .toBeGreaterThanOrEqual(STREAMED_LENGTH);
      // One message, edited as the text grew: its length went up at least once, the element kept its id.
      expect(new Set(lengths).size).toBeGreaterThan(1);
      expect(await page.locator('article[data-author="Alice"]').count()).toBe(1);
      expect(await reply.getAttribute('data-id')).toBe(id);
      expect(Number(await reply.getAttribute('data-edits'))).toBeGreaterThan(0);
    } finally {
      playground.cluster.aiStub.resetBehaviour();
    }
  });

  it('creates a personality with /personality create from the editor, which then answers', async () => {
    await openChannel(page, 'lounge');
    await page.click('#open-editor');
    await page.fill('.personality-form [name="name"]', 'Nova');
    await page.fill('.personality-form [name="prompt"]', 'You are Nova, an astronomer.');
    await page.click('.personality-form button[type="submit"]');
    await expect
      .poll(() => page.locator('.personality-editor .panel-status').textContent())
      .toMatch(/^Created/u);
    // The command's answer is in the channel too, as an ephemeral message.
    await page.locator('article.ephemeral', { hasText: 'Created Nova' }).waitFor();
    await say(page, '@Nova which star is brightest?');
    const reply = page.locator('article[data-author="Nova"]');
    await reply.waitFor({ timeout: REPLY_TIMEOUT_MS });
    await expect
      .poll(() => reply.locator('.content').textContent())
      .toContain('You are Nova, an astronomer.');
    await page.click('#open-editor');
  });

  it('edits a personality with /personality edit, picked from the bot’s suggestions', async () => {
    await page.click('#open-editor');
    await page.selectOption('.personality-form [name="mode"]', 'edit');
    await page.fill('.personality-form [name="name"]', 'Ali');
    // The bot's autocomplete answers with labels and the personality's id as the value, as on Discord.
    const suggestion = page.locator('.personality-form datalist option', { hasText: 'Alice' });
    await suggestion.waitFor({ state: 'attached' });
    await page.fill('.personality-form [name="name"]', (await suggestion.getAttribute('value')) ?? '');
    await page.fill('.personality-form [name="prompt"]', 'You are Pirate Alice.');
    await page.click('.personality-form button[type="submit"]');
    await expect
      .poll(() => page.locator('.personality-editor .panel-status').textContent())
      .toMatch(/^Updated/u);
    await page.click('#open-editor');
    await say(page, '@Alice ahoy?');
    await page
      .locator('article[data-author="Alice"]', { hasText: 'You are Pirate Alice.' })
      .waitFor({ timeout: REPLY_TIMEOUT_MS });
  });

  it('imports a character card with /personality import, the file chosen in the palette', async () => {
    await page.click('#open-commands');
    await page.fill('.palette-filter', 'personality import');
    await page.locator('.palette-entry', { hasText: '/personality import' }).click();
    await page.setInputFiles('.palette-form input[type="file"]', {
      name: 'seraphina.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(FULL_V2_CARD)),
    });
    await page.click('.palette-form button[type="submit"]');
    await expect
      .poll(() => page.locator('.command-palette .panel-status').textContent())
      .toMatch(/^Imported \*\*Seraphina\*\*/u);
    await page.click('#open-commands');
  });

  it('removes a personality with /personality remove and its confirm button', async () => {
    await page.click('#open-commands');
    await page.fill('.palette-filter', 'personality remove');
    await page.locator('.palette-entry', { hasText: '/personality remove' }).click();
    await page.fill('.palette-form [name="name"]', 'Seraphina');
    await page.click('.palette-form button[type="submit"]');
    await page.click('#open-commands');
    const confirm = page.locator('article.ephemeral .component-button.style-4').last();
    await confirm.waitFor();
    await confirm.click();
    await page.locator('article.ephemeral', { hasText: 'Deleted Seraphina' }).waitFor();
  });

  it('deletes a reply with the Delete reply app command, live on the page', async () => {
    await openChannel(page, 'studio');
    const reply = page.locator('article[data-author="Alice"]');
    await reply.hover();
    await reply.locator('.app-command-button[data-command="Delete reply"]').click();
    await reply.waitFor({ state: 'detached', timeout: REPLY_TIMEOUT_MS });
  });

  it('shows the prompt the AI received and each step’s timing in the inspector', async () => {
    await openChannel(page, 'general');
    await page.check('#inspect-toggle');
    await page.locator('article[data-author="Alice"] .inspect-button').first().click();
    const inspector = page.locator('.inspector');
    await expect.poll(() => inspector.locator('.prompt').textContent()).toContain('You are Alice');
    expect(await inspector.locator('.timings li').count()).toBe(4);
    expect(await inspector.locator('[data-step="posted"] .at').textContent()).toMatch(/^\+\d+ ms$/u);
    await page.uncheck('#inspect-toggle');
  });

  it('shows a second page the same messages live, and ephemeral answers only to their user', async () => {
    const second = await openPage();
    try {
      await second.selectOption('#viewer', { label: 'Sam' });
      await second.waitForSelector('body[data-live="true"]');
      expect(await second.locator('#viewer').inputValue()).toBe(playground.world.people[1]?.id);
      await say(page, 'hello from the first page');
      await second.locator('article[data-author="Maya"]', { hasText: 'hello from the first page' }).waitFor();
      // Maya runs /help: Discord answers it ephemerally, so Sam's page must not show it.
      await page.click('#open-commands');
      await page.fill('.palette-filter', 'help');
      await page.locator('.palette-entry', { hasText: '/help' }).click();
      await page.click('.palette-form button[type="submit"]');
      const helpAnswer = page.locator('article.ephemeral').last();
      await expect.poll(() => helpAnswer.locator('.command-line').textContent()).toBe('Maya used a command');
      await say(page, 'and after the command');
      await second.locator('article', { hasText: 'and after the command' }).waitFor();
      // Sam sees his own ephemeral answer (his /personality create at start), none of Maya's.
      expect(await second.locator('article.ephemeral', { hasText: 'Sam used a command' }).count()).toBe(1);
      expect(await second.locator('article', { hasText: 'Maya used a command' }).count()).toBe(0);
    } finally {
      await second.close();
    }
  });
});
