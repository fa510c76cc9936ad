/**
 * ChannelWindowRepository against real Redis: live gating, appends once per message id, trims by count and age,
 * edits and deletes, the fetched-ancestor cache, /forget-me through the per-user index, deleted channels, and
 * a TTL on every key it writes.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChannelWindowRepository, type WindowLine } from '../../../src/context/index.js';
import {
  buildFetchedLinesKey,
  buildUserWindowsKey,
  buildWindowIndexedKey,
  buildWindowLinesKey,
  buildWindowLiveKey,
  buildWindowOrderKey,
  buildWindowRemovedKey,
} from '../../../src/context/keys.js';
import { RedisBatch } from '../../../src/redis/index.js';
import { ChannelActivityRepository } from '../../../src/state/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix, scanKeys } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const redis = createTestRedis();
const CHANNEL = '200000000000000001';
const OTHER_CHANNEL = '200000000000000002';
const ALICE = '100000000000000001';
const SAM = '100000000000000002';
const MAX_AGE_SECONDS = 3600;
const START = 1_750_000_000_000;
let prefix: string;
let clock: number;

beforeEach(() => {
  prefix = createTestPrefix();
  clock = START;
});

afterEach(async () => {
  vi.restoreAllMocks();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function createRepository(options: Partial<ConstructorParameters<typeof ChannelWindowRepository>[1]> = {}) {
  return new ChannelWindowRepository(redis, {
    prefix,
    maxAgeSeconds: MAX_AGE_SECONDS,
    now: () => clock,
    ...options,
  });
}

let nextId = 300000000000000000n;
/** A person's line sent `offsetMs` after the start, with a fresh id. */
function line(overrides: Partial<WindowLine> = {}): WindowLine {
  nextId += 1n;
  return {
    id: String(nextId),
    at: START,
    name: 'Alice',
    content: 'hello',
    replyToId: null,
    personalityId: null,
    userId: ALICE,
    ...overrides,
  };
}

const everything = { limit: 100, sinceMs: 0 };
const AGE_MS = MAX_AGE_SECONDS * 1000;
/** What appendLines gives a window's keys and live marker when it renews them: the age and a quarter. */
const RENEWED_MS = AGE_MS * 1.25;

/** How many lines the window's hash holds (its `~` field, which keeps the key, is none). */
async function countLines(channelId: string): Promise<number> {
  return (await redis.hkeys(buildWindowLinesKey(prefix, channelId))).filter((field) => field !== '~').length;
}

/** The order's mark: when the keys expire and when the live marker does, by the callers' clock. */
async function readMark(channelId: string): Promise<{ keysAt: number; liveAt: number } | null> {
  const mark = await readFullMark(channelId);
  return mark === null ? null : { keysAt: mark.keysAt, liveAt: mark.liveAt };
}

/** The whole mark, with until when removed ids may be remembered (null: not known). */
async function readFullMark(
  channelId: string,
): Promise<{ keysAt: number; liveAt: number; removedUntil: number | null } | null> {
  const marks = await redis.zrangebyscore(buildWindowOrderKey(prefix, channelId), '-inf', '-inf');
  expect(marks.length).toBeLessThanOrEqual(1);
  const match = /^~(\d+):(\d+):(\d*)$/.exec(marks[0] ?? '');
  if (match === null) return null;
  return {
    keysAt: Number(match[1]),
    liveAt: Number(match[2]),
    removedUntil: match[3] === '' ? null : Number(match[3]),
  };
}

/** As the gateway with no admission to carry it: the append, then the index entry it made due on its own. */
async function appendIfLive(
  windows: ChannelWindowRepository,
  ...[channelId, appended, batch, latest]: Parameters<ChannelWindowRepository['appendIfLive']>
): Promise<boolean> {
  const { live, userIndex } = await windows.appendIfLive(channelId, appended, batch, latest);
  if (userIndex !== null) await windows.writeUserIndex(userIndex);
  return live;
}

describe('ChannelWindowRepository', () => {
  describe('when no personality was addressed in the channel', () => {
    it('stores nothing and says so', async () => {
      const windows = createRepository();
      expect(await appendIfLive(windows, CHANNEL, line({ content: 'not for you' }))).toBe(false);
      expect(await scanKeys(redis, [`${prefix}*`])).toEqual([]);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([]);
    });
  });

  describe('when a personality was addressed', () => {
    it('marks the channel live, keeps the line, then keeps what follows', async () => {
      const windows = createRepository();
      const addressed = line({ content: '@Dr Who hi' });
      await windows.markLiveAndAppend(CHANNEL, addressed);
      const next = line({ at: START + 1000, name: 'Sam', userId: SAM, content: 'me too' });
      expect(await appendIfLive(windows, CHANNEL, next)).toBe(true);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([addressed, next]);
    });

    it('gives the live marker and the lines the window’s age and a quarter as TTL, and marks when', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      for (const key of [
        buildWindowLiveKey(prefix, CHANNEL),
        buildWindowLinesKey(prefix, CHANNEL),
        buildWindowOrderKey(prefix, CHANNEL),
      ]) {
        const ttl = await redis.pttl(key);
        expect(ttl).toBeGreaterThan(RENEWED_MS - 60_000);
        expect(ttl).toBeLessThanOrEqual(RENEWED_MS);
      }
      expect(await readMark(CHANNEL)).toEqual({ keysAt: START + RENEWED_MS, liveAt: START + RENEWED_MS });
    });

    it('stops keeping lines once the live marker expired', async () => {
      const windows = createRepository({ maxAgeSeconds: 1 });
      await windows.markLiveAndAppend(CHANNEL, line());
      await redis.pexpire(buildWindowLiveKey(prefix, CHANNEL), 1);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await appendIfLive(windows, CHANNEL, line({ content: 'later' }))).toBe(false);
    });
    it('renews the TTLs only when a new line (or the live marker) needs it', async () => {
      const windows = createRepository();
      const message = line();
      await windows.markLiveAndAppend(CHANNEL, message);
      const writes = spyOnSocketWrites(redis);
      // The same line again, then new lines within the first eighth of the age: no TTL written.
      await windows.markLiveAndAppend(CHANNEL, message);
      clock += AGE_MS / 8 - 1;
      await windows.markLiveAndAppend(CHANNEL, line({ at: clock }));
      await appendIfLive(windows, CHANNEL, line({ at: clock }));
      expect(writes()).toBeGreaterThan(0);
      expect(await readMark(CHANNEL)).toEqual({ keysAt: START + RENEWED_MS, liveAt: START + RENEWED_MS });
      // Past it, a gateway's new line renews the keys, an addressed message the live marker too.
      clock += 2;
      await appendIfLive(windows, CHANNEL, line({ at: clock }));
      expect(await readMark(CHANNEL)).toEqual({ keysAt: clock + RENEWED_MS, liveAt: START + RENEWED_MS });
      await windows.markLiveAndAppend(CHANNEL, message);
      expect(await readMark(CHANNEL)).toEqual({ keysAt: clock + RENEWED_MS, liveAt: clock + RENEWED_MS });
      expect(await redis.pttl(buildWindowLiveKey(prefix, CHANNEL))).toBeGreaterThan(RENEWED_MS - 60_000);
    });

    it('renews keys the previous version wrote (no mark) with their next new line', async () => {
      const windows = createRepository();
      const lines = buildWindowLinesKey(prefix, CHANNEL);
      const order = buildWindowOrderKey(prefix, CHANNEL);
      const old = line();
      await redis.set(buildWindowLiveKey(prefix, CHANNEL), '1', 'PX', 50_000);
      await redis.hset(lines, old.id, JSON.stringify(old));
      await redis.zadd(order, old.at, old.id);
      for (const key of [lines, order]) await redis.pexpire(key, 50_000);
      const next = line({ at: START + 1 });
      expect(await appendIfLive(windows, CHANNEL, next)).toBe(true);
      for (const key of [lines, order]) expect(await redis.pttl(key)).toBeGreaterThan(RENEWED_MS - 60_000);
      expect(await readMark(CHANNEL)).toEqual({ keysAt: START + RENEWED_MS, liveAt: 0 });
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([old, next]);
      // The previous version's append drops the mark with its age trim (and renews the keys its own way).
      await redis.zremrangebyscore(order, '-inf', '-inf');
      for (const key of [lines, order]) await redis.pexpire(key, 50_000);
      await windows.markLiveAndAppend(CHANNEL, line({ at: START + 2 }));
      for (const key of [lines, order]) expect(await redis.pttl(key)).toBeGreaterThan(RENEWED_MS - 60_000);
      expect(await readMark(CHANNEL)).toEqual({ keysAt: START + RENEWED_MS, liveAt: START + RENEWED_MS });
    });

    it('keeps both keys, and their TTLs, when every line left the window', async () => {
      const windows = createRepository();
      const only = line();
      await windows.markLiveAndAppend(CHANNEL, only);
      await windows.removeMessages(CHANNEL, [only.id]);
      // Aged out by an append that adds nothing new.
      await windows.markLiveAndAppend(CHANNEL, line({ at: START + 1 }));
      clock = START + AGE_MS + 10;
      await appendIfLive(windows, CHANNEL, line({ at: START + 1 }));
      expect(await countLines(CHANNEL)).toBe(0);
      const next = line({ at: clock });
      await appendIfLive(windows, CHANNEL, next);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([next]);
      for (const key of [buildWindowLinesKey(prefix, CHANNEL), buildWindowOrderKey(prefix, CHANNEL)])
        expect(await redis.pttl(key)).toBeGreaterThan(0);
    });
  });

  describe('when two gateways append one message', () => {
    it('keeps it once, with the text an edit gave it meanwhile', async () => {
      const windows = createRepository();
      const message = line();
      await windows.markLiveAndAppend(CHANNEL, message);
      await windows.recordEdit(CHANNEL, message.id, 'hello, edited');
      const results = await Promise.all([
        appendIfLive(windows, CHANNEL, message),
        appendIfLive(windows, CHANNEL, message),
        windows.markLiveAndAppend(CHANNEL, message),
      ]);
      expect(results.slice(0, 2)).toEqual([true, true]);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([
        { ...message, content: 'hello, edited' },
      ]);
    });

    it('knows from the mark until when deleted ids are remembered, and looks them up only then', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      expect((await readFullMark(CHANNEL))?.removedUntil).toBe(0);
      const deleted = line({ at: START + 1 });
      await windows.removeMessages(CHANNEL, [deleted.id]);
      expect((await readFullMark(CHANNEL))?.removedUntil).toBe(START + 10 * 60_000);
      expect(await appendIfLive(windows, CHANNEL, deleted)).toBe(true);
      expect(await redis.hexists(buildWindowLinesKey(prefix, CHANNEL), deleted.id)).toBe(0);
    });

    it('looks up ids the previous version remembered (no mark told) once the keys are renewed', async () => {
      const windows = createRepository();
      const deleted = line({ at: START + 1 });
      // The previous version's removeLines: the id remembered, no mark moved.
      await redis.zadd(buildWindowRemovedKey(prefix, CHANNEL), START, deleted.id);
      await redis.pexpire(buildWindowRemovedKey(prefix, CHANNEL), 600_000);
      await windows.markLiveAndAppend(CHANNEL, line());
      expect((await readFullMark(CHANNEL))?.removedUntil).toBeGreaterThan(START + 590_000);
      expect(await appendIfLive(windows, CHANNEL, deleted)).toBe(true);
      expect(await redis.hexists(buildWindowLinesKey(prefix, CHANNEL), deleted.id)).toBe(0);
    });

    it('does not bring back a message deleted before the late append', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      const deleted = line({ at: START + 1 });
      await appendIfLive(windows, CHANNEL, deleted);
      await windows.removeMessages(CHANNEL, [deleted.id]);
      expect(await appendIfLive(windows, CHANNEL, deleted)).toBe(true);
      expect((await windows.fetchRecent(CHANNEL, everything)).map((kept) => kept.id)).not.toContain(
        deleted.id,
      );
    });
  });

  describe('when the window is full', () => {
    it('keeps the newest maxLines lines', async () => {
      const windows = createRepository({ maxLines: 3 });
      const lines = Array.from({ length: 5 }, (_, index) =>
        line({ at: START + index, content: `m${index}` }),
      );
      await windows.markLiveAndAppend(CHANNEL, lines[0]!);
      for (const next of lines.slice(1)) await appendIfLive(windows, CHANNEL, next);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual(lines.slice(2));
      expect(await countLines(CHANNEL)).toBe(3);
    });

    it('lets a tenth more lines stand, then trims back to maxLines at once', async () => {
      const windows = createRepository({ maxLines: 20 });
      const lines = Array.from({ length: 23 }, (_, index) =>
        line({ at: START + index, content: `m${index}` }),
      );
      await windows.markLiveAndAppend(CHANNEL, lines[0]!);
      for (const next of lines.slice(1, 22)) await appendIfLive(windows, CHANNEL, next);
      // 22 lines: two beyond the 20, as many as the tenth allows.
      expect(await countLines(CHANNEL)).toBe(22);
      expect(await windows.fetchRecent(CHANNEL, { ...everything, limit: 20 })).toEqual(lines.slice(2, 22));
      await appendIfLive(windows, CHANNEL, lines[22]!);
      expect(await countLines(CHANNEL)).toBe(20);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual(lines.slice(3));
      expect(await redis.hexists(buildWindowLinesKey(prefix, CHANNEL), lines[2]!.id)).toBe(0);
    });
  });

  describe('when lines grow older than the window’s age', () => {
    it('drops them on the next append', async () => {
      const windows = createRepository();
      const old = line({ at: START });
      await windows.markLiveAndAppend(CHANNEL, old);
      clock = START + MAX_AGE_SECONDS * 1000 + 1;
      const fresh = line({ at: clock });
      await windows.markLiveAndAppend(CHANNEL, fresh);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([fresh]);
      expect(await redis.hexists(buildWindowLinesKey(prefix, CHANNEL), old.id)).toBe(0);
    });

    it('drops the aged lines or those beyond maxLines, whichever are more', async () => {
      const windows = createRepository({ maxLines: 3 });
      const [aged, kept, newer] = [line({ at: START }), line({ at: START + 10 }), line({ at: START + 20 })];
      await windows.markLiveAndAppend(CHANNEL, aged);
      await windows.markLiveAndAppend(CHANNEL, kept);
      clock = START + MAX_AGE_SECONDS * 1000 + 5;
      // One line aged, none beyond the cap: the aged one goes.
      await windows.markLiveAndAppend(CHANNEL, newer);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([kept, newer]);
      // No line aged, two beyond the cap: both go.
      const latest = [1, 2, 3].map((offset) => line({ at: clock + offset }));
      await windows.appendOwnLines(CHANNEL, latest);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual(latest);
      expect(await countLines(CHANNEL)).toBe(3);
    });
  });

  describe('fetchRecent', () => {
    it('answers the newest lines of the range, oldest first', async () => {
      const windows = createRepository();
      const lines = Array.from({ length: 6 }, (_, index) => line({ at: START + index * 1000 }));
      await windows.appendOwnLines(CHANNEL, lines);
      const ids = async (query: { limit: number; sinceMs: number; beforeMs?: number }) =>
        (await windows.fetchRecent(CHANNEL, query)).map((kept) => kept.id);
      const all = lines.map((kept) => kept.id);
      expect(await ids({ limit: 3, sinceMs: 0 })).toEqual(all.slice(3));
      expect(await ids({ limit: 10, sinceMs: START + 2000 })).toEqual(all.slice(2));
      expect(await ids({ limit: 2, sinceMs: 0, beforeMs: START + 4000 })).toEqual(all.slice(2, 4));
      expect(await ids({ limit: 0, sinceMs: 0 })).toEqual([]);
      const [batched] = await RedisBatch.together((batch) =>
        Promise.all([windows.fetchRecent(CHANNEL, { limit: 1, sinceMs: 0 }, batch)]),
      );
      expect(batched).toEqual([lines[5]]);
    });
  });

  describe('recordEdit', () => {
    it('changes the text of a kept line and nothing else', async () => {
      const windows = createRepository();
      const kept = line({ replyToId: '300000000000000001', content: 'typo' });
      await windows.markLiveAndAppend(CHANNEL, kept);
      await windows.recordEdit(CHANNEL, kept.id, 'fixed ünïcode 🎉 "quoted" / slash');
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([
        { ...kept, content: 'fixed ünïcode 🎉 "quoted" / slash' },
      ]);
    });

    it('stores nothing for a message it does not keep', async () => {
      const windows = createRepository();
      await windows.recordEdit(CHANNEL, '300000000000000001', 'new text');
      expect(await scanKeys(redis, [`${prefix}*`])).toEqual([]);
    });

    it('caps the text at 4000 characters', async () => {
      const windows = createRepository();
      const kept = line();
      await windows.markLiveAndAppend(CHANNEL, kept);
      await windows.recordEdit(CHANNEL, kept.id, 'x'.repeat(5000));
      const [edited] = await windows.fetchRecent(CHANNEL, everything);
      expect(edited?.content).toHaveLength(4000);
    });
  });

  describe('removeMessages', () => {
    it('removes one message, or a bulk delete’s, from the window and the fetched cache', async () => {
      const windows = createRepository();
      const lines = Array.from({ length: 4 }, (_, index) => line({ at: START + index }));
      await windows.appendOwnLines(CHANNEL, lines);
      const ancestor = line({ at: START - 1 });
      await windows.cacheFetchedLines(CHANNEL, [ancestor]);
      await windows.removeMessages(CHANNEL, [lines[1]!.id]);
      await windows.removeMessages(CHANNEL, [lines[2]!.id, lines[3]!.id, ancestor.id, '399999999999999999']);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([lines[0]]);
      expect(await windows.fetchLines(CHANNEL, [ancestor.id])).toEqual(new Map());
    });
  });

  describe('fetchLines', () => {
    it('finds lines in the window, else in the fetched cache', async () => {
      const windows = createRepository();
      const inWindow = line();
      const ancestor = line({ at: START - 86_400_000, name: 'Old', userId: SAM });
      await windows.markLiveAndAppend(CHANNEL, inWindow);
      await windows.cacheFetchedLines(CHANNEL, [ancestor, { ...inWindow, content: 'stale copy' }]);
      const found = await windows.fetchLines(CHANNEL, [inWindow.id, ancestor.id, '399999999999999999']);
      expect(found).toEqual(
        new Map([
          [inWindow.id, inWindow],
          [ancestor.id, ancestor],
        ]),
      );
      const [batched] = await RedisBatch.together((batch) =>
        Promise.all([windows.fetchLines(CHANNEL, [ancestor.id], batch)]),
      );
      expect(batched.get(ancestor.id)).toEqual(ancestor);
    });
  });

  describe('cacheFetchedLines', () => {
    it('keeps at most maxFetchedLines, expiring with the window’s age', async () => {
      const windows = createRepository({ maxFetchedLines: 2 });
      const ancestors = [line(), line(), line()];
      for (const ancestor of ancestors) {
        clock += 1;
        await windows.cacheFetchedLines(CHANNEL, [ancestor]);
      }
      const found = await windows.fetchLines(
        CHANNEL,
        ancestors.map((ancestor) => ancestor.id),
      );
      expect([...found.keys()]).toEqual([ancestors[1]!.id, ancestors[2]!.id]);
      const ttl = await redis.pttl(buildFetchedLinesKey(prefix, CHANNEL));
      expect(ttl).toBeGreaterThan(MAX_AGE_SECONDS * 1000 - 60_000);
      expect(ttl).toBeLessThanOrEqual(MAX_AGE_SECONDS * 1000);
    });
  });

  describe('forgetUser', () => {
    it('removes their lines and the replies to them from every window and cache, and their index', async () => {
      const windows = createRepository();
      const theirs = line({ content: 'alice speaks' });
      const reply = line({ name: 'Dr Who', personalityId: 'drwho', content: 'to alice', at: START + 1 });
      const sams = line({ name: 'Sam', userId: SAM, content: 'sam speaks', at: START + 2 });
      const bot = line({ name: 'SomeBot', userId: null, content: 'beep', at: START + 3 });
      await windows.markLiveAndAppend(CHANNEL, theirs);
      await windows.appendOwnLines(CHANNEL, [reply]);
      await appendIfLive(windows, CHANNEL, sams);
      await appendIfLive(windows, CHANNEL, bot);
      const elsewhere = line({ content: 'alice elsewhere' });
      await windows.markLiveAndAppend(OTHER_CHANNEL, elsewhere);
      const ancestor = line({ content: 'alice long ago', at: START - 86_400_000 });
      await windows.cacheFetchedLines(OTHER_CHANNEL, [ancestor]);

      expect(await windows.forgetUser(ALICE)).toBe(4);
      expect(await windows.fetchRecent(CHANNEL, everything)).toEqual([sams, bot]);
      expect(await windows.fetchRecent(OTHER_CHANNEL, everything)).toEqual([]);
      expect(await windows.fetchLines(OTHER_CHANNEL, [ancestor.id])).toEqual(new Map());
      expect(await redis.exists(buildUserWindowsKey(prefix, ALICE))).toBe(0);
      expect(await windows.forgetUser(ALICE)).toBe(0);
    });

    it('indexes a person’s line appended to a live channel', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      await appendIfLive(windows, CHANNEL, line({ content: 'alice later' }));
      expect(await windows.forgetUser(ALICE)).toBe(1);
      expect(await windows.fetchRecent(CHANNEL, everything)).toHaveLength(1);
    });
  });

  describe('when the gateway appends a person’s lines (the index entry’s refresh)', () => {
    it('writes their index entry with their first line, then again only once the window’s age has passed', async () => {
      const windows = createRepository();
      const indexKey = buildUserWindowsKey(prefix, ALICE);
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      await appendIfLive(windows, CHANNEL, line({ at: clock }));
      expect(await redis.zscore(indexKey, CHANNEL)).toBe(String(START));

      clock += 60_000;
      const writes = spyOnSocketWrites(redis);
      await appendIfLive(windows, CHANNEL, line({ at: clock }));
      expect(writes()).toBe(1);
      expect(await redis.zscore(indexKey, CHANNEL)).toBe(String(START));

      clock = START + MAX_AGE_SECONDS * 1000;
      await appendIfLive(windows, CHANNEL, line({ at: clock }));
      expect(await redis.zscore(indexKey, CHANNEL)).toBe(String(clock));
    });

    it('reads the previous version’s record (the time of the write) as written in that time’s period', async () => {
      const windows = createRepository();
      const indexed = buildWindowIndexedKey(prefix, CHANNEL);
      const periodStart = START - (START % AGE_MS);
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      await redis.zadd(indexed, periodStart + 1, ALICE);
      expect((await windows.appendIfLive(CHANNEL, line({ at: clock }))).userIndex).toBeNull();
      await redis.zadd(indexed, periodStart - 1, ALICE);
      expect((await windows.appendIfLive(CHANNEL, line({ at: clock }))).userIndex).not.toBeNull();
      expect(await redis.zscore(indexed, ALICE)).toBe(String(periodStart));
      expect(await redis.zscore(indexed, '~')).toBe('inf');
    });

    it('hands the due entry back unwritten, for the person’s admission to write in their slot', async () => {
      const windows = createRepository();
      const indexKey = buildUserWindowsKey(prefix, ALICE);
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      const { live, userIndex } = await windows.appendIfLive(CHANNEL, line({ at: clock }));
      expect(live).toBe(true);
      expect(userIndex?.keys).toEqual([indexKey]);
      expect(await redis.exists(indexKey)).toBe(0);
      await windows.writeUserIndex(userIndex!);
      expect(await redis.zscore(indexKey, CHANNEL)).toBe(String(START));
      expect((await windows.appendIfLive(CHANNEL, line({ at: clock }))).userIndex).toBeNull();
    });

    it('writes no entry for a reply to a person whose entry is fresh, one for a reply to another', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      clock += 1000;
      const reply = (userId: string) =>
        line({ name: 'Dr Who', personalityId: 'drwho', userId, at: clock, content: 'answer' });
      const writes = spyOnSocketWrites(redis);
      await windows.appendOwnLines(CHANNEL, [reply(ALICE)]);
      expect(writes()).toBe(1);
      expect(await redis.zscore(buildUserWindowsKey(prefix, ALICE), CHANNEL)).toBe(String(START));
      await windows.appendOwnLines(CHANNEL, [reply(SAM)]);
      expect(await redis.zscore(buildUserWindowsKey(prefix, SAM), CHANNEL)).toBe(String(clock));
    });

    it('keeps an entry three window ages and a quarter, longer than any line written before its next refresh lives', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      const ttl = await redis.pttl(buildUserWindowsKey(prefix, ALICE));
      expect(ttl).toBeGreaterThan(3 * AGE_MS);
      expect(ttl).toBeLessThanOrEqual(3.25 * AGE_MS);
    });

    it('writes the entry again with the next line after /forget-me erased the index', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      await appendIfLive(windows, CHANNEL, line());
      expect(await windows.forgetUser(ALICE)).toBe(1);
      clock += 1000;
      await appendIfLive(windows, CHANNEL, line({ at: clock, content: 'alice again' }));
      expect(await windows.forgetUser(ALICE)).toBe(1);
      expect(await windows.fetchRecent(CHANNEL, everything)).toHaveLength(1);
    });

    it('writes the entry again after the index dropped the channel over its cap', async () => {
      const windows = createRepository({ maxIndexedChannels: 1 });
      await windows.markLiveAndAppend(CHANNEL, line({ userId: SAM, name: 'Sam' }));
      await appendIfLive(windows, CHANNEL, line());
      clock += 1000;
      await windows.markLiveAndAppend(OTHER_CHANNEL, line({ at: clock }));
      clock += 1000;
      await appendIfLive(windows, CHANNEL, line({ at: clock, content: 'alice back' }));
      expect(await redis.zrange(buildUserWindowsKey(prefix, ALICE), '0', '-1')).toEqual([CHANNEL]);
    });
  });

  describe('when the gateway records the message as the channel’s newest with its line', () => {
    const activity = () => new ChannelActivityRepository(redis, { prefix });

    it('records it, a person’s as the newest human message too, live channel or not, in one command', async () => {
      const windows = createRepository();
      const quiet = line();
      const writes = spyOnSocketWrites(redis);
      const live = await appendIfLive(
        windows,
        CHANNEL,
        quiet,
        undefined,
        activity().describeLatest(CHANNEL, quiet.id, { human: true }),
      );
      expect(live).toBe(false);
      expect(writes()).toBe(1);
      expect(await activity().fetchLatest(CHANNEL)).toBe(quiet.id);
      expect(await activity().fetchLatestHuman(CHANNEL)).toBe(quiet.id);

      await windows.markLiveAndAppend(CHANNEL, line());
      const bot = line({ userId: null, name: 'SomeBot' });
      await appendIfLive(
        windows,
        CHANNEL,
        bot,
        undefined,
        activity().describeLatest(CHANNEL, bot.id, { human: false }),
      );
      expect(await activity().fetchLatest(CHANNEL)).toBe(bot.id);
      expect(await activity().fetchLatestHuman(CHANNEL)).toBe(quiet.id);
    });

    it('never moves it back to an older message', async () => {
      const windows = createRepository();
      const [older, newer] = [line(), line()];
      for (const message of [newer, older])
        await appendIfLive(
          windows,
          CHANNEL,
          message,
          undefined,
          activity().describeLatest(CHANNEL, message.id, { human: true }),
        );
      expect(await activity().fetchLatest(CHANNEL)).toBe(newer.id);
      expect(await activity().fetchLatestHuman(CHANNEL)).toBe(newer.id);
    });

    it('moves the newest human message forward whether or not it is the newest message', async () => {
      const windows = createRepository();
      const [first, early, bot, after] = [line(), line(), line({ userId: null, name: 'SomeBot' }), line()];
      const record = (message: WindowLine, human: boolean) =>
        windows.appendIfLive(
          CHANNEL,
          message,
          undefined,
          activity().describeLatest(CHANNEL, message.id, { human }),
        );
      await record(first, true);
      await record(bot, false);
      // Older than the newest, newer than the newest human message: only the latter moves.
      await record(early, true);
      expect(await activity().fetchLatest(CHANNEL)).toBe(bot.id);
      expect(await activity().fetchLatestHuman(CHANNEL)).toBe(early.id);
      // Newer than the newest: both move.
      await record(after, true);
      await record(first, true);
      expect(await activity().fetchLatest(CHANNEL)).toBe(after.id);
      expect(await activity().fetchLatestHuman(CHANNEL)).toBe(after.id);
    });
  });

  describe('when a user’s index is over its cap', () => {
    it('removes their lines from the window it drops', async () => {
      const windows = createRepository({ maxIndexedChannels: 2 });
      const channels = ['200000000000000011', '200000000000000012', '200000000000000013'];
      for (const channel of channels) {
        clock += 1000;
        await windows.markLiveAndAppend(channel, line({ at: clock }));
      }
      expect(await windows.fetchRecent(channels[0]!, everything)).toEqual([]);
      expect(await windows.fetchRecent(channels[2]!, everything)).toHaveLength(1);
      expect(await redis.zrange(buildUserWindowsKey(prefix, ALICE), '0', '-1')).toEqual(channels.slice(1));
    });
  });

  describe('forgetChannels', () => {
    it('deletes every key of those channels’ windows', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line());
      await windows.cacheFetchedLines(CHANNEL, [line()]);
      await windows.removeMessages(CHANNEL, ['399999999999999999']);
      await appendIfLive(windows, CHANNEL, line({ userId: SAM }));
      await windows.markLiveAndAppend(OTHER_CHANNEL, line());
      await windows.forgetChannels([CHANNEL]);
      const left = await scanKeys(redis, [`${prefix}*`]);
      expect(left.filter((key) => key.includes(`{c:${CHANNEL}}`))).toEqual([]);
      expect(left.some((key) => key.includes(`{c:${OTHER_CHANNEL}}`))).toBe(true);
    });
  });

  it('gives every key it writes a TTL', async () => {
    const windows = createRepository();
    await windows.markLiveAndAppend(CHANNEL, line());
    await windows.appendOwnLines(CHANNEL, [line({ personalityId: 'drwho', name: 'Dr Who' })]);
    await windows.cacheFetchedLines(CHANNEL, [line({ userId: SAM })]);
    await appendIfLive(windows, CHANNEL, line({ userId: SAM }));
    await windows.removeMessages(OTHER_CHANNEL, ['399999999999999999']);
    const keys = await scanKeys(redis, [`${prefix}*`]);
    expect(keys.length).toBeGreaterThanOrEqual(9);
    for (const key of keys) expect(await redis.pttl(key), key).toBeGreaterThan(0);
  });

  describe('when a line is longer than a line may be', () => {
    it('keeps the first 4000 characters', async () => {
      const windows = createRepository();
      await windows.markLiveAndAppend(CHANNEL, line({ content: 'y'.repeat(4500), name: 'n'.repeat(150) }));
      const [kept] = await windows.fetchRecent(CHANNEL, everything);
      expect(kept?.content).toHaveLength(4000);
      expect(kept?.name).toHaveLength(100);
    });
  });
});
