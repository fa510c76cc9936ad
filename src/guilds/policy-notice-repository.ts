import type { RedisClient } from '../redis/index.js';
import { buildPolicyNoticeKey } from './keys.js';

/** Options for {@link PolicyNoticeRepository}. */
export interface PolicyNoticeRepositoryOptions {
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  /** At most one notice per user in this window (ms). @defaultValue 600_000 */
  readonly windowMs: number;
}

/**
 * Claims the right to tell a user why a personality stayed silent: at most once per user per window, however
 * many gateways refuse their messages (the claim is one `SET NX PX`).
 */
export class PolicyNoticeRepository {
  readonly options: Readonly<PolicyNoticeRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<PolicyNoticeRepositoryOptions, 'prefix'> & Partial<PolicyNoticeRepositoryOptions>,
  ) {
    this.options = { windowMs: 600_000, ...options };
  }

  /** true when the user has not been told in the current window (and now counts as told). */
  async claim(userId: string): Promise<boolean> {
    const key = buildPolicyNoticeKey(this.options.prefix, userId);
    return (await this.redis.set(key, '1', 'PX', this.options.windowMs, 'NX')) === 'OK';
  }
}
