/** The fingerprint standing for a provider's own (operator) key in breaker keys, stats and logs. */
export const OPERATOR_KEY_FINGERPRINT = 'operator';

/**
 * `<provider>/<model>/<keyFingerprint>`: one breaker per provider, model and API key, so a failing model or a
 * user's broken key never opens the breaker the others go through. Fingerprints, never keys.
 */
export function buildBreakerKey(provider: string, model: string, keyFingerprint: string): string {
  return `${provider}/${model}/${keyFingerprint}`;
}
