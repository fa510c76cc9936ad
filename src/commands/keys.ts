import { buildKey } from '../redis/index.js';

/**
 * Redis keys of the commands area, one pure builder per key. Neither holds user-written data: an
 * interaction's claim and a regeneration's pointer are ids only, keyed by the interaction, and expire.
 */
const AREA = 'commands';

/** STRING (expiring): the gateway replica that took an interaction, so a replica seeing it too skips it. */
export function buildInteractionClaimKey(prefix: string, interactionId: string): string {
  return buildKey(prefix, AREA, 'interaction', interactionId);
}

/**
 * STRING (expiring): the user message a regeneration re-answers. A regeneration's reply job is named after
 * the Regenerate interaction, so regenerating that reply again needs this to find the original message.
 */
export function buildRegenerationKey(prefix: string, regenerationId: string): string {
  return buildKey(prefix, AREA, 'regeneration', regenerationId);
}
