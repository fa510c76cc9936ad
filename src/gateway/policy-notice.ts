import type { PolicyNoticeRepository, PolicyRefusal, PolicyVerdict } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import type { Personality } from '../state/index.js';
import type { InboundMessage } from './inbound-message.js';

/** Why a personality the sender addressed did not answer. */
export interface PolicyNotice {
  readonly personalityName: string;
  readonly reason: PolicyRefusal;
}

/** What claiming a policy notice needs. */
export interface PolicyNoticeDependencies {
  /** Claims the one DM per user per window telling why a personality stayed silent. */
  readonly policyNotices: PolicyNoticeRepository;
  readonly logger: Logger;
}

/** A message's addressees as the server's settings judged them. */
export interface PolicyNoticeRequest {
  readonly message: InboundMessage;
  /** The personalities addressed on purpose (the reply target, then the mentioned), in that order. */
  readonly addressedIds: ReadonlyArray<string | undefined>;
  readonly byId: ReadonlyMap<string, Personality>;
  readonly policy: (id: string) => PolicyVerdict | undefined;
  /** Whether the sender is told at all: a chain link's refusal is only logged. */
  readonly notify: boolean;
}

/**
 * The notice for the first personality addressed on purpose that the server's settings keep silent, when this
 * user has not been told in the current window and is to be told at all. Only a personality addressed on purpose
 * earns a notice: an activated one stays silent.
 */
export async function claimPolicyNotice(
  deps: PolicyNoticeDependencies,
  { message, addressedIds, byId, policy, notify }: PolicyNoticeRequest,
): Promise<PolicyNotice | null> {
  const personalityId = addressedIds.find((id) => id !== undefined && policy(id)?.allowed === false);
  if (personalityId === undefined) return null;
  const verdict = policy(personalityId);
  const personality = byId.get(personalityId);
  if (verdict === undefined || verdict.allowed || personality === undefined) return null;
  deps.logger.debug(
    { messageId: message.id, guildId: message.guildId, personalityId, reason: verdict.reason },
    'personality kept silent by the server’s settings',
  );
  if (!notify || !(await deps.policyNotices.claim(message.authorId))) return null;
  return { personalityName: personality.name, reason: verdict.reason };
}
