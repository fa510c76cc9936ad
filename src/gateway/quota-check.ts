import type { RedisBatch } from '../redis/index.js';
import type { ApiKeyRepository, Personality } from '../state/index.js';
import {
  decideQuota,
  hasQuotas,
  type QuotaUsage,
  type TokenQuotas,
  type UsageRepository,
} from '../usage/index.js';
import type { InboundMessage } from './inbound-message.js';

/** What routing needs to apply the operator's token quotas. */
export interface QuotaChecks {
  readonly limits: TokenQuotas;
  readonly usage: Pick<UsageRepository, 'fetchQuotaUsage' | 'claimQuotaNotice'>;
  /** Whether the author has a key for a provider (read, never decrypted: the gateway holds no keys). */
  readonly apiKeys: Pick<ApiKeyRepository, 'fetchProviders'>;
}

/** A message a personality would have answered, skipped because an operator quota is spent. */
export interface OverQuotaResult {
  readonly outcome: 'over-quota';
  readonly scope: 'user' | 'guild';
  /** When the quota resets, Unix ms. */
  readonly resetsAt: number;
}

/** What the quota check reads with the lookups. */
export interface QuotaState {
  readonly usage: QuotaUsage;
  readonly keyProviders: ReadonlySet<string>;
}

/**
 * Today's operator-paid tokens of the author and the server, and the providers the author has a key for, in
 * `batch`; null (nothing read) when no quota is set.
 */
export async function fetchQuotaState(
  quotas: QuotaChecks | undefined,
  message: InboundMessage,
  clock: { readonly now: () => number },
  batch: RedisBatch,
): Promise<QuotaState | null> {
  if (quotas === undefined || !hasQuotas(quotas.limits)) return null;
  const [usage, keyProviders] = await Promise.all([
    quotas.usage.fetchQuotaUsage(message.authorId, message.guildId, clock.now(), batch),
    quotas.apiKeys.fetchProviders(message.authorId, batch),
  ]);
  return { usage, keyProviders };
}

/**
 * Whether a spent quota skips the message to `personality`: never when its provider would be paid by the
 * author's own key. null = it may be admitted.
 */
export function checkQuota(
  limits: TokenQuotas | undefined,
  quota: QuotaState | null,
  personality: Personality | undefined,
  now: number,
): OverQuotaResult | null {
  if (quota === null || limits === undefined || personality === undefined) return null;
  const ownKey = quota.keyProviders.has(personality.provider);
  const decision = decideQuota(limits, quota.usage, ownKey, now);
  return decision.allowed
    ? null
    : { outcome: 'over-quota', scope: decision.scope, resetsAt: decision.resetsAt };
}
