import { z } from 'zod';

/**
 * The environment contract. Every variable Chorus reads is declared here, with its default;
 * `.env.example` and the README table list the same names (a test keeps the three in step).
 */

const DEFAULT_DISCORD_API_URL = 'https://discord.com/api';

/** The public application ids of the two common proxy bots (their bot user ids). */
export const PLURALKIT_APPLICATION_ID = '466378653216014359';
export const TUPPERBOX_APPLICATION_ID = '431544605209788416';

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();
const snowflake = z.string().regex(/^\d{17,20}$/, 'must be a Discord snowflake (17–20 digits)');
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** One AI provider as written in `AI_PROVIDERS` (JSON object keyed by provider name, or a path to such a file). */
export const ProviderEntrySchema = z.object({
  baseUrl: httpUrl,
  /** Name of the environment variable holding this provider's API key (never the key itself). */
  apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must name an environment variable'),
  models: z.array(z.string().min(1)).min(1, 'must list at least one model'),
  defaultModel: z.string().min(1).optional(),
  /** Context length in tokens: one number for every model, or model → tokens (unlisted models: 32768). */
  contextTokens: z
    .union([
      z.number().int().min(1024).max(10_000_000),
      z.record(z.string().min(1), z.number().int().min(1024).max(10_000_000)),
    ])
    .optional(),
  /** The models (among `models`) that take images: they are shown a message's images, the others told their names. */
  visionModels: z.array(z.string().min(1)).optional(),
  /**
   * Whether the provider fetches image URLs itself: then it gets Discord's CDN link, else the worker downloads
   * the image and sends it inline (base64). Default false: every OpenAI-compatible server takes inline images.
   */
  fetchesImageUrls: z.boolean().optional(),
  /**
   * Ask for token usage at the end of a streamed reply (`stream_options.include_usage`). Off unless set: some
   * providers refuse the field (Mistral 422, Groq 400).
   */
  streamUsage: z.boolean().optional(),
});

/** `host` or `host:port`, lower case (a host with a port may be fetched over plain http: the sandbox in tests). */
const ATTACHMENT_HOST = '[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\\d{1,5})?';

/** Discord's CDN hosts, which serve every attachment's `url` and `proxy_url`. */
export const DISCORD_ATTACHMENT_HOSTS = 'cdn.discordapp.com,media.discordapp.net';

export const EnvSchema = z.object({
  DISCORD_TOKEN: z.string().min(1, 'is required (the bot token)'),
  DISCORD_APPLICATION_ID: snowflake.optional().or(z.literal('').transform(() => undefined)),
  DISCORD_API_URL: httpUrl.default(DEFAULT_DISCORD_API_URL),
  DISCORD_GUILD_ID: snowflake.optional().or(z.literal('').transform(() => undefined)),
  DISCORD_BOT_RATE_PER_SECOND: integer(1, 100_000).default(50),

  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .default('redis://127.0.0.1:6379'),
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "-" or "_"')
    .default('chorus'),
  REDIS_CLUSTER: booleanFlag.default(false),
  // Unset (or empty): 1 on a Cluster, 0 on a single server (config.ts).
  REDIS_WAIT_REPLICAS: z
    .literal('')
    .transform(() => undefined)
    .or(integer(0, 5))
    .optional(),
  REDIS_WAIT_TIMEOUT_MS: integer(10, 10_000).default(500),

  AI_BASE_URL: httpUrl.optional(),
  AI_API_KEY: optionalString,
  AI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  AI_TIMEOUT_MS: integer(100, 600_000).default(60_000),
  AI_PROVIDERS: optionalString,
  AI_MAX_RETRIES: integer(0, 5).default(2),
  AI_CONTEXT_TOKENS: integer(1024, 10_000_000).default(32_768),
  AI_VISION: booleanFlag.default(false),
  AI_FETCHES_IMAGE_URLS: booleanFlag.default(false),
  ATTACHMENT_HOSTS: z
    .string()
    .trim()
    .toLowerCase()
    .transform((value) => value.replace(/\s*,\s*/g, ','))
    .pipe(
      z
        .string()
        .regex(
          new RegExp(`^(${ATTACHMENT_HOST}(,${ATTACHMENT_HOST})*)?$`),
          'must be a comma-separated list of host names, each optionally with :port',
        ),
    )
    .default(DISCORD_ATTACHMENT_HOSTS),
  AI_STREAM_USAGE: booleanFlag.default(true),
  BREAKER_ERROR_THRESHOLD_PERCENT: integer(1, 100).default(50),
  BREAKER_VOLUME_THRESHOLD: integer(1, 1000).default(5),
  BREAKER_RESET_TIMEOUT_MS: integer(100, 600_000).default(30_000),

  ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes written as 64 hex characters (openssl rand -hex 32)'),
  ENCRYPTION_KEY_PREVIOUS: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 32 bytes written as 64 hex characters, like ENCRYPTION_KEY')
    .optional()
    .or(z.literal('').transform(() => undefined)),

  WORKER_CONCURRENCY: integer(1, 5000).default(50),
  WORKER_LOCK_DURATION_MS: integer(1000, 600_000).default(15_000),
  WORKER_STALLED_INTERVAL_MS: integer(500, 600_000).default(5_000),
  WORKER_MAX_STALLED_COUNT: integer(0, 100).default(3),
  SHUTDOWN_GRACE_MS: integer(0, 600_000).default(20_000),

  MAX_PERSONALITIES_PER_MESSAGE: integer(1, 10).default(3),
  MAX_PERSONALITIES_PER_USER: integer(1, 1000).default(50),
  USER_MAX_PENDING: integer(1, 100_000).default(5),
  USER_RATE_PER_MINUTE: integer(1, 1_000_000).default(6),
  USER_BURST: integer(1, 100_000).default(3),
  QUEUE_MAX_DEPTH: integer(1, 10_000_000).default(10_000),
  // Reply jobs spread over this many BullMQ queues on different Cluster slots (docs/fair-queue.md, Shards).
  REPLY_QUEUE_SHARDS: integer(1, 16).default(1),
  QUEUE_DEPTH_SAMPLE_MS: integer(0, 60_000).default(1000),
  FAIR_QUEUE: booleanFlag.default(true),
  USER_DAILY_TOKENS: z
    .literal('')
    .transform(() => undefined)
    .or(integer(1, 1_000_000_000_000))
    .optional(),
  GUILD_DAILY_TOKENS: z
    .literal('')
    .transform(() => undefined)
    .or(integer(1, 1_000_000_000_000))
    .optional(),
  BOT_OWNER_IDS: optionalString.pipe(
    z
      .string()
      .regex(/^\d{17,20}(\s*,\s*\d{17,20})*$/, 'must be a comma-separated list of Discord user ids')
      .optional(),
  ),
  USER_INDEX_MAX_ENTRIES: integer(10, 100_000).default(500),

  CONVERSATION_MAX_TURNS: integer(2, 1000).default(40),
  CONVERSATION_MAX_CHARS: integer(1000, 1_000_000).default(24_000),
  CONVERSATION_TTL_SECONDS: integer(60, 31_536_000).default(7 * 24 * 3600),
  SUMMARY_MODEL: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  MEMORY_SUMMARY_SHARE: integer(0, 50).default(15),
  MEMORY_NOTES_SHARE: integer(0, 50).default(10),
  CHANNEL_CONTEXT_MESSAGES: integer(0, 100).default(30),
  CHANNEL_CONTEXT_CHARS: integer(500, 200_000).default(12_000),
  CHANNEL_CONTEXT_MAX_AGE_SECONDS: integer(60, 7 * 24 * 3600).default(6 * 3600),
  PERSONALITY_CHAIN_DEPTH: integer(0, 10).default(3),
  PERSONALITY_CHAIN_PER_MINUTE: integer(0, 1000).default(10),
  COALESCE_WINDOW_MS: integer(0, 10_000).default(1500),
  PROXY_BOT_APPLICATION_IDS: z
    .string()
    .trim()
    .regex(/^(\d{17,20}(,\d{17,20})*)?$/, 'must be a comma-separated list of Discord application ids')
    .default(`${PLURALKIT_APPLICATION_ID},${TUPPERBOX_APPLICATION_ID}`),

  WEBHOOKS_PER_CHANNEL: integer(1, 10).default(2),
  WEBHOOK_GLOBAL_RATE_PER_SECOND: integer(1, 100_000).default(50),
  WEBHOOK_RATE_MARGIN_MS: integer(0, 1000).default(30),
  WEBHOOK_CHANNEL_PER_MINUTE: integer(0, 10_000).default(30),

  STREAM_REPLIES: booleanFlag.default(true),
  STREAM_EDIT_INTERVAL_MS: integer(200, 60_000).default(1200),
  ROUTING_CACHE_TTL_MS: integer(0, 3_600_000).default(30_000),
  PERSONALITY_CACHE_TTL_MS: integer(0, 3_600_000).default(30_000),

  SHARD_COUNT: z
    .literal('')
    .transform(() => undefined)
    .or(integer(1, 4096))
    .optional(),
  SHARD_IDS: z
    .literal('')
    .transform(() => undefined)
    .or(z.string().regex(/^\d+(,\d+)*$/, 'must be a comma-separated list of shard numbers'))
    .optional(),

  /** Records each reply's prompt and step timings for the playground's Inspector (user content: never in production). */
  DEBUG_PROMPTS: booleanFlag.default(false),

  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HTTP_PORT: integer(0, 65_535).default(0),
});

export type Env = z.infer<typeof EnvSchema>;
export type ProviderEntry = z.infer<typeof ProviderEntrySchema>;

/** Names of variables whose values are secrets: never printed, not even in validation errors. */
export const SECRET_VARIABLES = new Set([
  'DISCORD_TOKEN',
  'AI_API_KEY',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEY_PREVIOUS',
]);
