import type { Config } from '../config/index.js';
import type { ChannelWindowRepository } from '../context/index.js';
import type { GuildSettingsRepository } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import type { MemoryRepository } from '../memory/index.js';
import type { ReplyAdmission } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import type { DeliveryLedger } from '../replies/delivery-ledger.js';
import type {
  ActivationRepository,
  ApiKeyRepository,
  ConversationRepository,
  MessageIndexRepository,
  PersonalityRepository,
  UserDataEraser,
} from '../state/index.js';
import type { TaskQueue } from '../tasks/index.js';
import type { RegenerationRepository } from './regeneration-repository.js';

/** The configuration the commands read: providers for validation, limits and history caps for /help. */
export type CommandConfig = Pick<Config, 'ai' | 'limits' | 'conversation'>;

/** Everything the command handlers use. Repositories and queues only: the gateway never calls the AI. */
export interface CommandDependencies {
  readonly redis: RedisClient;
  /** `REDIS_PREFIX`, for the read-only lookups of /status. */
  readonly prefix: string;
  readonly config: CommandConfig;
  readonly personalities: PersonalityRepository;
  readonly activations: ActivationRepository;
  readonly conversations: ConversationRepository;
  /** Rolling summaries and notes (`/memory`); `/reset` and `/forget-me` clear them too. */
  readonly memory: MemoryRepository;
  readonly apiKeys: ApiKeyRepository;
  readonly messageIndex: MessageIndexRepository;
  readonly eraser: UserDataEraser;
  /** The reply worker's per-job delivery records, which carry the user's tag and go with /forget-me. */
  readonly deliveries: DeliveryLedger;
  /** The channels' kept conversation: the user's lines leave every window with /forget-me. */
  readonly channelWindows: Pick<ChannelWindowRepository, 'forgetUser'>;
  readonly regenerations: RegenerationRepository;
  /** Each server's `/server` settings. */
  readonly guildSettings: GuildSettingsRepository;
  /** Admits regenerated replies; its queue also gives /status the queue depth. */
  readonly admission: ReplyAdmission;
  readonly tasks: TaskQueue;
  readonly logger: Logger;
  readonly now: () => number;
}

/** What each command module receives for one interaction. */
export interface CommandContext {
  readonly deps: CommandDependencies;
  /** The commands module's logger. */
  readonly log: Logger;
  /** The interaction's correlation id, handed on to the jobs it enqueues so their logs join up. */
  readonly correlationId: string;
}
