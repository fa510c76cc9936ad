import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM sealing of credentials kept in Redis (users' provider keys, webhook tokens). A sealed value is
 * `v1:<iv>:<tag>:<ciphertext>` (base64 parts); the additional authenticated data binds it to what it belongs to
 * (a user and provider, a webhook), so a ciphertext copied to another record does not open. The functions are
 * pure (the caller supplies the IV); {@link CredentialCipher} adds random IVs and key rotation.
 */

/** Format version written in front of every sealed value. */
export const CREDENTIAL_FORMAT_VERSION = 'v1';
/** Bytes of the GCM nonce. */
export const CREDENTIAL_IV_BYTES = 12;
/** Bytes of an encryption key (`ENCRYPTION_KEY` is 64 hex characters). */
export const CREDENTIAL_KEY_BYTES = 32;
const TAG_BYTES = 16;
const SEALED_PREFIX = `${CREDENTIAL_FORMAT_VERSION}:`;

/** A sealed value could not be opened (tampered, wrong key, wrong AAD, not our format), or a key is unusable. */
export class CredentialCipherError extends Error {
  override readonly name = 'CredentialCipherError';
}

function checkKey(encryptionKey: Buffer, name: string): void {
  if (encryptionKey.length !== CREDENTIAL_KEY_BYTES)
    throw new CredentialCipherError(`${name} must be ${CREDENTIAL_KEY_BYTES} bytes`);
}

/**
 * Whether `value` is in the sealed format. Credentials stored before they were encrypted (webhook tokens of older
 * versions) are not: Discord's tokens never contain `:`.
 */
export function isSealedCredential(value: string): boolean {
  return value.startsWith(SEALED_PREFIX);
}

/** Seals `plaintext` under `encryptionKey` with `aad`. */
export function sealCredential(input: {
  readonly plaintext: string;
  readonly encryptionKey: Buffer;
  readonly aad: string;
  readonly iv: Uint8Array;
}): string {
  checkKey(input.encryptionKey, 'encryption key');
  if (input.iv.length !== CREDENTIAL_IV_BYTES)
    throw new CredentialCipherError(`IV must be ${CREDENTIAL_IV_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', input.encryptionKey, input.iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(input.aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(input.plaintext, 'utf8'), cipher.final()]);
  return [
    CREDENTIAL_FORMAT_VERSION,
    Buffer.from(input.iv).toString('base64'),
    cipher.getAuthTag().toString('base64'),
    ciphertext.toString('base64'),
  ].join(':');
}

/** Opens a sealed value. @throws CredentialCipherError when it does not authenticate. */
export function openCredential(input: {
  readonly sealed: string;
  readonly encryptionKey: Buffer;
  readonly aad: string;
}): string {
  checkKey(input.encryptionKey, 'encryption key');
  const parts = input.sealed.split(':');
  if (parts.length !== 4 || parts[0] !== CREDENTIAL_FORMAT_VERSION) {
    throw new CredentialCipherError('not a sealed credential of a known version');
  }
  const iv = Buffer.from(parts[1]!, 'base64');
  const tag = Buffer.from(parts[2]!, 'base64');
  if (iv.length !== CREDENTIAL_IV_BYTES || tag.length !== TAG_BYTES)
    throw new CredentialCipherError('malformed sealed credential');
  try {
    const decipher = createDecipheriv('aes-256-gcm', input.encryptionKey, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(input.aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(parts[3]!, 'base64')), decipher.final()]).toString(
      'utf8',
    );
  } catch (error) {
    // Never include the input: it is (derived from) a secret.
    throw new CredentialCipherError('sealed credential did not authenticate', { cause: error });
  }
}

/** Keys of a {@link CredentialCipher}. */
export interface CredentialCipherOptions {
  /** `Config['encryptionKey']`: seals everything, opens first. 32 bytes. */
  readonly encryptionKey: Buffer;
  /**
   * `Config['previousEncryptionKey']`: the key before a rotation, used only to open what the current key does not.
   * 32 bytes, or undefined when no rotation is under way.
   */
  readonly previousEncryptionKey: Buffer | undefined;
}

/** A credential opened by {@link CredentialCipher.open}. */
export interface OpenedCredential {
  readonly plaintext: string;
  /** Sealed under the previous key: the caller should store it sealed again under the current one. */
  readonly stale: boolean;
}

/** Seals under the current key with a random IV; opens under the current key, else the previous one. */
export class CredentialCipher {
  readonly #encryptionKey: Buffer;
  readonly #previousEncryptionKey: Buffer | undefined;

  constructor(options: CredentialCipherOptions) {
    checkKey(options.encryptionKey, 'ENCRYPTION_KEY');
    if (options.previousEncryptionKey !== undefined)
      checkKey(options.previousEncryptionKey, 'ENCRYPTION_KEY_PREVIOUS');
    this.#encryptionKey = options.encryptionKey;
    this.#previousEncryptionKey = options.previousEncryptionKey;
  }

  /** Seals `plaintext` under the current key, bound to `aad`. */
  seal(plaintext: string, aad: string): string {
    return sealCredential({
      plaintext,
      encryptionKey: this.#encryptionKey,
      aad,
      iv: randomBytes(CREDENTIAL_IV_BYTES),
    });
  }

  /**
   * Opens a sealed value bound to `aad`, under the current key or else the previous one (then `stale`).
   * @throws CredentialCipherError when neither key opens it; the message says which keys were tried.
   */
  open(sealed: string, aad: string): OpenedCredential {
    try {
      return { plaintext: openCredential({ sealed, encryptionKey: this.#encryptionKey, aad }), stale: false };
    } catch (error) {
      if (this.#previousEncryptionKey === undefined) {
        throw new CredentialCipherError(
          'stored credential opens with neither ENCRYPTION_KEY nor a previous key (ENCRYPTION_KEY_PREVIOUS is not set)',
          { cause: error },
        );
      }
      try {
        const plaintext = openCredential({ sealed, encryptionKey: this.#previousEncryptionKey, aad });
        return { plaintext, stale: true };
      } catch {
        throw new CredentialCipherError(
          'stored credential opens with neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS',
          { cause: error },
        );
      }
    }
  }
}
