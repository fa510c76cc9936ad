import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** The Debian package's Chromium: playwright-core drives it and never downloads a browser of its own. */
const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags for a quiet, sandboxed-container run: no GPU, no background fetches, no first-run UI. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile, deleted when disposed. */
export interface ChromiumSession extends AsyncDisposable {
  readonly context: BrowserContext;
}

/** Starts the system Chromium with a fresh user-data-dir (the playground screenshot and the browser tests). */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<ChromiumSession> {
  const profile = await mkdtemp(join(tmpdir(), 'chorus-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async [Symbol.asyncDispose]() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
