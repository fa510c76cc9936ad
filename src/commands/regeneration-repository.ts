import type { RedisClient } from '../redis/index.js';
import { buildRegenerationKey } from './keys.js';

/** Options for {@link RegenerationRepository}. */
export interface RegenerationRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * How long a regeneration stays traceable to its message, in ms: as long as a posted reply stays in the
   * message index (`MessageIndexRepository`), after which it cannot be regenerated anyway. @defaultValue 604800000
   */
  ttlMs: number;
}

export const DefaultRegenerationRepositoryOptions = {
  ttlMs: 7 * 24 * 3600 * 1000,
} as const satisfies Omit<Required<RegenerationRepositoryOptions>, 'prefix'>;

/**
 * Regeneration id → the user message it re-answers. A regenerated reply's job carries the Regenerate
 * interaction's id where a message id goes (a new id, so the reply pipeline treats it as a new request rather
 * than a duplicate of the first answer); this maps it back to the user's message.
 */
export class RegenerationRepository {
  readonly options: Readonly<RegenerationRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<RegenerationRepositoryOptions, 'prefix'> & Partial<RegenerationRepositoryOptions>,
  ) {
    this.options = { ...DefaultRegenerationRepositoryOptions, ...options };
  }

  async record(regenerationId: string, sourceMessageId: string): Promise<void> {
    await this.redis.set(
      buildRegenerationKey(this.options.prefix, regenerationId),
      sourceMessageId,
      'PX',
      this.options.ttlMs,
    );
  }

  /** The user message `id` re-answers when `id` is a regeneration; null when it is a message id itself. */
  async fetchSource(id: string): Promise<string | null> {
    return this.redis.get(buildRegenerationKey(this.options.prefix, id));
  }
}
