/**
 * PersonalityCache against real Redis: a personality served from memory after its first read, dropped by its
 * own change notice (an edit, made private, deleted) as soon as it arrives, read again past the TTL when a notice
 * was lost, and never served while unsubscribed (a closed connection, a resubscription starts over).
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildRoutingChangesChannel,
  type Personality,
  PersonalityCache,
  PersonalityRepository,
} from '../../../src/state/index.js';
import { buildPersonalitiesKey } from '../../../src/state/keys.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const redis = createTestRedis();
const OWNER = '100000000000000001';
const TTL_MS = 30_000;

let prefix: string;
let subscriber: Redis;
let clock: number;
let cache: PersonalityCache;
let personalities: PersonalityRepository;
let cached: Pick<PersonalityRepository, 'fetchById'>;

beforeEach(async () => {
  prefix = createTestPrefix();
  clock = 1_750_000_000_000;
  subscriber = createTestRedis();
  personalities = new PersonalityRepository(redis, { prefix });
  cache = new PersonalityCache({ ttlMs: TTL_MS, now: () => clock });
  await cache.listen(subscriber, buildRoutingChangesChannel(prefix));
  cached = cache.wrap(personalities);
});

afterEach(async () => {
  vi.restoreAllMocks();
  subscriber.disconnect();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createPersonality(name: string): Promise<Personality> {
  return personalities.create(buildTestDraft(OWNER, name));
}

/** Commands `read` sends on the commands connection. */
async function countWrites(read: () => Promise<unknown>): Promise<number> {
  const writes = spyOnSocketWrites(redis);
  await read();
  const count = writes();
  vi.restoreAllMocks();
  return count;
}

/** Reads until it sees `expected`: a change notice arrives asynchronously, within milliseconds. */
async function eventually(id: string, expected: Partial<Personality> | null): Promise<void> {
  await vi.waitFor(
    async () => {
      const found = await cached.fetchById(id);
      if (expected === null) expect(found).toBeNull();
      else expect(found).toMatchObject(expected);
    },
    { timeout: 2000, interval: 10 },
  );
}

describe('PersonalityCache', () => {
  it('serves a personality from memory after its first read', async () => {
    const alice = await createPersonality('Alice');
    expect(await countWrites(() => cached.fetchById(alice.id))).toBe(1);
    expect(await countWrites(() => cached.fetchById(alice.id))).toBe(0);
    expect(await cached.fetchById(alice.id)).toEqual(alice);
  });

  describe('when the personality changes (its notice names it)', () => {
    it('sees it made private, edited and deleted as soon as the notice arrives', async () => {
      const alice = await createPersonality('Alice');
      await cached.fetchById(alice.id);
      await personalities.update(alice.id, OWNER, { visibility: 'private' });
      await eventually(alice.id, { visibility: 'private' });
      await personalities.update(alice.id, OWNER, { systemPrompt: 'Be terse.' });
      await eventually(alice.id, { systemPrompt: 'Be terse.' });
      await personalities.remove(alice.id, OWNER);
      await eventually(alice.id, null);
    });

    it('keeps the other personalities', async () => {
      const [alice, bob] = [await createPersonality('Alice'), await createPersonality('Bob')];
      await cached.fetchById(alice.id);
      await cached.fetchById(bob.id);
      await personalities.update(alice.id, OWNER, { visibility: 'private' });
      await eventually(alice.id, { visibility: 'private' });
      expect(await countWrites(() => cached.fetchById(bob.id))).toBe(0);
    });
  });

  describe('when a notice is lost (a write behind the cache’s back)', () => {
    it('serves the copy until the TTL, then reads the change', async () => {
      const alice = await createPersonality('Alice');
      await cached.fetchById(alice.id);
      await redis.hdel(buildPersonalitiesKey(prefix, OWNER), alice.id);
      clock += TTL_MS - 1;
      expect(await cached.fetchById(alice.id)).toEqual(alice);
      clock += 1;
      expect(await cached.fetchById(alice.id)).toBeNull();
    });
  });

  describe('when not subscribed', () => {
    it('reads every time, and forgets what it held once the connection closed', async () => {
      const alice = await createPersonality('Alice');
      await cached.fetchById(alice.id);
      subscriber.disconnect();
      await vi.waitFor(() => expect(subscriber.status).toBe('end'));
      expect(await countWrites(() => cached.fetchById(alice.id))).toBe(1);
      expect(await countWrites(() => cached.fetchById(alice.id))).toBe(1);
    });

    it('starts over when subscribed again (notices may have been missed meanwhile)', async () => {
      const alice = await createPersonality('Alice');
      await cached.fetchById(alice.id);
      subscriber.emit('ready');
      expect(await countWrites(() => cached.fetchById(alice.id))).toBe(1);
    });
  });

  it('does not keep a read a notice overtook', async () => {
    const alice = await createPersonality('Alice');
    let release: () => void = () => undefined;
    const slow = {
      fetchById: async (id: string) => {
        await new Promise<void>((resolve) => (release = resolve));
        return personalities.fetchById(id);
      },
    };
    const slowCached = cache.wrap(slow);
    const reading = slowCached.fetchById(alice.id);
    // The notice as the connection delivers it, while the read waits.
    subscriber.emit('message', buildRoutingChangesChannel(prefix), `personality:${alice.id}`);
    release();
    await reading;
    const read = vi.spyOn(slow, 'fetchById');
    const again = slowCached.fetchById(alice.id);
    release();
    await again;
    expect(read).toHaveBeenCalledTimes(1);
  });
});
