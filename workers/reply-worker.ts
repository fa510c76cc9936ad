/**
 * Reply worker process: takes reply jobs from the queue, asks the AI, posts through the webhook manager.
 * Run any number of replicas (`npm run start:worker`, `docker compose up --scale worker=N`).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, Worker } from 'bullmq';
import { type APIApplication, Routes } from 'discord-api-types/v10';
import { AiService, AttachmentFetcher, BreakerFleet, WorkerStatsPublisher } from '../src/ai/index.js';
import { loadConfigOrExit } from '../src/config/index.js';
import { ChannelWindowRepository, ReplyChainWalker } from '../src/context/index.js';
import { createBotRest } from '../src/discord-rest/index.js';
import { createRedisReadinessCheck, runReadinessChecks, startHealthServer } from '../src/http/index.js';
import { PromptInspectorRepository, PromptRecorder } from '../src/inspector/index.js';
import { createLogger, exitWithFatalError, type Logger, runWithCorrelation } from '../src/log/index.js';
import {
  ConversationMemory,
  MemoryRepository,
  MemorySummarizer,
  parseSummaryModel,
} from '../src/memory/index.js';
import { type ChorusMetrics, createMetrics } from '../src/metrics/index.js';
import {
  buildBullPrefix,
  buildReplyShardPrefixes,
  ConversationGate,
  KEPT_COMPLETED_SWEEP_MS,
  PriorityAging,
  QUEUE_NAME,
  ReplyAdmission,
  ReplyCoalescer,
  removeKeptCompletedJobs,
  splitConcurrency,
} from '../src/queue/index.js';
import { createRedis } from '../src/redis/index.js';
import { AttachmentReader } from '../src/replies/attachment-reader.js';
import { CancellationListener } from '../src/replies/cancellation-listener.js';
import { DeliveryLedger } from '../src/replies/delivery-ledger.js';
import { ReplyProcessor } from '../src/replies/reply-processor.js';
import { DefaultStreamPacing } from '../src/replies/stream-pacing.js';
import { TypingIndicator } from '../src/replies/typing-indicator.js';
import {
  ApiKeyRepository,
  buildCancelChannel,
  buildRoutingChangesChannel,
  ChannelActivityRepository,
  ConversationRepository,
  GreetingRepository,
  MessageEventRepository,
  MessageIndexRepository,
  PersonalityCache,
  PersonalityRepository,
} from '../src/state/index.js';
import { createTaskQueue, enqueueTask, TASK_QUEUE_NAME, TaskProcessor } from '../src/tasks/index.js';
import { findPayer, UsageRepository } from '../src/usage/index.js';
import { DiscordChannelBudget, WebhookManager } from '../src/webhooks/index.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const workerId = `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
  const logger = createLogger({ level: config.log.level, service: 'worker' }).child({ workerId });
  const prefix = config.redis.prefix;
  const redisSettings = { url: config.redis.url, cluster: config.redis.cluster, logger };
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
  // Delivery claims reach a replica before their chunk is posted (docs/guarantees.md, failover).
  const claimsRedis =
    config.redis.waitReplicas > 0
      ? createRedis({ ...redisSettings, role: 'commands', connectionName: `${workerId}:claims` })
      : null;

  const breakerSubscriber = createRedis({
    ...redisSettings,
    role: 'bullmq-blocking',
    connectionName: `${workerId}:breakers`,
  });

  // Bot-token requests (typing, DM replies, notices, message look-ups) share the bot's global limit fleet-wide.
  const rest = createBotRest({
    redis,
    prefix,
    apiUrl: config.discord.apiUrl,
    token: config.discord.token,
    ratePerSecond: config.discord.botRatePerSecond,
    logger,
  });
  const applicationId =
    config.discord.applicationId ?? ((await rest.get(Routes.currentApplication())) as APIApplication).id;

  const metrics = createMetrics({ service: 'worker' });
  const breakerFleet = await BreakerFleet.start({ redis, subscriber: breakerSubscriber, prefix, logger });
  const ai = new AiService({
    config: config.ai,
    logger,
    fleet: breakerFleet,
    onCallFinished: (call) => {
      const labels = { provider: call.provider, model: call.model };
      metrics.aiLatencySeconds.observe(labels, call.latencyMs / 1000);
      if (call.failureKind !== null) metrics.aiErrors.inc({ ...labels, kind: call.failureKind });
    },
    onBreakerStateChange: (change) => {
      const labels = { provider: change.provider, model: change.model };
      if (change.state === 'evicted') metrics.breakerState.forget(labels, change.key);
      else metrics.breakerState.report(labels, change.key, change.state);
    },
    onFallbackAnswer: (answer) =>
      metrics.aiFallbackAnswers.inc({ provider: answer.provider, model: answer.model }),
  });
  const stats = new WorkerStatsPublisher({ redis, prefix, workerId, ai, logger });
  // The counters no user owns are written every few seconds, and what is left at shutdown (release).
  const usage = new UsageRepository(redis, {
    prefix,
    onCounted: (counted) => {
      const labels = { provider: counted.provider, model: counted.model, payer: findPayer(counted) };
      metrics.aiTokens.inc({ ...labels, kind: 'prompt' }, counted.promptTokens);
      metrics.aiTokens.inc({ ...labels, kind: 'completion' }, counted.completionTokens);
    },
    onFlushFailed: (error) =>
      logger.warn({ err: error }, 'usage totals not written; kept for the next flush'),
  });
  const webhooks = new WebhookManager({
    rest,
    redis,
    prefix,
    applicationId,
    webhooksPerChannel: config.webhooks.perChannel,
    globalRatePerSecond: config.webhooks.globalRatePerSecond,
    rateLimitMarginMs: config.webhooks.rateLimitMarginMs,
    channelBudget:
      config.webhooks.channelPerMinute === 0
        ? null
        : { limit: config.webhooks.channelPerMinute, windowMs: DiscordChannelBudget.windowMs },
    encryptionKey: config.encryptionKey,
    previousEncryptionKey: config.previousEncryptionKey,
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
  const shards = config.redis.replyQueueShards;
  const admission = new ReplyAdmission(redis, { prefix, logger, limits: config.limits, shards });
  // Every worker sweeps every shard; a sweep is idempotent, so several replicas only make aging more punctual.
  const agings = admission.queue.shards.map(
    (queue) =>
      new PriorityAging(redis, queue, {
        onError: (error) => logger.warn({ err: error }, 'priority aging sweep failed'),
      }),
  );
  for (const aging of agings) aging.start();
  // This version keeps no completed reply job; those an earlier one kept would otherwise stay for good.
  const removeKeptCompleted = () =>
    void Promise.all(admission.queue.shards.map(removeKeptCompletedJobs))
      .then((removed) => {
        const count = removed.reduce((sum, one) => sum + one, 0);
        if (count > 0) logger.info({ removed: count }, 'completed reply jobs of an earlier version removed');
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'completed reply jobs not removed'));
  removeKeptCompleted();
  const keptCompletedSweep = setInterval(removeKeptCompleted, KEPT_COMPLETED_SWEEP_MS).unref();
  const apiKeys = new ApiKeyRepository(redis, {
    prefix,
    encryptionKey: config.encryptionKey,
    previousEncryptionKey: config.previousEncryptionKey,
  });
  const messageIndex = new MessageIndexRepository(redis, {
    prefix,
    maxEntriesPerUser: config.retention.userIndexMaxEntries,
  });
  const channelWindows = new ChannelWindowRepository(redis, {
    prefix,
    maxAgeSeconds: config.channelContext.maxAgeSeconds,
    maxIndexedChannels: config.retention.userIndexMaxEntries,
  });
  const personalities = new PersonalityRepository(redis, { prefix });
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  // Every reply reads its personality: served from memory, kept in step by the personalities' change notices
  // (on the deletions' subscriber connection: it filters by channel).
  const personalityCache = new PersonalityCache({ ttlMs: config.worker.personalityCacheTtlMs });
  if (personalityCache.options.ttlMs > 0)
    await personalityCache.listen(subscriber, buildRoutingChangesChannel(prefix));
  // Long-term memory (docs/memory.md): replies hand trimmed turns over and enqueue their summarization here.
  const memoryRepository = new MemoryRepository(redis, {
    prefix,
    ttlSeconds: config.conversation.ttlSeconds,
  });
  const tasks = createTaskQueue(bullConnection, { prefix, logger });
  const memory = new ConversationMemory(
    memoryRepository,
    async (request) => {
      await enqueueTask(tasks, { kind: 'summarize-memory', version: 1, ...request });
    },
    logger,
    {
      summaryShare: config.memory.summarySharePercent / 100,
      notesShare: config.memory.notesSharePercent / 100,
    },
  );
  if (config.debugPrompts)
    logger.warn("DEBUG_PROMPTS is on: every reply's prompt (user content) is kept in Redis for an hour");
  const processor = new ReplyProcessor(
    {
      redis,
      personalities: personalityCache.wrap(personalities),
      conversations: new ConversationRepository(redis, {
        prefix,
        ...config.conversation,
        maxIndexed: config.retention.userIndexMaxEntries,
      }),
      apiKeys,
      messageEvents: new MessageEventRepository(redis, { prefix }),
      messageIndex,
      channelActivity,
      channelWindows,
      admission,
      gate: new ConversationGate(redis, { prefix, shards }),
      coalescer: new ReplyCoalescer(redis, { prefix, windowMs: config.group.coalesceWindowMs }),
      greetings: new GreetingRepository(redis, { prefix }),
      ai,
      webhooks,
      ledger: new DeliveryLedger(redis, {
        prefix,
        maxIndexed: config.retention.userIndexMaxEntries,
        durableClaims:
          claimsRedis === null
            ? null
            : {
                redis: claimsRedis,
                replicas: config.redis.waitReplicas,
                timeoutMs: config.redis.waitTimeoutMs,
                onShortfall: (acknowledged) =>
                  logger.warn({ acknowledged }, 'delivery claim not replicated in time; posting anyway'),
              },
      }),
      typing,
      cancellations,
      usage,
      // Ancestors missing from the window come from Discord through the bot's fleet-limited REST client.
      replyChains: new ReplyChainWalker({
        window: channelWindows,
        rest,
        postedMessages: messageIndex,
        logger,
      }),
      prompt: { channelContext: config.channelContext, providers: config.ai.providers },
      // Downloads only from ATTACHMENT_HOSTS (Discord's CDN), capped and timed (docs/context.md, Attachments).
      attachments: new AttachmentReader({
        fetcher: new AttachmentFetcher({ allowedHosts: config.attachments.allowedHosts }),
        providers: config.ai.providers,
        logger,
      }),
      memory,
      ...(config.debugPrompts
        ? {
            prompts: new PromptRecorder({
              repository: new PromptInspectorRepository(redis, { prefix }),
              logger,
              now: Date.now,
            }),
          }
        : {}),
      logger,
      now: Date.now,
    },
    {
      streamReplies: config.streaming.enabled,
      streamPacing: { ...DefaultStreamPacing, editIntervalMs: config.streaming.editIntervalMs },
    },
  );

  // One BullMQ Worker per shard, the process's concurrency shared out between them (docs/fair-queue.md, Shards).
  const concurrencies = splitConcurrency(config.worker.concurrency, shards);
  const replyWorkers = buildReplyShardPrefixes(prefix, shards).map(
    (bullPrefix, shard) =>
      new Worker(QUEUE_NAME, (job: Job, token?: string) => processor.process(job, token), {
        connection: bullConnection,
        prefix: bullPrefix,
        concurrency: concurrencies[shard] ?? 1,
        lockDuration: config.worker.lockDurationMs,
        stalledInterval: config.worker.stalledIntervalMs,
        maxStalledCount: config.worker.maxStalledCount,
      }),
  );
  const stopWebhookMetrics = syncWebhookMetrics(webhooks, metrics);
  for (const worker of replyWorkers) {
    worker.on('failed', (job, error) => {
      if (!job) return;
      const final = error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
      // Outside the processor's context: re-enter the job's correlation so these lines join its trace.
      const correlationId = (job.data as { correlationId?: unknown }).correlationId;
      const context = {
        correlationId: typeof correlationId === 'string' ? correlationId : 'unknown',
        jobId: job.id ?? 'unknown',
      };
      runWithCorrelation(context, () => {
        logger.warn({ err: error, attemptsMade: job.attemptsMade, final }, 'reply job failed');
        if (final)
          void processor.notifyFailure(job, error).catch((notifyError: unknown) => {
            logger.error({ err: notifyError }, 'failure notice could not be posted');
          });
      });
    });
    worker.on('completed', (job) => {
      metrics.jobWaitSeconds.observe(((job.processedOn ?? job.timestamp) - job.timestamp) / 1000);
      metrics.jobDurationSeconds.observe(
        { outcome: String(job.returnvalue) },
        ((job.finishedOn ?? Date.now()) - (job.processedOn ?? Date.now())) / 1000,
      );
    });
    worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  }

  // Jobs for slash commands (API-key tests, reply deletes): few and quick, so a small fixed concurrency.
  const taskProcessor = new TaskProcessor({
    apiKeys,
    ai,
    webhooks,
    channelActivity,
    channelWebhooks: webhooks,
    rest,
    memory: {
      summarizer: new MemorySummarizer({ memory: memoryRepository, ai, logger }),
      personalities,
      summaryModel:
        config.memory.summaryModel === null ? null : parseSummaryModel(config.memory.summaryModel),
    },
    logger,
  });
  const taskWorker = new Worker(TASK_QUEUE_NAME, (job: Job) => taskProcessor.process(job), {
    connection: bullConnection,
    prefix: buildBullPrefix(prefix),
    concurrency: 10,
  });
  taskWorker.on('error', (error) => logger.error({ err: error }, 'task worker error'));

  const health = await startHealthServer({
    port: config.http.port,
    logger,
    metrics: metrics.registry,
    readiness: () =>
      runReadinessChecks([
        createRedisReadinessCheck(redis),
        { name: 'worker', probe: () => replyWorkers.every((worker) => worker.isRunning()) },
      ]),
  });
  logger.info({ concurrency: config.worker.concurrency, shards, httpPort: health.port }, 'worker started');

  installShutdown(logger, config.worker.shutdownGraceMs, {
    drain: async () => {
      clearInterval(keptCompletedSweep);
      await Promise.all(agings.map((aging) => aging[Symbol.asyncDispose]()));
      await Promise.all([...replyWorkers.map((worker) => worker.close()), taskWorker.close()]);
      await tasks.close();
    },
    // A cancelled AI call makes ReplyProcessor put its job back in the queue for another worker.
    handBack: () => ai.close(),
    release: async () => {
      await admission.close();
      stopWebhookMetrics();
      await stats[Symbol.asyncDispose]();
      await usage[Symbol.asyncDispose]().catch((error: unknown) =>
        logger.warn({ err: error }, 'usage totals lost at shutdown'),
      );
      await cancellations[Symbol.asyncDispose]();
      typing[Symbol.dispose]();
      await ai.close();
      await breakerFleet[Symbol.asyncDispose]();
      await health.close();
      redis.disconnect();
      claimsRedis?.disconnect();
      bullConnection.disconnect();
    },
  });
}

/**
 * The webhook manager counts in memory (it has no metrics dependency); its running totals become Prometheus
 * counters here, as deltas every couple of seconds.
 */
function syncWebhookMetrics(webhooks: WebhookManager, metrics: ChorusMetrics): () => void {
  let last = webhooks.stats();
  const timer = setInterval(() => {
    const now = webhooks.stats();
    const delta = (read: (stats: typeof now) => number) => Math.max(0, read(now) - read(last));
    metrics.webhookPosts.inc(
      { outcome: 'posted' },
      delta((stats) => stats.posted),
    );
    metrics.discordRateLimited.inc(
      { scope: 'global' },
      delta((stats) => stats.globalRateLimited),
    );
    metrics.discordRateLimited.inc(
      { scope: 'bucket' },
      delta((stats) => stats.rateLimited - stats.globalRateLimited),
    );
    metrics.webhookCacheLookups.inc(
      { result: 'hit' },
      delta((stats) => stats.memoryHits + stats.redisHits),
    );
    metrics.webhookCacheLookups.inc(
      { result: 'miss' },
      delta((stats) => stats.discordLookups),
    );
    last = now;
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}

/** Past the grace period, how long handed-back jobs get to reach the queue before the process exits, in ms. */
const HAND_BACK_MS = 2000;

/** The steps of a worker's shutdown, in order. */
interface ShutdownSteps {
  /** Stops taking jobs; resolves once the jobs in flight are finished. */
  readonly drain: () => Promise<void>;
  /** Past the grace period: cancels the work still running so its jobs go back to the queue. */
  readonly handBack: () => Promise<void>;
  /** Closes everything else, once. */
  readonly release: () => Promise<void>;
}

/**
 * SIGTERM/SIGINT: stop taking jobs and let in-flight ones finish within the grace period. Past it, AI calls
 * still running are cancelled, which hands their jobs back to the queue at once; a job caught mid-post stalls
 * instead and another worker takes it over when its lock expires. The delivery ledger keeps both exactly-once.
 * The grace period is enforced here: BullMQ's `close(true)` would only return the pending graceful close.
 */
function installShutdown(logger: Logger, graceMs: number, steps: ShutdownSteps): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const drained = steps.drain().then(
      () => 'drained' as const,
      (error: unknown) => {
        logger.error({ err: error }, 'error while draining the worker');
        return 'drained' as const;
      },
    );
    const graceOver = new AbortController();
    try {
      const first = await Promise.race([
        drained,
        sleep(graceMs, 'grace-over' as const, { signal: graceOver.signal }),
      ]);
      if (first === 'grace-over') {
        logger.warn({ graceMs }, 'grace period over; closing forcibly');
        await steps.handBack();
        await Promise.race([drained, sleep(HAND_BACK_MS)]);
      }
      graceOver.abort();
      await steps.release();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => exitWithFatalError('worker', 'worker failed to start', error));
