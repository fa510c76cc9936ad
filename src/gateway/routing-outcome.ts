import type { AdmissionResult } from '../queue/index.js';
import type { Trigger } from '../queue/reply-job.js';
import type { PolicyNotice } from './policy-notice.js';
import type { OverQuotaResult } from './quota-check.js';

/** A message that joined the reply to the same user's previous message (`jobId`) instead of being admitted. */
export interface JoinedResult {
  readonly outcome: 'joined';
  /** The reply job that answers the group. */
  readonly jobId: string;
}

/** A personality a message addressed, and what became of its reply. */
export interface AddressedPersonality {
  personalityId: string;
  trigger: Trigger;
  admission: AdmissionResult | JoinedResult | OverQuotaResult;
}

/** What routing one message produced, for the caller to act on (notices) and for tests/metrics. */
export interface RoutingOutcome {
  readonly addressed: readonly AddressedPersonality[];
  /** Limit notices to post as the bot (at most one per user per limit window, decided in Redis). */
  readonly notices: readonly string[];
  /**
   * A personality the message addressed (by mention or reply) that the server's settings keep silent, when the
   * sender is to be told by DM (claimed in Redis: at most once per user per window); null otherwise.
   */
  readonly policyNotice: PolicyNotice | null;
}
