/**
 * The system under test of the end-to-end pipeline tests: a LocalCluster (the Discord sandbox, the AI stub,
 * real gateway and worker processes) on a fresh key prefix of the test Redis, and a connection to that Redis
 * to seed and read the prefix. Created in a `describe` (so repositories can be built from `prefix` and
 * `redis` there), started in `beforeAll`, closed in `afterAll`.
 */
import { REST } from '@discordjs/rest';
import { AiStub } from '../../sandbox/ai-stub/index.js';
import { LocalCluster, type LocalClusterOptions } from '../../scripts/cluster/local-cluster.js';
import { deployCommands } from '../../src/commands/index.js';
import { type Personality, type PersonalityDraft, PersonalityRepository } from '../../src/state/index.js';
import { connectTestRedis, createTestPrefix, deleteKeysWithPrefix, TEST_REDIS_URL } from './redis.js';

/** The cluster's own options, but for where it stores its keys (the harness's Redis and prefix). */
export type PipelineClusterOptions = Partial<Omit<LocalClusterOptions, 'redisUrl' | 'prefix'>>;

export interface PipelineOptions extends PipelineClusterOptions {
  /** How many worker processes run beside the one gateway. @defaultValue 1 */
  readonly workers?: number;
}

/** What a test must say of a personality; {@link PipelineHarness.createPublicPersonality} fills the rest. */
export type PublicPersonalityFields = Pick<PersonalityDraft, 'ownerId' | 'name' | 'systemPrompt'> &
  Partial<Omit<PersonalityDraft, 'visibility'>>;

export class PipelineHarness {
  readonly prefix = createTestPrefix();
  readonly redis = connectTestRedis();
  readonly personalities = new PersonalityRepository(this.redis, { prefix: this.prefix });
  private cluster: LocalCluster | undefined;
  private readonly extraStubs: AiStub[] = [];

  /** Starts the cluster, then one gateway and `workers` workers, each once it logged that it started. */
  async start(options: PipelineOptions = {}): Promise<LocalCluster> {
    const { workers = 1, ...clusterOptions } = options;
    const cluster = await this.startCluster(clusterOptions);
    const workerStarts = Array.from({ length: workers }, () => cluster.spawn('worker'));
    await Promise.all([cluster.spawn('gateway'), ...workerStarts]);
    return cluster;
  }

  /** The cluster alone, for a test that starts each process itself (to hold its handle, or give it env). */
  async startCluster(options: PipelineClusterOptions = {}): Promise<LocalCluster> {
    this.cluster = await LocalCluster.start({ redisUrl: TEST_REDIS_URL, prefix: this.prefix, ...options });
    return this.cluster;
  }

  /** One more AI stub (a second provider, say), closed with the pipeline. */
  async startAiStub(options?: Parameters<typeof AiStub.start>[0]): Promise<AiStub> {
    const stub = await AiStub.start(options);
    this.extraStubs.push(stub);
    return stub;
  }

  /** Registers the slash commands with the sandbox's application, as deploying them to Discord does. */
  async deployCommands(): Promise<void> {
    if (this.cluster === undefined) throw new Error('start the pipeline before deploying its commands');
    const { sandbox } = this.cluster;
    const rest = new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token);
    await deployCommands(rest, { applicationId: sandbox.bot.applicationId, guildId: undefined });
  }

  /** A public personality on the default `stub-small`, with no avatar or temperature unless `fields` say. */
  createPublicPersonality(fields: PublicPersonalityFields): Promise<Personality> {
    return this.personalities.create({
      visibility: 'public',
      avatarUrl: null,
      provider: 'default',
      model: 'stub-small',
      temperature: null,
      ...fields,
    });
  }

  /** Stops every process and stub, deletes the test's keys and disconnects. */
  async close(): Promise<void> {
    await this.cluster?.[Symbol.asyncDispose]();
    await Promise.all(this.extraStubs.map((stub) => stub.close()));
    await deleteKeysWithPrefix(this.redis, this.prefix);
    this.redis.disconnect();
  }
}
