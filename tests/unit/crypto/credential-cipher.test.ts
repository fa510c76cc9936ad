import { describe, expect, it } from 'vitest';
import {
  CREDENTIAL_IV_BYTES,
  CredentialCipher,
  CredentialCipherError,
  isSealedCredential,
  openCredential,
  sealCredential,
} from '../../../src/crypto/index.js';

const encryptionKey = Buffer.alloc(32, 3);
const previousKey = Buffer.alloc(32, 4);
const iv = new Uint8Array(CREDENTIAL_IV_BYTES).fill(9);
const aad = 'chorus:api-key:100000000000000001:openai';
const plaintext = 'sk-live-secret-0123456789';

function seal(key = encryptionKey): string {
  return sealCredential({ plaintext, encryptionKey: key, aad, iv });
}

/** Flips one bit of the base64 part at `index` of a sealed value. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64');
  return parts.join(':');
}

describe('credential-cipher', () => {
  describe('sealCredential / openCredential', () => {
    it('round-trips a credential', () => {
      expect(openCredential({ sealed: seal(), encryptionKey, aad })).toBe(plaintext);
    });

    it('writes version:iv:tag:ciphertext without the plaintext', () => {
      const sealed = seal();
      expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
      expect(sealed).not.toContain(plaintext);
      expect(isSealedCredential(sealed)).toBe(true);
    });

    describe('when the sealed value was tampered with', () => {
      it.each([
        ['the IV', 1],
        ['the tag', 2],
        ['the ciphertext', 3],
      ])('refuses a changed %s', (_part, index) => {
        expect(() => openCredential({ sealed: tamper(seal(), index), encryptionKey, aad })).toThrow(
          CredentialCipherError,
        );
      });
    });

    it.each([
      ['another record (AAD)', { aad: 'chorus:api-key:100000000000000002:openai' }],
      ['a wrong key', { encryptionKey: previousKey }],
      ['a short key', { encryptionKey: Buffer.alloc(16) }],
      ['an unknown version', { sealed: seal().replace(/^v1/, 'v9') }],
      ['a malformed value', { sealed: 'v1:abc' }],
    ])('refuses %s', (_case, overrides) => {
      expect(() => openCredential({ sealed: seal(), encryptionKey, aad, ...overrides })).toThrow(
        CredentialCipherError,
      );
    });

    it('never puts the input in its error', () => {
      const sealed = seal();
      const error = (() => {
        try {
          openCredential({ sealed, encryptionKey: previousKey, aad });
        } catch (caught) {
          return caught;
        }
      })();
      expect(String(error)).not.toContain(sealed);
    });

    it('rejects an IV of the wrong size', () => {
      expect(() => sealCredential({ plaintext, encryptionKey, aad, iv: new Uint8Array(8) })).toThrow(
        CredentialCipherError,
      );
    });
  });

  describe('isSealedCredential', () => {
    it.each([
      ['a Discord webhook token', 'aB3-_x'.repeat(11), false],
      ['an empty value', '', false],
      ['a sealed value', 'v1:a:b:c', true],
    ])('tells %s', (_case, value, sealed) => {
      expect(isSealedCredential(value)).toBe(sealed);
    });
  });

  describe('CredentialCipher', () => {
    const current = new CredentialCipher({ encryptionKey, previousEncryptionKey: undefined });
    const rotating = new CredentialCipher({ encryptionKey, previousEncryptionKey: previousKey });

    it('seals under the current key with a fresh IV each time', () => {
      const first = current.seal(plaintext, aad);
      expect(first).not.toBe(current.seal(plaintext, aad));
      expect(openCredential({ sealed: first, encryptionKey, aad })).toBe(plaintext);
    });

    it('opens what the current key sealed, not stale', () => {
      expect(rotating.open(seal(), aad)).toEqual({ plaintext, stale: false });
    });

    it('opens what the previous key sealed, marked stale for re-sealing', () => {
      expect(rotating.open(seal(previousKey), aad)).toEqual({ plaintext, stale: true });
    });

    describe('when no key opens it', () => {
      it('says which keys were tried, without the input', () => {
        const sealed = seal(Buffer.alloc(32, 7));
        expect(() => current.open(sealed, aad)).toThrow(
          /neither ENCRYPTION_KEY nor a previous key \(ENCRYPTION_KEY_PREVIOUS is not set\)/,
        );
        expect(() => rotating.open(sealed, aad)).toThrow(
          /neither ENCRYPTION_KEY nor ENCRYPTION_KEY_PREVIOUS/,
        );
        expect(() => rotating.open(sealed, aad)).toThrow(CredentialCipherError);
        expect(() => rotating.open(sealed, aad)).not.toThrow(sealed);
      });

      it('refuses a tampered value under either key', () => {
        expect(() => rotating.open(tamper(seal(previousKey), 3), aad)).toThrow(CredentialCipherError);
      });
    });

    it.each([
      ['ENCRYPTION_KEY', { encryptionKey: Buffer.alloc(31), previousEncryptionKey: undefined }],
      ['ENCRYPTION_KEY_PREVIOUS', { encryptionKey, previousEncryptionKey: Buffer.alloc(8) }],
    ])('refuses a %s of the wrong size', (name, options) => {
      expect(() => new CredentialCipher(options)).toThrow(`${name} must be 32 bytes`);
    });
  });
});
