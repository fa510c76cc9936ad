/**
 * Reply worker process: takes reply jobs from the queue, asks the AI, posts through the webhook manager.
 * Run any number of replicas (`npm run start:worker`, `docker compose up --scale worker=N`).
 */
import { randomUUID } from 'node:crypto';
import { REST } from '@discordjs/rest';
import { type Job, Worker } from 'bullmq';
import { type APIApplication, Routes } from 'discord.js';
import { AiService, WorkerStatsPublisher } from '../src/ai/index.js';
import { type Config, ConfigError, loadConfig } from '../src/config/index.js';
import { createRedisReadinessCheck, runReadinessChecks, startHealthServer } from '../src/http/index.js';
import { createLogger, type Logger } from '../src/log/index.js';
import { createMetrics } from '../src/metrics/index.js';
import {
  buildBullPrefix,
  ConversationGate,
  PriorityAging,
  QUEUE_NAME,
  ReplyAdmission,
} from '../src/queue/index.js';
import { createRedis } from '../src/redis/index.js';
import { CancellationListener } from '../src/replies/cancellation-listener.js';
import { DeliveryLedger } from '../src/replies/delivery-ledger.js';
import { ReplyProcessor } from '../src/replies/reply-processor.js';
import { TypingIndicator } from '../src/replies/typing-indicator.js';
import {
  ApiKeyRepository,
  buildCancelChannel,
  ChannelActivityRepository,
  ConversationRepository,
  MessageEventRepository,
  MessageIndexRepository,
  PersonalityRepository,
} from '../src/state/index.js';
import { WebhookManager } from '../src/webhooks/index.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  const workerId = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = createLogger({ level: config.log.level, service: 'worker' }).child({ workerId });
  const prefix = config.redis.prefix;
  const redisSettings = { url: config.redis.url, cluster: config.redis.cluster };
  const redis = createRedis({ ...redisSettings, role: 'commands', connectionName: `${workerId}:commands` });
  const bullConnection = createRedis({
    ...redisSettings,
    role: 'bullmq-blocking',
    connectionName: `${workerId}:bullmq`,
  });
  const subscriber = createRedis({
    ...redisSettings,
    role: 'bullmq-blocking',
    connectionName: `${workerId}:cancel`,
  });

  const rest = new REST({ api: config.discord.apiUrl }).setToken(config.discord.token);
  const applicationId =
    config.discord.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;

  const metrics = createMetrics({ service: 'worker' });
  const ai = new AiService({ config: config.ai, logger });
  const stats = new WorkerStatsPublisher({ redis, prefix, workerId, ai, logger });
  const webhooks = new WebhookManager({
    rest,
    redis,
    prefix,
    applicationId,
    webhooksPerChannel: config.webhooks.perChannel,
    globalRatePerSecond: config.webhooks.globalRatePerSecond,
    logger,
  });
  const cancellations = await CancellationListener.start(subscriber, buildCancelChannel(prefix), logger);
  const typing = new TypingIndicator({
    sendTyping: async (channelId) => {
      await rest.post(Routes.channelTyping(channelId)).catch((error: unknown) => {
        logger.debug({ err: error, channelId }, 'typing indicator failed');
      });
    },
  });
  const admission = new ReplyAdmission(redis, { prefix, limits: config.limits });
  // Every worker sweeps; a sweep is idempotent, so several replicas only make aging more punctual.
  const aging = new PriorityAging(redis, admission.queue, {
    prefix,
    onError: (error) => logger.warn({ err: error }, 'priority aging sweep failed'),
  });
  aging.start();
  const processor = new ReplyProcessor({
    personalities: new PersonalityRepository(redis, { prefix }),
    conversations: new ConversationRepository(redis, { prefix, ...config.conversation }),
    apiKeys: new ApiKeyRepository(redis, { prefix, encryptionKey: config.encryptionKey }),
    messageEvents: new MessageEventRepository(redis, { prefix }),
    messageIndex: new MessageIndexRepository(redis, { prefix }),
    channelActivity: new ChannelActivityRepository(redis, { prefix }),
    admission,
    gate: new ConversationGate(redis, { prefix }),
    ai,
    webhooks,
    ledger: new DeliveryLedger(redis, { prefix }),
    typing,
    cancellations,
    logger,
    now: Date.now,
  });

  const worker = new Worker(QUEUE_NAME, (job: Job, token?: string) => processor.process(job, token), {
    connection: bullConnection,
    prefix: buildBullPrefix(prefix),
    concurrency: config.worker.concurrency,
    lockDuration: config.worker.lockDurationMs,
    stalledInterval: config.worker.stalledIntervalMs,
    maxStalledCount: config.worker.maxStalledCount,
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    logger.warn({ err: error, jobId: job.id, attemptsMade: job.attemptsMade, final }, 'reply job failed');
    if (final)
      void processor.notifyFailure(job, error).catch((notifyError: unknown) => {
        logger.error({ err: notifyError, jobId: job.id }, 'failure notice could not be posted');
      });
  });
  worker.on('completed', (job) => {
    metrics.jobDurationSeconds.observe(
      { outcome: String(job.returnvalue) },
      ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000,
    );
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));

  const health = await startHealthServer({
    port: config.http.port,
    logger,
    metrics: metrics.registry,
    readiness: () =>
      runReadinessChecks([
        createRedisReadinessCheck(redis),
        { name: 'worker', probe: () => worker.isRunning() },
      ]),
  });
  logger.info({ concurrency: config.worker.concurrency, httpPort: health.port }, 'worker started');

  installShutdown(logger, config.worker.shutdownGraceMs, async (graceful) => {
    await aging[Symbol.asyncDispose]();
    await (graceful ? worker.close() : worker.close(true));
    await admission.close();
    await stats[Symbol.asyncDispose]();
    await cancellations[Symbol.asyncDispose]();
    typing[Symbol.dispose]();
    await ai.close();
    await health.close();
    redis.disconnect();
    bullConnection.disconnect();
  });
}

/**
 * SIGTERM/SIGINT: stop taking jobs and let in-flight ones finish within the grace period; past it, close
 * forcibly (unfinished jobs stall and another worker takes them: the delivery ledger keeps that exactly-once).
 */
function installShutdown(logger: Logger, graceMs: number, close: (graceful: boolean) => Promise<void>): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const timer = setTimeout(() => {
      logger.warn({ graceMs }, 'grace period over; closing forcibly');
      void close(false).finally(() => process.exit(0));
    }, graceMs);
    timer.unref();
    try {
      await close(true);
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
    clearTimeout(timer);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('worker failed to start:', error);
  process.exit(1);
});
