import { createHash } from 'node:crypto';

/** The additional authenticated data of a user's key for a provider (see `src/crypto`). */
export function buildApiKeyAad(userId: string, provider: string): string {
  return `chorus:api-key:${userId}:${provider}`;
}

/** A short non-reversible id of a key: the first 12 hex characters of its SHA-256. */
export function buildApiKeyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 12);
}
