import type CircuitBreaker from 'opossum';
import type { ProviderCallInput, ProviderClient, ProviderReply } from './provider-client.js';

/** A breaker's state, as reported outside. */
export type BreakerState = 'closed' | 'half-open' | 'open';

/** A live breaker with the client it guards, and what the registry and the fleet sync keep about it. */
export interface BreakerEntry {
  readonly key: string;
  readonly provider: string;
  readonly model: string;
  readonly keyFingerprint: string;
  readonly breaker: CircuitBreaker<[ProviderCallInput], ProviderReply>;
  /** The options object opossum keeps and reads `resetTimeout` from each time the breaker opens. */
  readonly breakerOptions: CircuitBreaker.Options<[ProviderCallInput]>;
  /** Closed with the breaker, so its kept-alive connections go with it. */
  readonly client: ProviderClient;
  lastUsedAt: number;
  /** When its probe is (or was) due (Unix ms, from the registry's clock); null while closed. */
  probeAt: number | null;
  /** Counts the openings (not deadline moves): a call waiting for a probe tells a failed probe by it. */
  openings: number;
  /** The fleet opening it made or followed last (kept once closed, so a late word of it is ignored). */
  openingId: string | null;
  /** Calls waiting for its next transition. */
  readonly waiters: Set<() => void>;
  /** The fleet's state was read for it at least once (it is read when the breaker is new or open). */
  fleetSynced: boolean;
  /** When the fleet's state was last read or written for it (registry clock). */
  fleetSyncedAt: number;
  /** The read or claim in flight with the fleet, if any: one at a time. */
  fleetSync: Promise<void> | null;
  /** Set while a transition the fleet asked for is applied: it is logged, not announced back. */
  applyingFleet: boolean;
  /** Set while an open breaker is re-opened with another deadline: no transition is reported. */
  realigning: boolean;
}
