import { describe, expect, it } from 'vitest';
import { buildApiKeyAad, buildApiKeyFingerprint } from '../../../src/state/api-key-record.js';

describe('api-key-record', () => {
  describe('buildApiKeyFingerprint', () => {
    it('is the first 12 hex characters of SHA-256', () => {
      // sha256("abc") = ba7816bf8f01cfea414140de5dae2223...
      expect(buildApiKeyFingerprint('abc')).toBe('ba7816bf8f01');
    });
  });

  describe('buildApiKeyAad', () => {
    it('binds a key to its user and provider', () => {
      expect(buildApiKeyAad('1', 'openai')).toBe('chorus:api-key:1:openai');
      expect(buildApiKeyAad('1', 'openai')).not.toBe(buildApiKeyAad('2', 'openai'));
    });
  });
});
