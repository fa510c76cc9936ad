import { randomUUID } from 'node:crypto';
import { type CredentialCipher, CredentialCipherError, isSealedCredential } from '../crypto/index.js';
import type { Logger } from '../log/index.js';
import { RedisBatch, type RedisClient, replaceHashFieldIf } from '../redis/index.js';
import {
  buildNoticeKey,
  buildPoolGrowthBlockedKey,
  buildUnavailableKey,
  buildWebhookChannelKey,
  buildWebhookLockKey,
  buildWebhookPoolKey,
} from './keys.js';
import { registerWebhookScripts, runWebhookScript } from './webhook-scripts.js';
import { WebhookUnavailableReason } from './webhook-unavailable-error.js';

/** A webhook we may execute. The token is a secret: kept sealed in Redis, never logged. */
export interface WebhookCredentials {
  readonly id: string;
  readonly token: string;
}

/** How long the reverse index `webhook → channel` outlives its last write; edits/deletes of older posts fall back to the bot. */
const WEBHOOK_CHANNEL_TTL_MS = 30 * 24 * 3600 * 1000;

const UNAVAILABLE_REASONS: ReadonlySet<string> = new Set(Object.values(WebhookUnavailableReason));

/** Channels forgotten per round of {@link WebhookRepository.forgetChannels}, to bound one pipeline. */
const FORGET_CHUNK = 500;

/** Options of {@link WebhookRepository}; all required (the webhook manager fills them from its own). */
export interface WebhookRepositoryOptions {
  readonly prefix: string;
  /** Seals tokens at rest (`ENCRYPTION_KEY`, and `ENCRYPTION_KEY_PREVIOUS` during a rotation). */
  readonly cipher: CredentialCipher;
  readonly logger: Logger;
}

/**
 * The webhook pools of all channels, in Redis, shared by every worker: `webhookId → sealed token` per channel,
 * the find-or-create lock, and the once-per-TTL markers. Keys come from `keys.ts`. A token read in clear (stored
 * by a version before tokens were sealed) or under the previous encryption key is sealed again under the
 * current one.
 */
export class WebhookRepository {
  readonly #redis: RedisClient;
  readonly #prefix: string;
  readonly #cipher: CredentialCipher;
  readonly #log: Logger;

  constructor(redis: RedisClient, options: WebhookRepositoryOptions) {
    this.#redis = redis;
    this.#prefix = options.prefix;
    this.#cipher = options.cipher;
    this.#log = options.logger;
    registerWebhookScripts(redis);
  }

  /** The channel's pool, oldest webhook first; empty when none is known. Tokens that do not open are left out. */
  async fetchPool(channelId: string): Promise<WebhookCredentials[]> {
    const hash = await this.#redis.hgetall(buildWebhookPoolKey(this.#prefix, channelId));
    const opened = await Promise.all(
      Object.entries(hash).map(([id, stored]) => this.#openToken(channelId, id, stored)),
    );
    return opened
      .filter((webhook): webhook is WebhookCredentials => webhook !== null)
      .sort((a, b) => compareSnowflakes(a.id, b.id));
  }

  /** One webhook of the channel's pool, or `null` when it is not (or no longer) there, or its token does not open. */
  async fetchWebhook(channelId: string, webhookId: string): Promise<WebhookCredentials | null> {
    const stored = await this.#redis.hget(buildWebhookPoolKey(this.#prefix, channelId), webhookId);
    return stored === null ? null : this.#openToken(channelId, webhookId, stored);
  }

  /** Adds webhooks to the channel's pool and remembers which channel owns each. */
  async addToPool(channelId: string, webhooks: readonly WebhookCredentials[]): Promise<void> {
    if (webhooks.length === 0) return;
    await this.#redis.hset(
      buildWebhookPoolKey(this.#prefix, channelId),
      Object.fromEntries(
        webhooks.map((webhook) => [webhook.id, this.#cipher.seal(webhook.token, buildTokenAad(webhook.id))]),
      ),
    );
    await Promise.all(
      webhooks.map((webhook) =>
        this.#redis.set(
          buildWebhookChannelKey(this.#prefix, webhook.id),
          channelId,
          'PX',
          WEBHOOK_CHANNEL_TTL_MS,
        ),
      ),
    );
  }

  /** Forgets a webhook Discord no longer knows. */
  async removeFromPool(channelId: string, webhookId: string): Promise<void> {
    await this.#redis.hdel(buildWebhookPoolKey(this.#prefix, channelId), webhookId);
    await this.#redis.del(buildWebhookChannelKey(this.#prefix, webhookId));
  }

  /**
   * Deletes everything kept about these channels' webhooks: the pool (with its tokens), each of its webhooks'
   * channel index, the growth and refusal markers and the notices. The find-or-create lock is left to expire:
   * it belongs to whoever holds it. Channels without a pool cost one read each.
   */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    for (let start = 0; start < channelIds.length; start += FORGET_CHUNK) {
      const chunk = channelIds.slice(start, start + FORGET_CHUNK);
      const webhookIds = await RedisBatch.together((batch) =>
        Promise.all(
          chunk.map((channelId) => {
            const poolKey = buildWebhookPoolKey(this.#prefix, channelId);
            return RedisBatch.send<string[]>(this.#redis, batch, poolKey, (commands) =>
              commands.hkeys(poolKey),
            );
          }),
        ),
      );
      await RedisBatch.together((batch) =>
        Promise.all([
          ...chunk.map((channelId) => {
            // One channel's keys share its hash tag, so one command deletes them all on a Cluster too.
            const keys = this.#buildChannelKeys(channelId);
            return RedisBatch.send(this.#redis, batch, keys[0]!, (commands) => commands.unlink(...keys));
          }),
          ...webhookIds.flat().map((webhookId) => {
            const key = buildWebhookChannelKey(this.#prefix, webhookId);
            return RedisBatch.send(this.#redis, batch, key, (commands) => commands.unlink(key));
          }),
        ]),
      );
    }
  }

  #buildChannelKeys(channelId: string): string[] {
    return [
      buildWebhookPoolKey(this.#prefix, channelId),
      buildPoolGrowthBlockedKey(this.#prefix, channelId),
      buildUnavailableKey(this.#prefix, channelId),
      ...[...UNAVAILABLE_REASONS].map((reason) => buildNoticeKey(this.#prefix, channelId, reason)),
    ];
  }

  /** The channel whose pool holds `webhookId` (a thread's parent for thread posts), or `null`. */
  fetchWebhookChannel(webhookId: string): Promise<string | null> {
    return this.#redis.get(buildWebhookChannelKey(this.#prefix, webhookId));
  }

  /** Takes the channel's find-or-create lock for `ttlMs`; resolves to the owner token, or `null` if taken. */
  async tryAcquireLock(channelId: string, ttlMs: number): Promise<string | null> {
    const token = randomUUID();
    const result = await this.#redis.set(
      buildWebhookLockKey(this.#prefix, channelId),
      token,
      'PX',
      ttlMs,
      'NX',
    );
    return result === 'OK' ? token : null;
  }

  /** Releases the lock if `token` still owns it. */
  async releaseLock(channelId: string, token: string): Promise<void> {
    await runWebhookScript<number>(
      this.#redis,
      'releaseWebhookLock',
      [buildWebhookLockKey(this.#prefix, channelId)],
      [token],
    );
  }

  /** Whether some worker holds the channel's lock right now. */
  async isLocked(channelId: string): Promise<boolean> {
    return (await this.#redis.exists(buildWebhookLockKey(this.#prefix, channelId))) === 1;
  }

  /** `true` for the first caller per channel, reason and `ttlMs`: that caller posts the notice. */
  async claimNotice(channelId: string, reason: string, ttlMs: number): Promise<boolean> {
    const result = await this.#redis.set(
      buildNoticeKey(this.#prefix, channelId, reason),
      '1',
      'PX',
      ttlMs,
      'NX',
    );
    return result === 'OK';
  }

  /** Stops everyone from asking Discord for another webhook in this channel for `ttlMs`. */
  async blockGrowth(channelId: string, ttlMs: number): Promise<void> {
    await this.#redis.set(buildPoolGrowthBlockedKey(this.#prefix, channelId), '1', 'PX', ttlMs);
  }

  async isGrowthBlocked(channelId: string): Promise<boolean> {
    return (await this.#redis.exists(buildPoolGrowthBlockedKey(this.#prefix, channelId))) === 1;
  }

  /** Remembers for `ttlMs` that Discord refused the channel a webhook, and why. */
  async markUnavailable(channelId: string, reason: WebhookUnavailableReason, ttlMs: number): Promise<void> {
    await this.#redis.set(buildUnavailableKey(this.#prefix, channelId), reason, 'PX', ttlMs);
  }

  /** Why Discord recently refused the channel a webhook, or `null`. */
  async fetchUnavailableReason(channelId: string): Promise<WebhookUnavailableReason | null> {
    const reason = await this.#redis.get(buildUnavailableKey(this.#prefix, channelId));
    return reason !== null && UNAVAILABLE_REASONS.has(reason) ? (reason as WebhookUnavailableReason) : null;
  }

  /**
   * A stored token, opened: sealed again under the current key when it was in clear (stored by a version before
   * tokens were sealed) or under the previous key, unless the field changed meanwhile. One that opens under
   * neither key is left out with a warning: the pool looks smaller, and the find-or-create path adopts our
   * webhooks again from Discord, which lists their tokens.
   */
  async #openToken(channelId: string, webhookId: string, stored: string): Promise<WebhookCredentials | null> {
    const aad = buildTokenAad(webhookId);
    let token = stored;
    if (isSealedCredential(stored)) {
      try {
        const opened = this.#cipher.open(stored, aad);
        token = opened.plaintext;
        if (!opened.stale) return { id: webhookId, token };
      } catch (error) {
        if (!(error instanceof CredentialCipherError)) throw error;
        this.#log.warn({ channelId, webhookId, err: error }, 'webhook token could not be decrypted; ignored');
        return null;
      }
    }
    const poolKey = buildWebhookPoolKey(this.#prefix, channelId);
    try {
      await replaceHashFieldIf(this.#redis, poolKey, webhookId, stored, this.#cipher.seal(token, aad));
    } catch (error) {
      // The token is usable either way; the next read tries the rewrite again.
      this.#log.warn({ channelId, webhookId, err: error }, 'webhook token not sealed again');
    }
    return { id: webhookId, token };
  }
}

/** The additional authenticated data of a webhook's token: a sealed token opens only for its own webhook. */
function buildTokenAad(webhookId: string): string {
  return `chorus:webhook-token:${webhookId}`;
}

/** Snowflakes compare as numbers: a shorter one is older. */
function compareSnowflakes(a: string, b: string): number {
  return a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length;
}
