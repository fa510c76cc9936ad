import { Redis } from 'ioredis';
import { LocalCluster } from '../../scripts/cluster/local-cluster.js';
import { ensureRedis } from '../../scripts/cluster/redis-check.js';
import { PromptInspectorRepository } from '../../src/inspector/index.js';
import { buildClientBundle } from './client-bundle.js';
import { PlaygroundFeed } from './playground-feed.js';
import { type PlaygroundServerOptions, startPlaygroundServer } from './playground-server.js';
import { type PlaygroundWorld, seedPlaygroundWorld } from './playground-world.js';

/** Options of {@link startPlayground}. */
export interface PlaygroundOptions {
  readonly redisUrl: string;
  /** Key prefix of this run; its keys are deleted on close. */
  readonly prefix: string;
  /** The page's server (port, host). */
  readonly server: Partial<PlaygroundServerOptions>;
  /**
   * Environment for the gateway and worker on top of the playground's own: a real provider's `AI_BASE_URL`,
   * `AI_API_KEY`, `AI_MODEL` or `AI_PROVIDERS` replace the stub. @defaultValue {}
   */
  readonly env: Readonly<Record<string, string>>;
  /** Where the gateway's and worker's logs go. @defaultValue 'keep' */
  readonly logs: 'keep' | 'inherit';
}

export const DefaultPlaygroundOptions = {
  server: {},
  env: {},
  logs: 'keep',
} as const satisfies Omit<Required<PlaygroundOptions>, 'redisUrl' | 'prefix'>;

/** A running playground: the whole system plus the page. */
export interface Playground extends AsyncDisposable {
  readonly url: string;
  readonly cluster: LocalCluster;
  readonly world: PlaygroundWorld;
  close(): Promise<void>;
}

/**
 * The playground's environment: prompts recorded for the inspector, streamed replies (the page shows them grow),
 * and roomier per-user limits than production's, since one person plays several.
 */
const PLAYGROUND_ENV = {
  DEBUG_PROMPTS: 'true',
  STREAM_REPLIES: 'true',
  USER_BURST: '20',
  USER_RATE_PER_MINUTE: '60',
} as const;

/** The stub writes a few words every 30 ms, as a model streams, so replies visibly grow. */
const STUB_CHUNK_DELAY_MS = 30;

/**
 * Starts what `npm run demo` starts (the Discord sandbox, the AI stub, a gateway and a worker, through
 * {@link LocalCluster}), lays out the playground's server, and serves the page.
 */
export async function startPlayground(
  input: Pick<PlaygroundOptions, 'redisUrl' | 'prefix'> & Partial<PlaygroundOptions>,
): Promise<Playground> {
  const options: PlaygroundOptions = { ...DefaultPlaygroundOptions, ...input };
  await ensureRedis(options.redisUrl);
  const cluster = await LocalCluster.start({
    redisUrl: options.redisUrl,
    prefix: options.prefix,
    env: { ...PLAYGROUND_ENV, ...options.env },
    aiStub: { behaviour: { chunkDelayMs: STUB_CHUNK_DELAY_MS } },
    logs: options.logs,
  });
  const redis = new Redis(options.redisUrl);
  const feed = new PlaygroundFeed(cluster.sandbox, cluster.sandbox.options.botUsername);
  const closeAll = async () => {
    feed[Symbol.dispose]();
    await cluster[Symbol.asyncDispose]();
    await deleteRunKeys(redis, options.prefix);
    redis.disconnect();
  };
  try {
    const [bundle] = await Promise.all([
      buildClientBundle(),
      cluster.spawn('gateway'),
      cluster.spawn('worker'),
    ]);
    const world = await seedPlaygroundWorld(cluster.sandbox);
    const server = await startPlaygroundServer(
      {
        sandbox: cluster.sandbox,
        world,
        feed,
        bundle,
        prompts: new PromptInspectorRepository(redis, { prefix: options.prefix }),
      },
      options.server,
    );
    let closed: Promise<void> | undefined;
    const close = () => {
      closed ??= server.close().then(closeAll);
      return closed;
    };
    return { url: server.url, cluster, world, close, [Symbol.asyncDispose]: close };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Deletes this run's keys (the playground is for trying things, not keeping them). */
async function deleteRunKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
