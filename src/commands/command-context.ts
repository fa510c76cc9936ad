import type { AttachmentFetcher } from '../ai/index.js';
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
  GreetingRepository,
  MessageIndexRepository,
  PersonalityRepository,
  UserDataEraser,
} from '../state/index.js';
import type { TaskQueue } from '../tasks/index.js';
import type { UsageRepository } from '../usage/index.js';
import type { RegenerationRepository } from './regeneration-repository.js';

/** The configuration the commands read: providers for validation, limits and history caps for /help. */
export type CommandConfig = Pick<Config, 'ai' | 'limits' | 'conversation'> &
  /** Quotas and the bot's operators (docs/usage.md); absent = no quotas, no operators. */
  Partial<Pick<Config, 'usage'>>;

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
  /** Token counters, for /usage and the operators' /status; absent = neither shows usage. */
  readonly usage?: Pick<UsageRepository, 'fetchUserUsage' | 'fetchOperatorUsage'>;
  readonly tasks: TaskQueue;
  /** Which channels a personality's greeting was posted in (once, on first activation). */
  readonly greetings: Pick<GreetingRepository, 'markChannelGreeted'>;
  /** Downloads the files attached to commands (character cards), from `ATTACHMENT_HOSTS` only. */
  readonly files: Pick<AttachmentFetcher, 'fetchFile'>;
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
