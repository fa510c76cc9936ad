import type { RedisClient } from '../redis/index.js';
import { buildChainBudgetKey, buildChainLinkKey } from './keys.js';
import { QueueScript, runQueueScript } from './queue-scripts.js';

/** Options for {@link ChainLinkRepository}. */
export interface ChainLinkRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** Links one channel may start per window (`PERSONALITY_CHAIN_PER_MINUTE`; 0 = none). */
  perWindow: number;
  /** The budget's window, in ms: it starts with the channel's first link and lasts this long. @defaultValue 60000 */
  windowMs: number;
  /**
   * How long a decided link stays decided, in ms: longer than the chunks of one reply take to arrive (and a
   * gateway's replayed events after a resume). @defaultValue 600000 (10 minutes)
   */
  claimTtlMs: number;
}

export const DefaultChainLinkRepositoryOptions = {
  windowMs: 60_000,
  claimTtlMs: 600_000,
} as const satisfies Omit<Required<ChainLinkRepositoryOptions>, 'prefix' | 'perWindow'>;

/** One link of a personality chain: the reply of `speakerId` to `sourceMessageId` named `targetId`. */
export interface ChainLinkClaimInput {
  readonly channelId: string;
  /** The message the speaking personality's reply answered (its job's message). */
  readonly sourceMessageId: string;
  readonly speakerId: string;
  readonly targetId: string;
}

/**
 * `claimed`: the link may start; `decided`: an earlier message of the same reply (or another gateway replica)
 * already decided it; `budget-spent`: the channel has run its links for this window.
 */
export type ChainLinkClaim = 'claimed' | 'decided' | 'budget-spent';

const CLAIM_RESULTS: Readonly<Record<number, ChainLinkClaim>> = {
  1: 'claimed',
  0: 'decided',
  [-1]: 'budget-spent',
};

/**
 * Decides, atomically and once, whether a personality's reply naming another starts a link: one per reply and
 * named personality, within the channel's per-minute budget. One script on the channel's slot.
 */
export class ChainLinkRepository {
  readonly options: Readonly<ChainLinkRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ChainLinkRepositoryOptions, 'prefix' | 'perWindow'> & Partial<ChainLinkRepositoryOptions>,
  ) {
    this.options = { ...DefaultChainLinkRepositoryOptions, ...options };
  }

  async claim(input: ChainLinkClaimInput): Promise<ChainLinkClaim> {
    const { prefix, claimTtlMs, windowMs, perWindow } = this.options;
    const code = await runQueueScript<number>(
      this.redis,
      QueueScript.claimChainLink,
      [
        buildChainLinkKey(prefix, input.channelId, input.sourceMessageId, input.speakerId, input.targetId),
        buildChainBudgetKey(prefix, input.channelId),
      ],
      [claimTtlMs, windowMs, perWindow],
    );
    const result = CLAIM_RESULTS[code];
    if (result === undefined) throw new Error(`claimChainLink returned an unknown code ${code}`);
    return result;
  }
}
