/** ApiKeyRepository against real Redis: keys encrypted at rest, bound to their user, never stored in clear. */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChorusError } from '../../../src/errors/index.js';
import { ApiKeyRepository, buildApiKeyFingerprint } from '../../../src/state/index.js';
import { buildApiKeysKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const USER = '100000000000000001';
const OTHER_USER = '100000000000000002';
const SECRET = 'sk-live-very-secret-key-0123456789';
const ENCRYPTION_KEY = Buffer.alloc(32, 7);
let prefix: string;
let repository: ApiKeyRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  repository = new ApiKeyRepository(redis, {
    prefix,
    encryptionKey: ENCRYPTION_KEY,
    now: () => 1_700_000_000_000,
  });
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('ApiKeyRepository', () => {
  it('stores, returns, lists and removes a user’s key', async () => {
    const { fingerprint } = await repository.set(USER, 'openai', SECRET);
    expect(fingerprint).toBe(buildApiKeyFingerprint(SECRET));
    expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(await repository.fetch(USER, 'openai')).toEqual({ key: SECRET, fingerprint });
    expect(await repository.fetch(USER, 'other')).toBeNull();
    expect(await repository.list(USER)).toEqual([
      { provider: 'openai', fingerprint, updatedAt: 1_700_000_000_000 },
    ]);
    expect(await repository.remove(USER, 'openai')).toBe(true);
    expect(await repository.remove(USER, 'openai')).toBe(false);
    expect(await repository.fetch(USER, 'openai')).toBeNull();
  });

  it('opens a keyring’s keys one provider at a time', async () => {
    const { fingerprint } = await repository.set(USER, 'openai', SECRET);
    await redis.hset(buildApiKeysKey(prefix, USER), 'broken', 'not a record');
    const keyring = await repository.fetchKeyring(USER);
    expect(keyring.open('openai')).toEqual({ key: SECRET, fingerprint });
    expect(keyring.open('broken')).toBeNull();
    expect(keyring.open('other')).toBeNull();
    expect(keyring.open('constructor')).toBeNull();
    expect((await repository.fetchKeyring(OTHER_USER)).open('openai')).toBeNull();
  });

  it('keeps no plaintext at rest', async () => {
    await repository.set(USER, 'openai', SECRET);
    const raw = await redis.hgetall(buildApiKeysKey(prefix, USER));
    const stored = JSON.stringify(raw);
    expect(stored).not.toContain(SECRET);
    expect(stored).not.toContain(Buffer.from(SECRET).toString('base64'));
    expect(JSON.parse(raw['openai']!).sealed).toMatch(/^v1:[^:]+:[^:]+:[^:]+$/);
  });

  it('writes a fresh IV each time', async () => {
    await repository.set(USER, 'openai', SECRET);
    const first = await redis.hget(buildApiKeysKey(prefix, USER), 'openai');
    await repository.set(USER, 'openai', SECRET);
    expect(await redis.hget(buildApiKeysKey(prefix, USER), 'openai')).not.toBe(first);
  });

  describe('when a ciphertext is moved to another user', () => {
    it('refuses to decrypt it', async () => {
      await repository.set(USER, 'openai', SECRET);
      const record = await redis.hget(buildApiKeysKey(prefix, USER), 'openai');
      await redis.hset(buildApiKeysKey(prefix, OTHER_USER), 'openai', record!);
      await expect(repository.fetch(OTHER_USER, 'openai')).rejects.toBeInstanceOf(ChorusError);
      const keyring = await repository.fetchKeyring(OTHER_USER);
      expect(() => keyring.open('openai')).toThrow(ChorusError);
    });
  });

  describe('when the encryption key is rotated (ENCRYPTION_KEY_PREVIOUS)', () => {
    const NEW_KEY = Buffer.alloc(32, 9);
    const rotated = () =>
      new ApiKeyRepository(redis, { prefix, encryptionKey: NEW_KEY, previousEncryptionKey: ENCRYPTION_KEY });
    const newKeyOnly = () => new ApiKeyRepository(redis, { prefix, encryptionKey: NEW_KEY });

    it('reads a key written under the old key and rewrites it under the new one', async () => {
      const { fingerprint } = await repository.set(USER, 'openai', SECRET);
      const before = JSON.parse((await redis.hget(buildApiKeysKey(prefix, USER), 'openai'))!);
      expect(await rotated().fetch(USER, 'openai')).toEqual({ key: SECRET, fingerprint });
      const after = JSON.parse((await redis.hget(buildApiKeysKey(prefix, USER), 'openai'))!);
      // Compared as strings: a sealed value is base64, whose `+` and `/` would make it a pattern.
      expect(after.sealed).not.toBe(before.sealed);
      expect(after).toEqual({ ...before, sealed: after.sealed });
      expect(await newKeyOnly().fetch(USER, 'openai')).toEqual({ key: SECRET, fingerprint });
      await expect(repository.fetch(USER, 'openai')).rejects.toBeInstanceOf(ChorusError);
    });

    it('rewrites a key opened through a keyring too', async () => {
      const { fingerprint } = await repository.set(USER, 'openai', SECRET);
      const keyring = await rotated().fetchKeyring(USER);
      expect(keyring.open('openai')).toEqual({ key: SECRET, fingerprint });
      await vi.waitFor(async () => {
        expect(await newKeyOnly().fetch(USER, 'openai')).toEqual({ key: SECRET, fingerprint });
      });
    });

    it('never overwrites a key set again meanwhile', async () => {
      await repository.set(USER, 'openai', SECRET);
      const keyring = await rotated().fetchKeyring(USER);
      const { fingerprint } = await newKeyOnly().set(USER, 'openai', 'sk-newer-key-0123456789');
      expect(keyring.open('openai')).toMatchObject({ key: SECRET });
      // The rewrite runs in the background; give it time to have been refused.
      await sleep(100);
      expect(await newKeyOnly().fetch(USER, 'openai')).toEqual({
        key: 'sk-newer-key-0123456789',
        fingerprint,
      });
    });
  });

  describe('when the encryption key changed', () => {
    it('fails without revealing the key', async () => {
      await repository.set(USER, 'openai', SECRET);
      const other = new ApiKeyRepository(redis, { prefix, encryptionKey: Buffer.alloc(32, 8) });
      const error = await other.fetch(USER, 'openai').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ChorusError);
      expect(String((error as Error).message)).not.toContain(SECRET);
    });
  });
});
