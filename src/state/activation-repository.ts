import { z } from 'zod';
import type { RedisClient } from '../redis/index.js';
import { RedisBatch } from '../redis/index.js';
import {
  buildActivationKey,
  buildGuildActivationsKey,
  buildPersonalityActivationsKey,
  buildUserActivationsKey,
} from './keys.js';
import { publishRoutingChange } from './routing-changes.js';
import { runStateScript, StateScript } from './state-scripts.js';

/** A personality activated in a channel: it answers every message there. */
export interface Activation {
  readonly guildId: string;
  readonly channelId: string;
  readonly personalityId: string;
  /** User who activated it; null once they ran `/forget-me` (the activation stays: it is the server's). */
  readonly activatedBy: string | null;
  /** Unix ms. */
  readonly activatedAt: number;
}

const ActivationRecordSchema = z.object({
  guildId: z.string(),
  personalityId: z.string(),
  activatedBy: z.string().nullable(),
  activatedAt: z.number(),
});

type ActivationRecord = z.infer<typeof ActivationRecordSchema>;

/** Options for {@link ActivationRepository}. */
export interface ActivationRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

/**
 * One activated personality per channel. The channel's own key is the record readers trust; the guild,
 * personality and activator indexes (other slots) exist to list, bulk-remove and forget the activator, and
 * are written BEFORE the record and cleaned AFTER it: a crash in between leaves an index entry pointing at
 * nothing, which readers verify against the record, ignore and lazily remove — never an activation nobody
 * can find.
 */
export class ActivationRepository {
  readonly options: Readonly<ActivationRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ActivationRepositoryOptions, 'prefix'> & Partial<ActivationRepositoryOptions>,
  ) {
    this.options = { now: Date.now, ...options };
  }

  /** Activates a personality in a channel, replacing any previous one there. */
  async activate(
    input: Omit<Activation, 'activatedAt' | 'activatedBy'> & { readonly activatedBy: string },
  ): Promise<Activation> {
    const { prefix } = this.options;
    const activation: Activation = { ...input, activatedAt: this.options.now() };
    await Promise.all([
      this.redis.sadd(buildGuildActivationsKey(prefix, input.guildId), input.channelId),
      this.redis.sadd(buildPersonalityActivationsKey(prefix, input.personalityId), input.channelId),
      this.redis.sadd(buildUserActivationsKey(prefix, input.activatedBy), input.channelId),
    ]);
    const record = JSON.stringify({
      guildId: activation.guildId,
      personalityId: activation.personalityId,
      activatedBy: activation.activatedBy,
      activatedAt: activation.activatedAt,
    });
    const previous = parseRecord(
      await this.redis.set(buildActivationKey(prefix, input.channelId), record, 'GET'),
    );
    await Promise.all([
      publishRoutingChange(this.redis, prefix, 'activation'),
      previous && previous.personalityId !== input.personalityId
        ? this.redis.srem(buildPersonalityActivationsKey(prefix, previous.personalityId), input.channelId)
        : null,
      previous && previous.activatedBy !== input.activatedBy
        ? this.dropFromActivatorIndex(input.channelId, previous)
        : null,
    ]);
    return activation;
  }

  /** Removes the channel's activation; false when there was none. */
  async deactivate(channelId: string): Promise<boolean> {
    const { prefix } = this.options;
    const previous = parseRecord(await this.redis.getdel(buildActivationKey(prefix, channelId)));
    if (!previous) return false;
    await Promise.all([
      publishRoutingChange(this.redis, prefix, 'activation'),
      this.redis.srem(buildGuildActivationsKey(prefix, previous.guildId), channelId),
      this.redis.srem(buildPersonalityActivationsKey(prefix, previous.personalityId), channelId),
      this.dropFromActivatorIndex(channelId, previous),
    ]);
    return true;
  }

  /**
   * Removes `userId` from the activations they made, found through their index (no SCAN), and deletes the
   * index. The activations stay (they are the server's); one made by someone else since is left alone.
   * Returns how many records named them.
   */
  async forgetActivator(userId: string): Promise<number> {
    const { prefix } = this.options;
    const indexKey = buildUserActivationsKey(prefix, userId);
    const channelIds = await this.redis.smembers(indexKey);
    const cleared = await Promise.all(
      channelIds.map((channelId) =>
        runStateScript<number>(
          this.redis,
          StateScript.clearActivatedBy,
          [buildActivationKey(prefix, channelId)],
          [userId],
        ),
      ),
    );
    await this.redis.del(indexKey);
    return cleared.reduce((sum, count) => sum + count, 0);
  }

  /** The activation of `channelId` is gone or no longer `record`'s activator's: their index forgets it. */
  private async dropFromActivatorIndex(
    channelId: string,
    record: Pick<ActivationRecord, 'activatedBy'>,
  ): Promise<void> {
    if (record.activatedBy === null) return;
    await this.redis.srem(buildUserActivationsKey(this.options.prefix, record.activatedBy), channelId);
  }

  /** Removes the activations of channels that were deleted; returns how many there were. */
  async deactivateChannels(channelIds: readonly string[]): Promise<number> {
    const removed = await Promise.all(channelIds.map((channelId) => this.deactivate(channelId)));
    return removed.filter(Boolean).length;
  }

  /** The personality id activated in a channel, or null. */
  async fetchForChannel(channelId: string, batch?: RedisBatch): Promise<string | null> {
    return parseRecord(await this.fetchRecord(channelId, batch))?.personalityId ?? null;
  }

  /**
   * Activated personality ids of several channels (a thread and its parent) in one round trip: channel id →
   * personality id, for the channels that have one. The caller decides precedence (a thread's own wins).
   */
  async fetchForChannels(channelIds: readonly string[], batch?: RedisBatch): Promise<Map<string, string>> {
    const unique = [...new Set(channelIds)];
    const read = (target: RedisBatch) =>
      Promise.all(unique.map((channelId) => this.fetchRecord(channelId, target)));
    const records = await (batch === undefined ? RedisBatch.together(read) : read(batch));
    const found = new Map<string, string>();
    unique.forEach((channelId, index) => {
      const record = parseRecord(records[index]);
      if (record) found.set(channelId, record.personalityId);
    });
    return found;
  }

  private fetchRecord(channelId: string, batch: RedisBatch | undefined): Promise<string | null> {
    const key = buildActivationKey(this.options.prefix, channelId);
    return RedisBatch.send<string | null>(this.redis, batch, key, (commands) => commands.get(key));
  }

  /** Every activation of a guild, verified against the channel records (stale index entries are dropped). */
  async listForGuild(guildId: string): Promise<Activation[]> {
    const { prefix } = this.options;
    const indexKey = buildGuildActivationsKey(prefix, guildId);
    const channelIds = await this.redis.smembers(indexKey);
    const records = await Promise.all(
      channelIds.map((channelId) => this.redis.get(buildActivationKey(prefix, channelId))),
    );
    const activations: Activation[] = [];
    const stale: string[] = [];
    channelIds.forEach((channelId, index) => {
      const record = parseRecord(records[index]);
      if (record?.guildId === guildId) activations.push({ channelId, ...record });
      else stale.push(channelId);
    });
    if (stale.length > 0) await this.redis.srem(indexKey, ...stale);
    return activations.sort((left, right) => left.activatedAt - right.activatedAt);
  }

  /** Removes every activation of a guild (the bot left it); returns how many were removed. */
  async removeGuild(guildId: string): Promise<number> {
    const { prefix } = this.options;
    const indexKey = buildGuildActivationsKey(prefix, guildId);
    const removed = await this.removeWhere(await this.redis.smembers(indexKey), 'guildId', guildId);
    await this.redis.del(indexKey);
    return removed;
  }

  /** Removes every activation of a personality (it was deleted); returns how many were removed. */
  async removePersonality(personalityId: string): Promise<number> {
    const { prefix } = this.options;
    const indexKey = buildPersonalityActivationsKey(prefix, personalityId);
    const removed = await this.removeWhere(
      await this.redis.smembers(indexKey),
      'personalityId',
      personalityId,
    );
    await this.redis.del(indexKey);
    return removed;
  }

  /** Deletes the channels' records that still match; one that was re-pointed since is left alone. */
  private async removeWhere(
    channelIds: readonly string[],
    field: 'guildId' | 'personalityId',
    value: string,
  ): Promise<number> {
    const results = await Promise.all(
      channelIds.map(async (channelId) => {
        const deleted = parseRecord(
          await runStateScript<string | null>(
            this.redis,
            StateScript.deleteActivationIf,
            [buildActivationKey(this.options.prefix, channelId)],
            [field, value],
          ),
        );
        if (deleted) await this.dropFromActivatorIndex(channelId, deleted);
        return deleted ? 1 : 0;
      }),
    );
    const removed = results.reduce<number>((sum, count) => sum + count, 0);
    if (removed > 0) await publishRoutingChange(this.redis, this.options.prefix, 'activation');
    return removed;
  }
}

function parseRecord(raw: string | null | undefined): ActivationRecord | null {
  if (raw === null || raw === undefined) return null;
  try {
    const parsed = ActivationRecordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
