import type { Logger } from '../log/index.js';
import { RedisBatch, type RedisClient } from '../redis/index.js';
import { publishRoutingChange } from '../state/index.js';
import { runGuildScript } from './guild-scripts.js';
import { DefaultGuildSettings, type GuildSettings, GuildSettingsSchema } from './guild-settings.js';
import { buildGuildSettingsKey } from './keys.js';

/** Options for {@link GuildSettingsRepository}. */
export interface GuildSettingsRepositoryOptions {
  /** `REDIS_PREFIX`. */
  readonly prefix: string;
  readonly logger: Logger;
  /** Tries of {@link GuildSettingsRepository.update} when another change lands in between. @defaultValue 5 */
  readonly maxUpdateTries: number;
}

/**
 * A change to a server's settings: the settings it was based on in, the new ones out (version untouched), or
 * the very object it was given when there is nothing to change.
 */
export type GuildSettingsChange = (current: GuildSettings) => GuildSettings;

/** Thrown when {@link GuildSettingsRepository.update} kept losing to concurrent changes. */
export class GuildSettingsConflictError extends Error {
  override readonly name = 'GuildSettingsConflictError';
}

/**
 * A server's `/server` settings: one key per server, read in the router's batch (no round trip of its own),
 * written compare-and-set on `version`.
 */
export class GuildSettingsRepository {
  readonly options: Readonly<GuildSettingsRepositoryOptions>;

  constructor(
    private readonly redis: RedisClient,
    options: Pick<GuildSettingsRepositoryOptions, 'prefix' | 'logger'> &
      Partial<GuildSettingsRepositoryOptions>,
  ) {
    this.options = { maxUpdateTries: 5, ...options };
  }

  /** The server's settings (the defaults when it never set any); in `batch` when given. */
  async fetch(guildId: string, batch?: RedisBatch): Promise<GuildSettings> {
    const key = buildGuildSettingsKey(this.options.prefix, guildId);
    const stored = await RedisBatch.send<string | null>(this.redis, batch, key, (commands) =>
      commands.get(key),
    );
    return this.parse(guildId, stored);
  }

  /**
   * Applies `change` to the current settings and stores the result if nobody changed them in between;
   * otherwise re-reads and applies it again (admin changes are each a whole intent: "block X", "mode Y").
   * Returns the settings as stored.
   */
  async update(guildId: string, change: GuildSettingsChange): Promise<GuildSettings> {
    const key = buildGuildSettingsKey(this.options.prefix, guildId);
    let current = await this.fetch(guildId);
    for (let attempt = 0; attempt < this.options.maxUpdateTries; attempt += 1) {
      const changed = change(current);
      // The change gave back the settings it was given: nothing to write, and no new version.
      if (changed === current) return current;
      const next = GuildSettingsSchema.parse({ ...changed, version: current.version + 1 });
      const [code, stored] = await runGuildScript<[number, string?]>(
        this.redis,
        'writeGuildSettings',
        [key],
        [current.version, JSON.stringify(next)],
      );
      if (code === 1) {
        await publishRoutingChange(this.redis, this.options.prefix, 'guild-settings');
        return next;
      }
      current = this.parse(guildId, stored === '' || stored === undefined ? null : stored);
    }
    throw new GuildSettingsConflictError(`settings of guild ${guildId} kept changing while being written`);
  }

  /** Forgets a server's settings (the bot left it). */
  async delete(guildIds: readonly string[]): Promise<void> {
    for (const guildId of guildIds) await this.redis.del(buildGuildSettingsKey(this.options.prefix, guildId));
    if (guildIds.length > 0) await publishRoutingChange(this.redis, this.options.prefix, 'guild-settings');
  }

  private parse(guildId: string, stored: string | null): GuildSettings {
    if (stored === null) return DefaultGuildSettings;
    try {
      const parsed = GuildSettingsSchema.safeParse(JSON.parse(stored));
      if (parsed.success) return parsed.data;
    } catch {
      // Not JSON: fall through.
    }
    // A record no version of this code wrote: answer with the defaults rather than stop routing the server.
    this.options.logger.error({ guildId }, 'guild settings unreadable; using the defaults');
    return DefaultGuildSettings;
  }
}
