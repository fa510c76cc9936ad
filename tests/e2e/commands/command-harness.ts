/**
 * Chorus's command handler in-process against the Discord sandbox: a real discord.js Client receives the
 * interactions, the real handler answers them with real Redis behind it. Tests drive users through the
 * sandbox's control API and read what they would see.
 */
import { once } from 'node:events';
import { REST } from '@discordjs/rest';
import { Worker } from 'bullmq';
import { Client, GatewayIntentBits, Partials } from 'discord.js';
import type { Redis } from 'ioredis';
import {
  type CommandOptionValue,
  type CommandPath,
  DiscordSandbox,
  type InteractionResponse,
} from '../../../sandbox/index.js';
import { AiService } from '../../../src/ai/index.js';
import { type CommandHandler, createCommandHandler, deployCommands } from '../../../src/commands/index.js';
import { type Config, loadConfig } from '../../../src/config/index.js';
import { createLogger, type Logger } from '../../../src/log/index.js';
import { buildBullPrefix, ReplyAdmission } from '../../../src/queue/index.js';
import {
  ApiKeyRepository,
  ChannelActivityRepository,
  type Personality,
  type PersonalityDraft,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { createTaskQueue, TASK_QUEUE_NAME, TaskProcessor, type TaskQueue } from '../../../src/tasks/index.js';
import { WebhookManager } from '../../../src/webhooks/index.js';
import { buildTestEnv } from '../../support/env.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

/** Discord's EPHEMERAL message flag. */
export const EPHEMERAL = 64;

/** A second provider besides the default one, so provider/model rules and autocomplete have choices. */
const PROVIDERS_JSON = JSON.stringify({
  other: {
    baseUrl: 'http://127.0.0.1:9/v1',
    apiKeyEnv: 'OTHER_AI_KEY',
    models: ['other-large', 'other-small'],
  },
});

export interface HarnessOptions {
  /** Extra environment for the Config (limits, AI_BASE_URL…). */
  readonly env?: Record<string, string>;
  /** How many handler replicas (each its own discord.js Client) share the prefix. @defaultValue 1 */
  readonly replicas?: number;
}

/** What a test must say about a personality; {@link CommandHarness.createPersonality} fills the rest. */
export type PersonalityFields = Pick<PersonalityDraft, 'ownerId' | 'name' | 'visibility'> &
  Partial<PersonalityDraft>;

/** One running handler replica. */
export interface Replica {
  readonly client: Client;
  readonly handler: CommandHandler;
}

export class CommandHarness {
  private readonly stoppers: Array<() => Promise<void>> = [];
  /** Channel ids the task worker was asked to forget the webhook state of, in order. */
  readonly forgottenChannels: string[] = [];
  readonly personalities: PersonalityRepository;

  private constructor(
    /** Every JSON line the handlers logged. */
    readonly logLines: string[],
    readonly sandbox: DiscordSandbox,
    readonly redis: Redis,
    readonly prefix: string,
    readonly config: Config,
    readonly logger: Logger,
    readonly admission: ReplyAdmission,
    readonly tasks: TaskQueue,
    readonly replicas: Replica[],
    readonly guildId: string,
  ) {
    this.personalities = new PersonalityRepository(redis, { prefix });
  }

  static async start(options: HarnessOptions = {}): Promise<CommandHarness> {
    const sandbox = await DiscordSandbox.start();
    const redis = createTestRedis();
    const prefix = createTestPrefix();
    const config = loadConfig(
      buildTestEnv({
        AI_PROVIDERS: PROVIDERS_JSON,
        OTHER_AI_KEY: 'sk-other-operator-key',
        REDIS_PREFIX: prefix,
        ENCRYPTION_KEY: 'ab'.repeat(32),
        ...options.env,
      }),
    );
    const logLines: string[] = [];
    const logger = createLogger(
      { level: 'debug', service: 'test-gateway' },
      { write: (line: string) => logLines.push(line) },
    );
    const admission = new ReplyAdmission(redis, { prefix, logger, limits: config.limits });
    const tasks = createTaskQueue(redis, { prefix, logger });
    const guildId = sandbox.createGuild({ name: 'commands' }).id;
    const rest = new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token);
    await deployCommands(rest, { applicationId: sandbox.bot.applicationId, guildId: undefined });
    const replicas: Replica[] = [];
    for (let index = 0; index < (options.replicas ?? 1); index += 1) {
      const client = new Client({
        // The gateway's intents (src/gateway/discord-client.ts): Regenerate reads the original message's content.
        intents: [
          GatewayIntentBits.Guilds,
          GatewayIntentBits.GuildMessages,
          GatewayIntentBits.MessageContent,
          GatewayIntentBits.DirectMessages,
        ],
        partials: [Partials.Channel],
        rest: { api: sandbox.restUrl },
      });
      const handler = createCommandHandler({
        redis,
        config,
        admission,
        tasks,
        logger,
        options: { replicaId: `replica-${index}` },
      });
      client.on('interactionCreate', (interaction) => void handler.handle(interaction));
      const ready = once(client, 'clientReady');
      await client.login(sandbox.bot.token);
      await ready;
      replicas.push({ client, handler });
    }
    return new CommandHarness(
      logLines,
      sandbox,
      redis,
      prefix,
      config,
      logger,
      admission,
      tasks,
      replicas,
      guildId,
    );
  }

  /** A new user, member of the test guild (with `permissions` through a role of their own, when given). */
  addUser(name: string, permissions?: bigint): string {
    const user = this.sandbox.createUser({ username: name, globalName: name });
    this.sandbox.addMember(this.guildId, user.id, permissions === undefined ? {} : { permissions });
    return user.id;
  }

  channel(name: string): string {
    return this.sandbox.createChannel(this.guildId, { name }).id;
  }

  /**
   * Stores a personality straight in Redis, no command run: on the default provider's `stub-model`, prompt
   * `p`, no avatar or temperature unless `fields` say.
   */
  createPersonality(fields: PersonalityFields): Promise<Personality> {
    return this.personalities.create({
      systemPrompt: 'p',
      avatarUrl: null,
      provider: 'default',
      model: 'stub-model',
      temperature: null,
      ...fields,
    });
  }

  /** Runs a slash command and resolves with the bot's first response (or the first matching one). */
  async run(
    userId: string,
    channelId: string,
    name: string,
    options: Readonly<Record<string, CommandOptionValue>> = {},
    path: CommandPath = {},
    predicate?: (response: InteractionResponse) => boolean,
  ): Promise<InteractionResponse> {
    return this.sandbox
      .runSlashCommand(userId, channelId, name, options, path)
      .waitForResponse(predicate, 5000);
  }

  /** The logged lines as objects. */
  logs(): Array<Record<string, unknown>> {
    return this.logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /**
   * Runs the worker side of tasks in this process, as the reply worker does: a BullMQ Worker on the task
   * queue with the real TaskProcessor, AiService (pointed at `AI_BASE_URL`) and WebhookManager.
   */
  async startTaskWorker(): Promise<{ webhooks: WebhookManager }> {
    const rest = new REST({ api: this.sandbox.restUrl }).setToken(this.sandbox.bot.token);
    const ai = new AiService({ config: this.config.ai, logger: this.logger });
    const webhooks = new WebhookManager({
      rest,
      redis: this.redis,
      prefix: this.prefix,
      applicationId: this.sandbox.bot.applicationId,
      logger: this.logger,
      encryptionKey: this.config.encryptionKey,
    });
    const processor = new TaskProcessor({
      apiKeys: new ApiKeyRepository(this.redis, {
        prefix: this.prefix,
        encryptionKey: this.config.encryptionKey,
      }),
      ai,
      webhooks,
      channelActivity: new ChannelActivityRepository(this.redis, { prefix: this.prefix }),
      channelWebhooks: {
        forgetChannels: async (channelIds) => {
          this.forgottenChannels.push(...channelIds);
        },
      },
      rest,
      logger: this.logger,
    });
    const connection = createTestRedis();
    const worker = new Worker(TASK_QUEUE_NAME, (job) => processor.process(job), {
      connection,
      prefix: buildBullPrefix(this.prefix),
    });
    this.stoppers.push(async () => {
      await worker.close();
      await ai.close();
      connection.disconnect();
    });
    return { webhooks };
  }

  async close(): Promise<void> {
    for (const stop of this.stoppers) await stop();
    await Promise.all(this.replicas.map((replica) => replica.client.destroy()));
    await this.tasks.close();
    await this.admission.close();
    await this.sandbox.close();
    await deleteKeysWithPrefix(this.redis, this.prefix);
    this.redis.disconnect();
  }
}

/** The text a response shows: its content, then its embeds as JSON (for `toContain` checks). */
export function shownText(response: InteractionResponse): string {
  return [response.content ?? '', ...response.embeds.map((embed) => JSON.stringify(embed))].join('\n');
}

/** The custom ids of the buttons on a response, in order. */
export function buttonIds(components: readonly unknown[]): string[] {
  return components.flatMap((row) =>
    ((row as { components?: Array<{ custom_id?: string }> }).components ?? []).map(
      (button) => button.custom_id ?? '',
    ),
  );
}

export function isEphemeral(response: InteractionResponse): boolean {
  return (response.flags & EPHEMERAL) !== 0;
}
