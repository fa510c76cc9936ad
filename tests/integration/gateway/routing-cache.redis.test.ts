/**
 * RoutingCache against real Redis: lookups served from memory after the first read, forgotten when a
 * repository announces a change (pub/sub on a dedicated connection), never older than the TTL, never used
 * while unsubscribed, and a read overtaken by a notice is not kept.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoutingCache } from '../../../src/gateway/routing-cache.js';
import { GuildSettingsRepository } from '../../../src/guilds/index.js';
import { createLogger } from '../../../src/log/index.js';
import {
  ActivationRepository,
  buildRoutingChangesChannel,
  type Personality,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const OWNER = '100000000000000001';
const CALLER = '100000000000000002';
const GUILD = '300000000000000001';
const CHANNEL = '200000000000000001';
const THREAD = '200000000000000002';

let prefix: string;
let subscriber: Redis;
let clock: number;
let cache: RoutingCache;
let personalities: PersonalityRepository;
let activations: ActivationRepository;
let guildSettings: GuildSettingsRepository;

beforeEach(async () => {
  prefix = createTestPrefix();
  clock = 1_750_000_000_000;
  subscriber = createTestRedis();
  personalities = new PersonalityRepository(redis, { prefix });
  activations = new ActivationRepository(redis, { prefix });
  guildSettings = new GuildSettingsRepository(redis, { prefix, logger });
  cache = new RoutingCache({ ttlMs: 30_000, now: () => clock });
  await cache.listen(subscriber, buildRoutingChangesChannel(prefix));
});

afterEach(async () => {
  vi.restoreAllMocks();
  subscriber.disconnect();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function lookups() {
  return cache.wrap({ personalities, activations, guildSettings });
}

function createPersonality(name: string, visibility: 'public' | 'private' = 'public'): Promise<Personality> {
  return personalities.create(buildTestDraft(OWNER, name, { visibility }));
}

/** Reads through `read` until it gives `expected`: a change notice arrives asynchronously, within milliseconds. */
async function eventually<T>(read: () => Promise<T>, expected: T): Promise<void> {
  await vi.waitFor(async () => expect(await read()).toEqual(expected), { timeout: 2000, interval: 10 });
}

describe('RoutingCache', () => {
  describe('when a channel’s activation was read', () => {
    it('serves it (and a channel without one) from memory until an activation changes', async () => {
      const { activations: cached } = lookups();
      const drWho = await createPersonality('DrWho');
      expect(await cached.fetchForChannel(CHANNEL)).toBeNull();

      const writes = spyOnSocketWrites(redis);
      expect(await cached.fetchForChannel(CHANNEL)).toBeNull();
      expect(await cached.fetchForChannels([CHANNEL])).toEqual(new Map());
      expect(writes()).toBe(0);

      await activations.activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: drWho.id,
        activatedBy: OWNER,
      });
      await eventually(() => cached.fetchForChannel(CHANNEL), drWho.id);
      await activations.deactivate(CHANNEL);
      await eventually(() => cached.fetchForChannel(CHANNEL), null);
    });

    it('reads only the channels it does not hold (a thread and its parent)', async () => {
      const { activations: cached } = lookups();
      const drWho = await createPersonality('DrWho');
      await activations.activate({
        guildId: GUILD,
        channelId: CHANNEL,
        personalityId: drWho.id,
        activatedBy: OWNER,
      });
      await eventually(() => cached.fetchForChannel(CHANNEL), drWho.id);
      // The writes' notices have all arrived: this read is kept.
      await sleep(50);
      await cached.fetchForChannel(CHANNEL);
      const read = vi.spyOn(activations, 'fetchForChannels');
      expect(await cached.fetchForChannels([THREAD, CHANNEL])).toEqual(new Map([[CHANNEL, drWho.id]]));
      expect(read).toHaveBeenCalledWith([THREAD], undefined);
    });
  });

  describe('when a server’s settings were read', () => {
    it('serves them from memory until they change', async () => {
      const { guildSettings: cached } = lookups();
      expect((await cached.fetch(GUILD)).version).toBe(0);
      const writes = spyOnSocketWrites(redis);
      expect((await cached.fetch(GUILD)).version).toBe(0);
      expect(writes()).toBe(0);
      await guildSettings.update(GUILD, (current) => ({ ...current, blockedNames: ['drwho'] }));
      await eventually(async () => (await cached.fetch(GUILD)).blockedNames, ['drwho']);
    });
  });

  describe('when names were resolved', () => {
    it('serves them, matches and misses, from memory per caller', async () => {
      const { personalities: cached } = lookups();
      const drWho = await createPersonality('DrWho');
      // The create's notices have all arrived: this read is kept.
      await sleep(50);
      await cached.resolveNames(CALLER, ['drwho', 'nobody']);
      const writes = spyOnSocketWrites(redis);
      const again = await cached.resolveNames(CALLER, ['drwho', 'nobody']);
      expect(again.get('drwho')?.id).toBe(drWho.id);
      expect(again.has('nobody')).toBe(false);
      expect(writes()).toBe(0);
      // Another caller: their own names are read once (they own DrWho: their own is looked up too).
      expect((await cached.resolveNames(OWNER, ['drwho'])).get('drwho')?.id).toBe(drWho.id);
      expect(writes()).toBe(2);
      await cached.resolveNames(OWNER, ['drwho']);
      expect(writes()).toBe(2);
    });

    it('looks up none of the candidates no personality is named, whatever the message’s words', async () => {
      const { personalities: cached } = lookups();
      const drWho = await createPersonality('DrWho');
      await sleep(50);
      await cached.resolveNames(CALLER, ['drwho how are', 'drwho how', 'drwho']);
      const writes = spyOnSocketWrites(redis);
      const found = await cached.resolveNames(CALLER, ['drwho what is', 'drwho what', 'drwho']);
      expect([...found]).toEqual([['drwho', drWho]]);
      expect(writes()).toBe(0);
    });

    it('prefers the caller’s own personality of a name to a public one, and never shows another’s private one', async () => {
      const { personalities: cached } = lookups();
      const theirs = await createPersonality('Twin');
      const secret = await createPersonality('Secret', 'private');
      const mine = await personalities.create(buildTestDraft(CALLER, 'Twin', { visibility: 'private' }));
      await sleep(50);
      for (const caller of [CALLER, CALLER]) {
        const found = await cached.resolveNames(caller, ['twin', 'secret']);
        expect([...found.entries()].map(([name, p]) => [name, p.id])).toEqual([['twin', mine.id]]);
      }
      const forOwner = await cached.resolveNames(OWNER, ['twin', 'secret']);
      expect([...forOwner.entries()].map(([name, p]) => [name, p.id])).toEqual([
        ['twin', theirs.id],
        ['secret', secret.id],
      ]);
    });

    it('finds a personality created after a miss, and stops finding one made private, renamed or removed', async () => {
      const { personalities: cached } = lookups();
      const names = async (caller = CALLER) => [
        ...(await cached.resolveNames(caller, ['drwho', 'who'])).keys(),
      ];
      expect(await names()).toEqual([]);
      const drWho = await createPersonality('DrWho');
      await eventually(names, ['drwho']);
      await personalities.update(drWho.id, OWNER, { visibility: 'private' });
      await eventually(names, []);
      await personalities.update(drWho.id, OWNER, { visibility: 'public', name: 'Who' });
      await eventually(names, ['who']);
      await personalities.remove(drWho.id, OWNER);
      await eventually(names, []);
    });
  });

  describe('when an entry is older than the TTL', () => {
    it('reads it again, even with no notice (one lost)', async () => {
      const { activations: cached } = lookups();
      expect(await cached.fetchForChannel(CHANNEL)).toBeNull();
      // Written behind the cache's back: no notice.
      await redis.set(
        `${prefix}:state:activation:${CHANNEL}`,
        JSON.stringify({ guildId: GUILD, personalityId: 'p-1', activatedBy: OWNER, activatedAt: clock }),
      );
      clock += 29_999;
      expect(await cached.fetchForChannel(CHANNEL)).toBeNull();
      clock += 1;
      expect(await cached.fetchForChannel(CHANNEL)).toBe('p-1');
    });
  });

  describe('when not subscribed', () => {
    it('reads every lookup', async () => {
      const unsubscribed = new RoutingCache({ ttlMs: 30_000 }).wrap({
        personalities,
        activations,
        guildSettings,
      });
      await unsubscribed.guildSettings.fetch(GUILD);
      const writes = spyOnSocketWrites(redis);
      await unsubscribed.guildSettings.fetch(GUILD);
      expect(writes()).toBe(1);
    });

    it('stops serving from memory once the subscription’s connection closed', async () => {
      const { guildSettings: cached } = lookups();
      await cached.fetch(GUILD);
      subscriber.disconnect();
      await vi.waitFor(() => expect(subscriber.status).toBe('end'));
      const writes = spyOnSocketWrites(redis);
      await cached.fetch(GUILD);
      expect(writes()).toBe(1);
    });
  });

  describe('when a notice arrives while a read is under way', () => {
    it('does not keep what that read found', async () => {
      let finish: () => void = () => undefined;
      const slow = {
        fetch: async () => {
          await new Promise<void>((resolve) => (finish = resolve));
          return guildSettings.fetch(GUILD);
        },
      };
      const { guildSettings: cached } = cache.wrap({ personalities, activations, guildSettings: slow });
      const reading = cached.fetch(GUILD);
      cache.clear();
      finish();
      await reading;
      const read = vi.spyOn(slow, 'fetch');
      const again = cached.fetch(GUILD);
      finish();
      await again;
      expect(read).toHaveBeenCalledTimes(1);
    });
  });
});
