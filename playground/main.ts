/**
 * `npm run playground`: the whole system on this machine (Discord sandbox, AI stub or a real provider, gateway,
 * worker) behind a local web page that looks like a Discord channel. A development tool: loopback only.
 */
import { z } from 'zod';
import { DefaultPlaygroundServerOptions } from './server/playground-server.js';
import { startPlayground } from './server/start-playground.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/** `PLAYGROUND_PORT`: the page's port on 127.0.0.1. */
const PortSchema = z.coerce.number().int().min(0).max(65_535).default(DefaultPlaygroundServerOptions.port);
/** Variables that point the playground at a real AI provider instead of the stub. */
const PROVIDER_VARIABLES = ['AI_BASE_URL', 'AI_API_KEY', 'AI_MODEL', 'AI_PROVIDERS'] as const;

async function main(): Promise<void> {
  const env = Object.fromEntries(
    PROVIDER_VARIABLES.flatMap((name) => {
      const value = process.env[name];
      return value === undefined || value === '' ? [] : [[name, value]];
    }),
  );
  if (env['AI_BASE_URL'] !== undefined && env['AI_MODEL'] === undefined) {
    // The stub's model name would otherwise be sent to the real provider.
    throw new Error('AI_BASE_URL is set: set AI_MODEL too, to a model your provider serves');
  }
  const playground = await startPlayground({
    redisUrl: REDIS_URL,
    prefix: `playground-${process.pid}`,
    server: { port: PortSchema.parse(process.env['PLAYGROUND_PORT'] || undefined) },
    env,
    logs: process.env['PLAYGROUND_LOGS'] === 'inherit' ? 'inherit' : 'keep',
  });
  const ai = (env['AI_BASE_URL'] ?? env['AI_PROVIDERS']) ? 'your AI provider' : 'the AI stub';
  console.log(`Chorus playground (sandboxed Discord, ${ai}): ${playground.url}`);
  console.log('Development tool, served on loopback only. Ctrl+C stops it and deletes its Redis keys.');
  const stop = () => {
    playground.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error('playground failed:', error);
  process.exit(1);
});
