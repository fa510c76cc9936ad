import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';

/**
 * AES-256-GCM sealing of users' provider keys. Pure: the caller supplies the 12-byte IV (random per write).
 * A sealed key is `v1:<iv>:<tag>:<ciphertext>` (base64 parts); the additional authenticated data binds it
 * to one user and provider, so a ciphertext copied to another user's record does not decrypt.
 */

/** Format version written in front of every sealed key. */
export const API_KEY_CIPHER_VERSION = 'v1';
/** Bytes of the GCM nonce. */
export const API_KEY_IV_BYTES = 12;
const KEY_BYTES = 32;
const TAG_BYTES = 16;

/** A sealed key could not be opened: tampered, wrong key, wrong AAD, or not our format. */
export class ApiKeyCipherError extends Error {
  override readonly name = 'ApiKeyCipherError';
}

/** The additional authenticated data of a user's key for a provider. */
export function buildApiKeyAad(userId: string, provider: string): string {
  return `chorus:api-key:${userId}:${provider}`;
}

/** A short non-reversible id of a key: the first 12 hex characters of its SHA-256. */
export function buildApiKeyFingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey, 'utf8').digest('hex').slice(0, 12);
}

function checkKey(encryptionKey: Buffer): void {
  if (encryptionKey.length !== KEY_BYTES)
    throw new ApiKeyCipherError(`encryption key must be ${KEY_BYTES} bytes`);
}

/** Seals `plaintext` under `encryptionKey` with `aad`. */
export function sealApiKey(input: {
  readonly plaintext: string;
  readonly encryptionKey: Buffer;
  readonly aad: string;
  readonly iv: Uint8Array;
}): string {
  checkKey(input.encryptionKey);
  if (input.iv.length !== API_KEY_IV_BYTES)
    throw new ApiKeyCipherError(`IV must be ${API_KEY_IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', input.encryptionKey, input.iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(input.aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final()]);
  return [
    API_KEY_CIPHER_VERSION,
    Buffer.from(input.iv).toString('base64'),
    cipher.getAuthTag().toString('base64'),
    ciphertext.toString('base64'),
  ].join(':');
}

/** Opens a sealed key. @throws ApiKeyCipherError when it does not authenticate. */
export function openApiKey(input: {
  readonly sealed: string;
  readonly encryptionKey: Buffer;
  readonly aad: string;
}): string {
  checkKey(input.encryptionKey);
  const parts = input.sealed.split(':');
  if (parts.length !== 4 || parts[0] !== API_KEY_CIPHER_VERSION) {
    throw new ApiKeyCipherError('not a sealed API key of a known version');
  }
  const iv = Buffer.from(parts[1]!, 'base64');
  const tag = Buffer.from(parts[2]!, 'base64');
  if (iv.length !== API_KEY_IV_BYTES || tag.length !== TAG_BYTES)
    throw new ApiKeyCipherError('malformed sealed API key');
  try {
    const decipher = createDecipheriv('aes-256-gcm', input.encryptionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(input.aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch (error) {
    // Never include the input: it is (derived from) a secret.
    throw new ApiKeyCipherError('sealed API key did not authenticate', { cause: error });
  }
}
