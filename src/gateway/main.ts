/**
 * Gateway process: the discord.js client. Turns messages and interactions into jobs and state changes;
 * never calls the AI (`npm run start:gateway`).
 */
import { createCommandHandler } from '../commands/index.js';
import { loadConfigOrExit } from '../config/index.js';
import { ChannelWindowRepository } from '../context/index.js';
import { GuildSettingsRepository, PolicyNoticeRepository } from '../guilds/index.js';
import { createRedisReadinessCheck, runReadinessChecks, startHealthServer } from '../http/index.js';
import { createLogger, exitWithFatalError, newCorrelationId } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import { ChainLinkRepository, ReplyAdmission, ReplyCoalescer } from '../queue/index.js';
import { createRedis } from '../redis/index.js';
import {
  ActivationRepository,
  ApiKeyRepository,
  buildRoutingChangesChannel,
  ChannelActivityRepository,
  DmStickyRepository,
  MessageEventRepository,
  MessageIndexRepository,
  PersonalityRepository,
} from '../state/index.js';
import { createTaskQueue } from '../tasks/index.js';
import { UsageRepository } from '../usage/index.js';
import { ChannelCleanup } from './channel-cleanup.js';
import { createDiscordClient } from './discord-client.js';
import { GatewayService } from './gateway-service.js';
import { MessageRouter } from './message-router.js';
import { PersonalityChain } from './personality-chain.js';
import { ProxyMatcher } from './proxy-matcher.js';
import { RoutingCache } from './routing-cache.js';
import { WindowRecorder } from './window-recorder.js';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.log.level, service: 'gateway' }).child({ pid: process.pid });
  const prefix = config.redis.prefix;
  const redis = createRedis({
    url: config.redis.url,
    cluster: config.redis.cluster,
    role: 'commands',
    connectionName: `gateway-${process.pid}`,
    logger,
  });
  const metrics = createMetrics({ service: 'gateway' });

  const personalities = new PersonalityRepository(redis, { prefix });
  const activations = new ActivationRepository(redis, { prefix });
  const coalesceWindowMs = config.group.coalesceWindowMs;
  const admission = new ReplyAdmission(redis, {
    prefix,
    logger,
    limits: config.limits,
    coalesceWindowMs,
    shards: config.redis.replyQueueShards,
    queueDepthSampleMs: config.limits.queueDepthSampleMs,
  });
  const tasks = createTaskQueue(redis, { prefix, logger });
  const guildSettings = new GuildSettingsRepository(redis, { prefix, logger });
  const messageIndex = new MessageIndexRepository(redis, { prefix });
  const routingCache = new RoutingCache({ ttlMs: config.gateway.routingCacheTtlMs });
  // Its own connection (a subscribed one takes no other commands), waiting out a Redis restart like BullMQ's.
  const routingChanges =
    routingCache.options.ttlMs > 0
      ? createRedis({
          url: config.redis.url,
          cluster: config.redis.cluster,
          role: 'bullmq-blocking',
          connectionName: `gateway-${process.pid}-routing-changes`,
          logger,
        })
      : null;
  if (routingChanges !== null) await routingCache.listen(routingChanges, buildRoutingChangesChannel(prefix));
  const router = new MessageRouter(
    {
      ...routingCache.wrap({ personalities, activations, guildSettings }),
      messageIndex,
      dmSticky: new DmStickyRepository(redis, { prefix }),
      messageEvents: new MessageEventRepository(redis, { prefix }),
      admission,
      coalescer: new ReplyCoalescer(redis, { prefix, windowMs: coalesceWindowMs }),
      policyNotices: new PolicyNoticeRepository(redis, { prefix }),
      quotas: {
        limits: config.usage,
        usage: new UsageRepository(redis, { prefix }),
        // Only which providers the user has a key for is read here: nothing is decrypted in the gateway.
        apiKeys: new ApiKeyRepository(redis, { prefix, encryptionKey: config.encryptionKey }),
      },
      logger,
    },
    { maxPersonalitiesPerMessage: config.limits.maxPersonalitiesPerMessage, now: Date.now, newCorrelationId },
  );
  metrics.queueDepth.collectWith(() =>
    admission.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
  );
  const client = createDiscordClient(config);
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  const channelWindows = new ChannelWindowRepository(redis, {
    prefix,
    maxAgeSeconds: config.channelContext.maxAgeSeconds,
    maxIndexedChannels: config.retention.userIndexMaxEntries,
  });
  const service = new GatewayService({
    client,
    router,
    channelActivity,
    channelCleanup: new ChannelCleanup({
      activations,
      channelActivity,
      channelWindows,
      guildSettings,
      tasks,
      newCorrelationId,
      logger,
    }),
    window: new WindowRecorder({
      windows: channelWindows,
      ownIdentity: () => ({
        applicationId: client.application?.id ?? null,
        botUserId: client.user?.id ?? null,
      }),
      logger,
    }),
    interactions: createCommandHandler({ redis, config, admission, tasks, logger }),
    personalityChain: new PersonalityChain(
      {
        router,
        messageIndex,
        chainLinks: new ChainLinkRepository(redis, {
          prefix,
          perWindow: config.group.chainPerChannelPerMinute,
        }),
        logger,
      },
      { maxDepth: config.group.chainDepth },
    ),
    proxies: new ProxyMatcher({ applicationIds: config.discord.proxyBotApplicationIds }),
    logger,
    onMessageSeen: (kind) => metrics.messagesSeen.inc({ reason: kind }),
    onRouted: (outcome) => {
      for (const { admission: result } of outcome.addressed) {
        if (result.outcome === 'enqueued') metrics.jobsEnqueued.inc();
        else if (result.outcome === 'refused') metrics.jobsRefused.inc({ reason: result.reason });
      }
    },
  });
  service.listen();

  const health = await startHealthServer({
    port: config.http.port,
    logger,
    metrics: metrics.registry,
    readiness: () =>
      runReadinessChecks([
        createRedisReadinessCheck(redis),
        { name: 'discord', probe: () => client.isReady() },
      ]),
  });
  await client.login(config.discord.token);
  logger.info({ httpPort: health.port, user: client.user?.tag }, 'gateway started');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    try {
      // No new work from here; the messages already taken in finish their admission (enqueueing is quick)
      // before the client and Redis close. Admitted jobs live in Redis.
      await service.close(config.worker.shutdownGraceMs);
      await client.destroy();
      await admission.close();
      await tasks.close();
      await health.close();
    } catch (error) {
      logger.error({ err: error }, 'error while shutting down');
    }
    routingChanges?.disconnect();
    redis.disconnect();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => exitWithFatalError('gateway', 'gateway failed to start', error));
