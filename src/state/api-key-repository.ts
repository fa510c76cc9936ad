import { z } from 'zod';
import type { UserApiKey } from '../ai/chat-completion.js';
import { CredentialCipher } from '../crypto/index.js';
import { ChorusError, ChorusErrorCode } from '../errors/index.js';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch, replaceHashFieldIf } from '../redis/index.js';
import { buildApiKeyAad, buildApiKeyFingerprint } from './api-key-record.js';
import { buildApiKeysKey } from './keys.js';

const StoredApiKeySchema = z.object({ sealed: z.string(), fingerprint: z.string(), updatedAt: z.number() });

/** What {@link ApiKeyRepository.list} shows: never the key. */
export interface ApiKeySummary {
  readonly provider: string;
  readonly fingerprint: string;
  /** Unix ms. */
  readonly updatedAt: number;
}

/** A user's stored keys, read at once but decrypted one provider at a time, when a call needs it. */
export interface ApiKeyring {
  /**
   * The user's decrypted key for a provider, or null.
   * @throws ChorusError Internal when the stored key does not decrypt (ENCRYPTION_KEY changed, or tampering).
   */
  open(provider: string): UserApiKey | null;
}

/** Options for {@link ApiKeyRepository}. */
export interface ApiKeyRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** `Config['encryptionKey']`: 32 bytes. */
  encryptionKey: Buffer;
  /**
   * `Config['previousEncryptionKey']`: opens keys sealed before a rotation, which are then sealed again under
   * `encryptionKey`. @defaultValue undefined
   */
  previousEncryptionKey: Buffer | undefined;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

/**
 * Users' own provider keys, encrypted at rest (AES-256-GCM, `src/crypto`) in one hash per user
 * (provider → sealed record). A key read under the previous encryption key is sealed again under the current one.
 * Plaintext exists only in the caller's memory; nothing here logs.
 */
export class ApiKeyRepository {
  readonly options: Readonly<ApiKeyRepositoryOptions>;
  readonly #cipher: CredentialCipher;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ApiKeyRepositoryOptions, 'prefix' | 'encryptionKey'> & Partial<ApiKeyRepositoryOptions>,
  ) {
    this.options = { now: Date.now, previousEncryptionKey: undefined, ...options };
    this.#cipher = new CredentialCipher(this.options);
  }

  /** Stores (or replaces) the user's key for a provider; returns its fingerprint. */
  async set(userId: string, provider: string, apiKey: string): Promise<{ fingerprint: string }> {
    const fingerprint = buildApiKeyFingerprint(apiKey);
    const sealed = this.#cipher.seal(apiKey, buildApiKeyAad(userId, provider));
    const record = JSON.stringify({ sealed, fingerprint, updatedAt: this.options.now() });
    await this.redis.hset(buildApiKeysKey(this.options.prefix, userId), provider, record);
    return { fingerprint };
  }

  /**
   * The user's decrypted key for a provider, or null.
   * @throws ChorusError Internal when the stored key does not decrypt (ENCRYPTION_KEY changed, or tampering).
   */
  async fetch(userId: string, provider: string): Promise<UserApiKey | null> {
    const raw = await this.redis.hget(buildApiKeysKey(this.options.prefix, userId), provider);
    const opened = this.open(userId, provider, raw);
    await opened?.resealed;
    return opened?.key ?? null;
  }

  /**
   * Every key of the user, for a caller that does not know the provider yet (the reply worker reads them
   * with the personality, in one round trip).
   */
  async fetchKeyring(userId: string, batch?: RedisBatch): Promise<ApiKeyring> {
    const key = buildApiKeysKey(this.options.prefix, userId);
    const records = await RedisBatch.read<Record<string, string>>(this.redis, batch, key, 'hgetall');
    return {
      // The caller needs the key now; a rewrite under the current key finishes in the background.
      open: (provider) =>
        this.open(userId, provider, Object.hasOwn(records, provider) ? records[provider] : null)?.key ?? null,
    };
  }

  /**
   * The providers the user has a key for, never the keys (nothing is decrypted): what the gateway needs to tell
   * whether a call would use the user's own key (docs/usage.md, quotas).
   */
  async fetchProviders(userId: string, batch?: RedisBatch): Promise<ReadonlySet<string>> {
    const key = buildApiKeysKey(this.options.prefix, userId);
    const providers = await RedisBatch.send<string[]>(this.redis, batch, key, (pipeline) =>
      pipeline.hkeys(key),
    );
    return new Set(providers);
  }

  private open(
    userId: string,
    provider: string,
    raw: string | null | undefined,
  ): { key: UserApiKey; resealed: Promise<void> | null } | null {
    const record = parseRecord(raw);
    if (!record) return null;
    const aad = buildApiKeyAad(userId, provider);
    try {
      const { plaintext, stale } = this.#cipher.open(record.sealed, aad);
      const resealed = stale
        ? this.reseal(userId, provider, raw!, { ...record, sealed: this.#cipher.seal(plaintext, aad) })
        : null;
      return { key: { key: plaintext, fingerprint: record.fingerprint }, resealed };
    } catch (error) {
      throw new ChorusError(ChorusErrorCode.Internal, 'stored API key could not be decrypted', {
        userId,
        cause: error,
      });
    }
  }

  /**
   * Replaces a record read under the previous key with the same one sealed under the current key, unless it
   * changed meanwhile. Never rejects: a failed rewrite leaves the old record, which the next read rewrites.
   */
  private async reseal(
    userId: string,
    provider: string,
    raw: string,
    record: z.infer<typeof StoredApiKeySchema>,
  ): Promise<void> {
    const key = buildApiKeysKey(this.options.prefix, userId);
    await replaceHashFieldIf(this.redis, key, provider, raw, JSON.stringify(record)).catch(() => false);
  }

  /** Deletes the user's key for a provider; false when there was none. */
  async remove(userId: string, provider: string): Promise<boolean> {
    return (await this.redis.hdel(buildApiKeysKey(this.options.prefix, userId), provider)) === 1;
  }

  /** The user's keys by provider (fingerprints only), sorted by provider. */
  async list(userId: string): Promise<ApiKeySummary[]> {
    const records = await this.redis.hgetall(buildApiKeysKey(this.options.prefix, userId));
    return Object.entries(records)
      .flatMap(([provider, raw]) => {
        const record = parseRecord(raw);
        return record ? [{ provider, fingerprint: record.fingerprint, updatedAt: record.updatedAt }] : [];
      })
      .sort((left, right) => left.provider.localeCompare(right.provider));
  }
}

function parseRecord(raw: string | null | undefined): z.infer<typeof StoredApiKeySchema> | null {
  if (raw === null || raw === undefined) return null;
  try {
    const parsed = StoredApiKeySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
