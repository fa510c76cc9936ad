import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type Env, EnvSchema, ProviderEntrySchema, SECRET_VARIABLES } from './config-schema.js';

/** An OpenAI-compatible provider a personality can name. */
export interface ProviderConfig {
  readonly name: string;
  readonly baseUrl: string;
  /** The operator's key for this provider; users may bring their own with /apikey. */
  readonly apiKey: string | undefined;
  readonly models: readonly string[];
  readonly defaultModel: string;
  /** Context length in tokens of each model (`contextTokens` in `AI_PROVIDERS`, else `AI_CONTEXT_TOKENS`). */
  readonly contextTokens: ReadonlyMap<string, number>;
  /** Context length of a model not in {@link ProviderConfig.contextTokens}. */
  readonly defaultContextTokens: number;
  /**
   * The models shown images (`visionModels` in `AI_PROVIDERS`; the `default` provider's model with `AI_VISION`);
   * the others are told images' names.
   */
  readonly visionModels: ReadonlySet<string>;
  /**
   * Whether the provider fetches image URLs itself (`fetchesImageUrls`; `AI_FETCHES_IMAGE_URLS` for `default`):
   * it is sent Discord's CDN link instead of the image inline.
   */
  readonly fetchesImageUrls: boolean;
  /**
   * Send `stream_options: {include_usage: true}` with streamed calls (`streamUsage` in `AI_PROVIDERS`, default
   * false; `AI_STREAM_USAGE` for the `AI_BASE_URL` provider, default true).
   */
  readonly streamUsage: boolean;
}

/** The one typed configuration object every process is built from. */
export interface Config {
  readonly discord: {
    readonly token: string;
    readonly applicationId: string | undefined;
    readonly apiUrl: string;
    readonly guildId: string | undefined;
    /** Bot-token requests per second, fleet-wide (the bot's global rate limit). */
    readonly botRatePerSecond: number;
    readonly shardCount: number | undefined;
    readonly shardIds: readonly number[] | undefined;
    /** Application ids of proxy bots (PluralKit, Tupperbox) whose webhook copies stand for a user's message. */
    readonly proxyBotApplicationIds: ReadonlySet<string>;
  };
  readonly redis: {
    readonly url: string;
    readonly prefix: string;
    readonly cluster: boolean;
    /**
     * Replicas a delivery claim must reach (Redis `WAIT`) before its chunk is posted, so a failover cannot
     * lose it and let a retry post the chunk again; 0 on a single server.
     */
    readonly waitReplicas: number;
    readonly waitTimeoutMs: number;
    /**
     * BullMQ queues the reply jobs spread over, each on its own Cluster slot, a user's jobs all in one
     * (docs/fair-queue.md, Shards); 1 = the one `{<prefix>}` queue.
     */
    readonly replyQueueShards: number;
  };
  readonly ai: {
    readonly timeoutMs: number;
    readonly maxRetries: number;
    /** Provider names → provider; `defaultProvider` is always present in it. */
    readonly providers: ReadonlyMap<string, ProviderConfig>;
    readonly defaultProvider: string;
    readonly breaker: {
      readonly errorThresholdPercentage: number;
      readonly volumeThreshold: number;
      readonly resetTimeoutMs: number;
    };
  };
  readonly encryptionKey: Buffer;
  /** The key before a rotation: opens what `encryptionKey` does not, never seals. */
  readonly previousEncryptionKey: Buffer | undefined;
  readonly worker: {
    readonly concurrency: number;
    readonly lockDurationMs: number;
    readonly stalledIntervalMs: number;
    readonly maxStalledCount: number;
    readonly shutdownGraceMs: number;
    /**
     * How long a worker serves a personality it read from memory, at most, ms (forgotten on its change notice;
     * this bounds a lost one). 0 = read it for every reply.
     */
    readonly personalityCacheTtlMs: number;
  };
  readonly limits: {
    readonly maxPersonalitiesPerMessage: number;
    /** Personalities one user may own; creating one more is refused. */
    readonly maxPersonalitiesPerUser: number;
    readonly userMaxPending: number;
    readonly userRatePerMinute: number;
    readonly userBurst: number;
    readonly queueMaxDepth: number;
    /** How long a gateway's read of the queue's depth stands in for it, in ms (0 = read per message). */
    readonly queueDepthSampleMs: number;
    /** false = plain FIFO (the benchmark's baseline). */
    readonly fairQueue: boolean;
  };
  /** Operator token quotas and who sees the operator's totals (docs/usage.md). */
  readonly usage: {
    /** Operator-paid tokens one user may use per UTC day; null = unlimited. */
    readonly userDailyTokens: number | null;
    /** Operator-paid tokens one server may use per UTC day; null = unlimited. */
    readonly guildDailyTokens: number | null;
    /** Users who see the operator's totals in /status. */
    readonly botOwnerIds: ReadonlySet<string>;
  };
  readonly retention: {
    /** Entries a per-user index (conversations, delivery records) keeps; older ones go with their data. */
    readonly userIndexMaxEntries: number;
  };
  readonly conversation: {
    readonly maxTurns: number;
    readonly maxChars: number;
    readonly ttlSeconds: number;
  };
  /** How personalities take part in a channel's conversation (docs/context.md). */
  readonly group: {
    /** A user's messages in one channel arriving within this of each other (before the reply starts) get one reply, ms. */
    readonly coalesceWindowMs: number;
    /** Personality-to-personality links one human message may start (0 = personalities never answer each other). */
    readonly chainDepth: number;
    /** Personality-to-personality links one channel may run per minute. */
    readonly chainPerChannelPerMinute: number;
  };
  /** The recent conversation of a channel, shown to personalities in `room` mode. */
  /** Long-term memory (docs/memory.md). */
  readonly memory: {
    /** `SUMMARY_MODEL`: `provider/model` or a model of the personality's provider; null = the personality's own. */
    readonly summaryModel: string | null;
    /** Most of the prompt budget the rolling summary takes, percent. */
    readonly summarySharePercent: number;
    /** Most of the prompt budget the user's notes take, percent. */
    readonly notesSharePercent: number;
  };
  readonly channelContext: {
    /** Lines of the window a prompt may hold (0 = no channel context). */
    readonly messages: number;
    readonly chars: number;
    /** How long a line, and a channel's liveness after a personality was addressed there, lasts, seconds. */
    readonly maxAgeSeconds: number;
  };
  readonly webhooks: {
    readonly perChannel: number;
    readonly globalRatePerSecond: number;
    /** Lateness a send may have after its rate-limit slot; widens every window by it. */
    readonly rateLimitMarginMs: number;
    /** Webhook messages per 60 s one channel may take from the fleet (Discord's hidden channel limit); 0 = no budget. */
    readonly channelPerMinute: number;
  };
  /** Files attached to the messages answered (docs/context.md, Attachments). */
  readonly attachments: {
    /**
     * Hosts the worker may download attachments from (`host`: https only; `host:port`: http too). Discord's CDN
     * by default; the sandbox's host in tests.
     */
    readonly allowedHosts: readonly string[];
  };
  /** Replies that appear as they are written (docs/streaming.md). */
  readonly streaming: {
    /** Server-channel replies stream unless their personality says otherwise; DMs never do. */
    readonly enabled: boolean;
    /** Shortest time between two edits of one streamed message, ms. */
    readonly editIntervalMs: number;
  };
  /**
   * Each reply's prompt and step timings recorded for an hour for the playground's Inspector (docs/inspector.md).
   * They are user content: off in production.
   */
  readonly debugPrompts: boolean;
  readonly log: { readonly level: Env['LOG_LEVEL'] };
  readonly http: { readonly port: number };
  readonly gateway: {
    /**
     * How long a gateway serves activations, server settings and name lookups from memory, at most, ms (they are
     * forgotten on every change notice; this bounds a lost one). 0 = read them for every message.
     */
    readonly routingCacheTtlMs: number;
  };
}

/** Thrown when the environment is invalid; `problems` names every bad variable, never a secret value. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export const DEFAULT_PROVIDER_NAME = 'default';

const NO_PROVIDER_PROBLEM = 'AI_BASE_URL: is required unless AI_PROVIDERS names at least one provider';

/**
 * Parses the environment into a {@link Config}. Collects every problem before failing, so an operator
 * fixes their `.env` in one pass.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(describeIssue(issue));
  }
  const providers = parsed.success ? parseProviders(parsed.data, env, problems) : new Map();
  // Reported even when other variables failed, so one pass over the list fixes everything.
  if (!parsed.success && !env['AI_BASE_URL'] && !env['AI_PROVIDERS']) problems.push(NO_PROVIDER_PROBLEM);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const data = parsed.data;

  const shardIds = data.SHARD_IDS?.split(',').map(Number);
  if (shardIds && data.SHARD_COUNT === undefined) {
    throw new ConfigError(['SHARD_IDS: needs SHARD_COUNT']);
  }
  if (data.USER_INDEX_MAX_ENTRIES < data.USER_MAX_PENDING) {
    // A running job's delivery record must never be the oldest entry dropped from its user's index.
    throw new ConfigError([
      `USER_INDEX_MAX_ENTRIES: must be at least USER_MAX_PENDING (${data.USER_MAX_PENDING})`,
    ]);
  }
  if (shardIds && data.SHARD_COUNT !== undefined && shardIds.some((id) => id >= (data.SHARD_COUNT ?? 0))) {
    throw new ConfigError([`SHARD_IDS: every shard must be below SHARD_COUNT (${data.SHARD_COUNT})`]);
  }

  return {
    discord: {
      token: data.DISCORD_TOKEN,
      applicationId: data.DISCORD_APPLICATION_ID,
      apiUrl: data.DISCORD_API_URL.replace(/\/+$/, ''),
      guildId: data.DISCORD_GUILD_ID,
      botRatePerSecond: data.DISCORD_BOT_RATE_PER_SECOND,
      shardCount: data.SHARD_COUNT,
      shardIds,
      proxyBotApplicationIds: new Set(data.PROXY_BOT_APPLICATION_IDS.split(',').filter((id) => id !== '')),
    },
    redis: {
      url: data.REDIS_URL,
      prefix: data.REDIS_PREFIX,
      cluster: data.REDIS_CLUSTER,
      waitReplicas: data.REDIS_WAIT_REPLICAS ?? (data.REDIS_CLUSTER ? 1 : 0),
      waitTimeoutMs: data.REDIS_WAIT_TIMEOUT_MS,
      replyQueueShards: data.REPLY_QUEUE_SHARDS,
    },
    ai: {
      timeoutMs: data.AI_TIMEOUT_MS,
      maxRetries: data.AI_MAX_RETRIES,
      providers,
      defaultProvider: providers.has(DEFAULT_PROVIDER_NAME)
        ? DEFAULT_PROVIDER_NAME
        : (providers.keys().next().value as string),
      breaker: {
        errorThresholdPercentage: data.BREAKER_ERROR_THRESHOLD_PERCENT,
        volumeThreshold: data.BREAKER_VOLUME_THRESHOLD,
        resetTimeoutMs: data.BREAKER_RESET_TIMEOUT_MS,
      },
    },
    encryptionKey: Buffer.from(data.ENCRYPTION_KEY, 'hex'),
    previousEncryptionKey:
      data.ENCRYPTION_KEY_PREVIOUS === undefined
        ? undefined
        : Buffer.from(data.ENCRYPTION_KEY_PREVIOUS, 'hex'),
    worker: {
      concurrency: data.WORKER_CONCURRENCY,
      lockDurationMs: data.WORKER_LOCK_DURATION_MS,
      stalledIntervalMs: data.WORKER_STALLED_INTERVAL_MS,
      maxStalledCount: data.WORKER_MAX_STALLED_COUNT,
      shutdownGraceMs: data.SHUTDOWN_GRACE_MS,
      personalityCacheTtlMs: data.PERSONALITY_CACHE_TTL_MS,
    },
    limits: {
      maxPersonalitiesPerMessage: data.MAX_PERSONALITIES_PER_MESSAGE,
      maxPersonalitiesPerUser: data.MAX_PERSONALITIES_PER_USER,
      userMaxPending: data.USER_MAX_PENDING,
      userRatePerMinute: data.USER_RATE_PER_MINUTE,
      userBurst: data.USER_BURST,
      queueMaxDepth: data.QUEUE_MAX_DEPTH,
      queueDepthSampleMs: data.QUEUE_DEPTH_SAMPLE_MS,
      fairQueue: data.FAIR_QUEUE,
    },
    usage: {
      userDailyTokens: data.USER_DAILY_TOKENS ?? null,
      guildDailyTokens: data.GUILD_DAILY_TOKENS ?? null,
      botOwnerIds: new Set(
        (data.BOT_OWNER_IDS ?? '')
          .split(',')
          .map((id) => id.trim())
          .filter((id) => id !== ''),
      ),
    },
    retention: { userIndexMaxEntries: data.USER_INDEX_MAX_ENTRIES },
    conversation: {
      maxTurns: data.CONVERSATION_MAX_TURNS,
      maxChars: data.CONVERSATION_MAX_CHARS,
      ttlSeconds: data.CONVERSATION_TTL_SECONDS,
    },
    group: {
      coalesceWindowMs: data.COALESCE_WINDOW_MS,
      chainDepth: data.PERSONALITY_CHAIN_DEPTH,
      chainPerChannelPerMinute: data.PERSONALITY_CHAIN_PER_MINUTE,
    },
    memory: {
      summaryModel: data.SUMMARY_MODEL ?? null,
      summarySharePercent: data.MEMORY_SUMMARY_SHARE,
      notesSharePercent: data.MEMORY_NOTES_SHARE,
    },
    channelContext: {
      messages: data.CHANNEL_CONTEXT_MESSAGES,
      chars: data.CHANNEL_CONTEXT_CHARS,
      maxAgeSeconds: data.CHANNEL_CONTEXT_MAX_AGE_SECONDS,
    },
    webhooks: {
      perChannel: data.WEBHOOKS_PER_CHANNEL,
      globalRatePerSecond: data.WEBHOOK_GLOBAL_RATE_PER_SECOND,
      rateLimitMarginMs: data.WEBHOOK_RATE_MARGIN_MS,
      channelPerMinute: data.WEBHOOK_CHANNEL_PER_MINUTE,
    },
    attachments: { allowedHosts: data.ATTACHMENT_HOSTS.split(',').filter((host) => host !== '') },
    streaming: { enabled: data.STREAM_REPLIES, editIntervalMs: data.STREAM_EDIT_INTERVAL_MS },
    debugPrompts: data.DEBUG_PROMPTS,
    log: { level: data.LOG_LEVEL },
    http: { port: data.HTTP_PORT },
    gateway: { routingCacheTtlMs: data.ROUTING_CACHE_TTL_MS },
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const variable = issue.path.join('.') || '(environment)';
  // zod echoes the received value in some messages; a secret's message is replaced wholesale.
  if (SECRET_VARIABLES.has(variable) && issue.code !== 'invalid_type') {
    return `${variable}: ${issue.message.replace(/received .*/i, '').trim() || 'is invalid'}`;
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${variable}: is required`;
  return `${variable}: ${issue.message}`;
}

function parseProviders(data: Env, env: NodeJS.ProcessEnv, problems: string[]): Map<string, ProviderConfig> {
  const providers = new Map<string, ProviderConfig>();
  if (data.AI_BASE_URL) {
    providers.set(DEFAULT_PROVIDER_NAME, {
      name: DEFAULT_PROVIDER_NAME,
      baseUrl: data.AI_BASE_URL.replace(/\/+$/, ''),
      apiKey: data.AI_API_KEY,
      models: [data.AI_MODEL],
      defaultModel: data.AI_MODEL,
      contextTokens: new Map(),
      defaultContextTokens: data.AI_CONTEXT_TOKENS,
      visionModels: new Set(data.AI_VISION ? [data.AI_MODEL] : []),
      fetchesImageUrls: data.AI_FETCHES_IMAGE_URLS,
      streamUsage: data.AI_STREAM_USAGE,
    });
  }
  if (data.AI_PROVIDERS) {
    let raw: unknown;
    try {
      const text = data.AI_PROVIDERS.startsWith('{')
        ? data.AI_PROVIDERS
        : readFileSync(data.AI_PROVIDERS, 'utf8');
      raw = JSON.parse(text);
    } catch (error) {
      problems.push(
        `AI_PROVIDERS: must be a JSON object or the path of a JSON file (${(error as Error).message})`,
      );
      return providers;
    }
    const entries = z
      .record(z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/), ProviderEntrySchema)
      .safeParse(raw);
    if (!entries.success) {
      for (const issue of entries.error.issues)
        problems.push(`AI_PROVIDERS.${issue.path.join('.')}: ${issue.message}`);
      return providers;
    }
    for (const [name, entry] of Object.entries(entries.data)) {
      const defaultModel = entry.defaultModel ?? entry.models[0]!;
      if (!entry.models.includes(defaultModel)) {
        problems.push(`AI_PROVIDERS.${name}.defaultModel: must be one of its models`);
      }
      for (const model of entry.visionModels ?? []) {
        if (!entry.models.includes(model))
          problems.push(`AI_PROVIDERS.${name}.visionModels: ${model} must be one of its models`);
      }
      const apiKey = env[entry.apiKeyEnv];
      providers.set(name, {
        name,
        baseUrl: entry.baseUrl.replace(/\/+$/, ''),
        apiKey: apiKey === '' ? undefined : apiKey,
        models: entry.models,
        defaultModel,
        contextTokens: new Map(
          typeof entry.contextTokens === 'object' ? Object.entries(entry.contextTokens) : [],
        ),
        defaultContextTokens:
          typeof entry.contextTokens === 'number' ? entry.contextTokens : data.AI_CONTEXT_TOKENS,
        visionModels: new Set(entry.visionModels ?? []),
        fetchesImageUrls: entry.fetchesImageUrls ?? false,
        streamUsage: entry.streamUsage ?? false,
      });
    }
  }
  if (providers.size === 0)
    problems.push('AI_BASE_URL: is required unless AI_PROVIDERS names at least one provider');
  return providers;
}

/**
 * For process entry points: the config, or — when the environment is invalid — every problem printed to
 * stderr and exit code 1 (a stack trace would bury the list an operator needs).
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
