import { describe, expect, it } from 'vitest';
import {
  API_KEY_IV_BYTES,
  ApiKeyCipherError,
  buildApiKeyAad,
  buildApiKeyFingerprint,
  openApiKey,
  sealApiKey,
} from '../../../src/state/api-key-cipher.js';

const encryptionKey = Buffer.alloc(32, 3);
const iv = new Uint8Array(API_KEY_IV_BYTES).fill(9);
const aad = buildApiKeyAad('100000000000000001', 'openai');
const plaintext = 'sk-live-secret-0123456789';

function seal(): string {
  return sealApiKey({ plaintext, encryptionKey, aad, iv });
}

/** Flips one bit of the base64 part at `index` of a sealed key. */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64');
  bytes[0] = bytes[0]! ^ 1;
  parts[index] = bytes.toString('base64');
  return parts.join(':');
}

describe('api-key-cipher', () => {
  it('round-trips a key', () => {
    expect(openApiKey({ sealed: seal(), encryptionKey, aad })).toBe(plaintext);
  });

  it('writes version:iv:tag:ciphertext without the plaintext', () => {
    const sealed = seal();
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain(plaintext);
  });

  describe('when the sealed key was tampered with', () => {
    it.each([
      ['the IV', 1],
      ['the tag', 2],
      ['the ciphertext', 3],
    ])('refuses a changed %s', (_part, index) => {
      expect(() => openApiKey({ sealed: tamper(seal(), index), encryptionKey, aad })).toThrow(
        ApiKeyCipherError,
      );
    });
  });

  describe('when it is opened for another user or provider', () => {
    it.each([
      ['another user', buildApiKeyAad('100000000000000002', 'openai')],
      ['another provider', buildApiKeyAad('100000000000000001', 'other')],
    ])('refuses %s', (_case, otherAad) => {
      expect(() => openApiKey({ sealed: seal(), encryptionKey, aad: otherAad })).toThrow(ApiKeyCipherError);
    });
  });

  it.each([
    ['a wrong key', { encryptionKey: Buffer.alloc(32, 4) }],
    ['a short key', { encryptionKey: Buffer.alloc(16) }],
    ['an unknown version', { sealed: seal().replace(/^v1/, 'v9') }],
    ['a malformed value', { sealed: 'v1:abc' }],
  ])('refuses %s', (_case, overrides) => {
    expect(() => openApiKey({ sealed: seal(), encryptionKey, aad, ...overrides })).toThrow(ApiKeyCipherError);
  });

  it('never puts the input in its error', () => {
    const sealed = seal();
    try {
      openApiKey({ sealed, encryptionKey: Buffer.alloc(32, 4), aad });
    } catch (error) {
      expect(String(error)).not.toContain(sealed);
    }
  });

  it('rejects an IV of the wrong size', () => {
    expect(() => sealApiKey({ plaintext, encryptionKey, aad, iv: new Uint8Array(8) })).toThrow(
      ApiKeyCipherError,
    );
  });

  describe('buildApiKeyFingerprint', () => {
    it('is the first 12 hex characters of SHA-256', () => {
      // sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
      expect(buildApiKeyFingerprint('abc')).toBe('ba7816bf8f01');
    });
  });
});
