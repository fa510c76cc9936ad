import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DefaultGuildSettings, GuildSettingsRepository } from '../../../src/guilds/index.js';
import { buildGuildSettingsKey } from '../../../src/guilds/keys.js';
import { createLogger } from '../../../src/log/index.js';
import { RedisBatch } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const GUILD = '500000000000000001';
const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
let prefix: string;
let settings: GuildSettingsRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  settings = new GuildSettingsRepository(redis, { prefix, logger });
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('GuildSettingsRepository', () => {
  it('answers the defaults for a server that never chose, in a batch too', async () => {
    expect(await settings.fetch(GUILD)).toEqual(DefaultGuildSettings);
    const [inBatch] = await RedisBatch.together((batch) => Promise.all([settings.fetch(GUILD, batch)]));
    expect(inBatch).toEqual(DefaultGuildSettings);
  });

  it('stores a change with the next version', async () => {
    const stored = await settings.update(GUILD, (current) => ({ ...current, personalityMode: 'allowlist' }));
    expect(stored).toMatchObject({ version: 1, personalityMode: 'allowlist' });
    expect(await settings.fetch(GUILD)).toEqual(stored);
  });

  it('writes nothing when the change gives back the settings it was given', async () => {
    const stored = await settings.update(GUILD, (current) => ({ ...current, allowNsfw: true }));
    expect(await settings.update(GUILD, (current) => current)).toEqual(stored);
    expect((await settings.fetch(GUILD)).version).toBe(1);
    await settings.update('500000000000000002', (current) => current);
    expect(await redis.exists(buildGuildSettingsKey(prefix, '500000000000000002'))).toBe(0);
  });

  it('applies concurrent changes one after the other, losing none', async () => {
    await Promise.all(
      ['p1', 'p2', 'p3', 'p4'].map((id) =>
        settings.update(GUILD, (current) => ({
          ...current,
          blockedPersonalityIds: [...current.blockedPersonalityIds, id],
        })),
      ),
    );
    const stored = await settings.fetch(GUILD);
    expect(stored.version).toBe(4);
    expect([...stored.blockedPersonalityIds].sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('refuses a change that breaks the schema, storing nothing', async () => {
    await expect(
      settings.update(GUILD, (current) => ({ ...current, channelIds: ['not-a-snowflake'] })),
    ).rejects.toThrow();
    expect(await redis.exists(buildGuildSettingsKey(prefix, GUILD))).toBe(0);
  });

  it('answers the defaults, and says so, for a record it cannot read', async () => {
    await redis.set(buildGuildSettingsKey(prefix, GUILD), '{"version":"x"}');
    expect(await settings.fetch(GUILD)).toEqual(DefaultGuildSettings);
  });

  it('forgets the servers it is told to', async () => {
    await settings.update(GUILD, (current) => ({ ...current, allowNsfw: true }));
    await settings.delete([GUILD]);
    expect(await redis.exists(buildGuildSettingsKey(prefix, GUILD))).toBe(0);
  });
});
