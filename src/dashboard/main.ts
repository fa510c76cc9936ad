/**
 * Dashboard process: Bull Board over the reply and task queues, read-only, on `HTTP_PORT`
 * (`node dist/src/dashboard/main.js`; `docker compose --profile dashboard up -d dashboard`).
 * It has no login of its own: job data holds user ids and message text, so publish the port only on a
 * private network (or behind an authenticating proxy), never to the internet.
 */
import { loadConfigOrExit } from '../config/index.js';
import { createLogger, exitWithFatalError } from '../log/index.js';
import { createRedis } from '../redis/index.js';
import { startDashboardServer } from './dashboard-server.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level, service: 'dashboard' }).child({ pid: process.pid });
  const redis = createRedis({
    url: config.redis.url,
    cluster: config.redis.cluster,
    role: 'commands',
    connectionName: `dashboard-${process.pid}`,
    logger,
  });
  const dashboard = await startDashboardServer({
    connection: redis,
    prefix: config.redis.prefix,
    replyQueueShards: config.redis.replyQueueShards,
    port: config.http.port,
    logger,
  });
  logger.info({ httpPort: dashboard.port }, 'dashboard started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    await dashboard.close();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => exitWithFatalError('dashboard', 'dashboard failed to start', error));
