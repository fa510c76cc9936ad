import {
  fetchIndexMembers,
  RedisBatch,
  type RedisClient,
  type ScriptCall,
  StoredTextCache,
} from '../redis/index.js';
import type { ChannelLatestRecord } from '../state/index.js';
import { ContextScript, runContextScript } from './context-scripts.js';
import {
  buildFetchedLinesKey,
  buildFetchedOrderKey,
  buildUserWindowsKey,
  buildWindowIndexedKey,
  buildWindowKeys,
  buildWindowLinesKey,
  buildWindowLiveKey,
  buildWindowOrderKey,
  buildWindowRemovedKey,
} from './keys.js';
import { buildStoredLine, parseStoredLine, WINDOW_LINE_MAX_CONTENT, type WindowLine } from './window-line.js';

/** Options for {@link ChannelWindowRepository}. */
export interface ChannelWindowRepositoryOptions {
  /** `REDIS_PREFIX`. */
  prefix: string;
  /**
   * Lines a channel's window keeps, newest first; older ones go on the next append, once a tenth more stand
   * (trimmed in batches, see appendLines). The most a prompt may show (`CHANNEL_CONTEXT_MESSAGES` at most 100),
   * so changing that setting never finds the window short.
   * @defaultValue 100
   */
  maxLines: number;
  /**
   * How long a line is kept, and a channel stays live after a personality was addressed or answered there, in
   * seconds (`CHANNEL_CONTEXT_MAX_AGE_SECONDS`). A window's keys expire at least this long after its newest line
   * (and at most a quarter more: they are renewed only when short).
   */
  maxAgeSeconds: number;
  /** Reply-chain ancestors a channel's cache keeps (newest fetched first). @defaultValue 100 */
  maxFetchedLines: number;
  /**
   * Channels a user's index of windows holding their lines keeps (`USER_INDEX_MAX_ENTRIES`); beyond it their
   * lines leave the oldest windows. @defaultValue 500
   */
  maxIndexedChannels: number;
  /** Clock (Unix ms). @defaultValue Date.now */
  now: () => number;
}

export const DefaultChannelWindowRepositoryOptions = {
  maxLines: 100,
  maxFetchedLines: 100,
  maxIndexedChannels: 500,
  now: Date.now,
} as const satisfies Omit<Required<ChannelWindowRepositoryOptions>, 'prefix' | 'maxAgeSeconds'>;

/** Which lines {@link ChannelWindowRepository.fetchRecent} reads. */
export interface RecentLinesQuery {
  /** Most lines returned (the newest of the range). */
  readonly limit: number;
  /** Lines sent before this (Unix ms) are left out. */
  readonly sinceMs: number;
  /** Only lines sent before this (Unix ms), e.g. before the message being answered. */
  readonly beforeMs?: number;
}

/** What {@link ChannelWindowRepository.appendIfLive} did. */
export interface LiveAppend {
  /** Whether the channel is live (the line is in the window: now, or already by another gateway). */
  readonly live: boolean;
  /**
   * The entry of the line's person in their window index, when the append made it due (see appendLines), not
   * written yet: the caller runs it in a script of the person's slot ({@link ChannelWindowRepository.buildUserIndexCall})
   * or on its own ({@link ChannelWindowRepository.writeUserIndex}). null when none is due.
   */
  readonly userIndex: ScriptCall<void> | null;
}

/**
 * How long a deleted message's id is remembered, so a second gateway appending it late does not bring it back
 * (gateways see an event within seconds of each other; minutes leave room for a reconnect's replay).
 */
const REMOVED_MEMORY_MS = 10 * 60_000;
/** Most deleted ids a channel remembers (a bulk delete is 100 at most). */
const REMOVED_MEMORY_MAX = 1000;

/**
 * The kept recent conversation of each channel where a personality takes part: one line per message, written as
 * events arrive (the gateway: people, other bots and webhooks; the worker: the personalities' own replies), so
 * a prompt reads it without asking Discord.
 *
 * Per channel, under the hash tag `{c:<channelId>}`: a live marker, which expires `maxAgeSeconds` (up to a quarter
 * more) after a personality was last addressed or answered there (only a live channel's messages are kept); the
 * lines (a HASH by message id and a ZSET by time, trimmed to `maxAgeSeconds` on every append and to `maxLines`
 * on every new line, expiring `maxAgeSeconds` (up to a quarter more) after the newest line); reply-chain
 * ancestors fetched from Discord, bounded and expiring alike.
 * A user's lines are listed per user (`{u:<userId>}`, bounded by age and count), so `/forget-me` finds every
 * window holding them without SCAN; each window remembers when it last wrote a user's entry there, so the
 * gateway rewrites it once per window's age rather than per line (removing a user's lines forgets that).
 */
export class ChannelWindowRepository {
  readonly options: Readonly<ChannelWindowRepositoryOptions>;
  /**
   * Lines read before, parsed once per process: every reply in a channel reads its recent lines again, and
   * parsing each was the worker's largest zod cost (docs/performance.md, Profile).
   */
  private readonly lines = new StoredTextCache(parseStoredLine);

  constructor(
    private readonly redis: RedisClient,
    options: Pick<ChannelWindowRepositoryOptions, 'prefix' | 'maxAgeSeconds'> &
      Partial<ChannelWindowRepositoryOptions>,
  ) {
    this.options = { ...DefaultChannelWindowRepositoryOptions, ...options };
  }

  /**
   * Gateway, every message: appends the line only when the channel is live (a personality was addressed or
   * answered there recently), and records `latest` (the message as the channel's newest) in the same script,
   * live or not. Idempotent by `line.id`. With a batch, a share of its round trip. A new line of a person makes
   * their index entry due once per refresh period (the window's age) per person and channel: handed back, for
   * the caller to write with the person's admission (same slot) or on its own.
   */
  async appendIfLive(
    channelId: string,
    line: WindowLine,
    batch?: RedisBatch,
    latest?: ChannelLatestRecord,
  ): Promise<LiveAppend> {
    const stored = buildStoredLine(line);
    const [added, index] = await this.runAppend(channelId, 'if-live', [stored], batch, {
      latest,
      indexUserId: stored.userId,
    });
    const dueUserId = index === 1 ? stored.userId : null;
    return {
      live: added >= 0,
      userIndex: dueUserId === null ? null : this.buildUserIndexCall(channelId, dueUserId),
    };
  }

  /**
   * Gateway, after routing addressed a personality: marks the channel live for `maxAgeSeconds` and appends the
   * line (idempotent by `line.id`). One round trip, or a share of `batch`'s.
   */
  async markLiveAndAppend(channelId: string, line: WindowLine, batch?: RedisBatch): Promise<void> {
    await this.appendLive(channelId, [buildStoredLine(line)], batch);
  }

  /**
   * Worker, after posting a reply: the personality's own lines (one per posted message), which also mark the
   * channel live. Idempotent by message id, so a retried job may call it again. With `indexedApart`, the
   * lines' person is indexed by the caller's own script ({@link ChannelWindowRepository.buildUserIndexCall}).
   * With `latest`, the same script records the reply as the channel's newest message (the gateway leaves our
   * personalities' posts to the worker).
   */
  async appendOwnLines(
    channelId: string,
    lines: readonly WindowLine[],
    batch?: RedisBatch,
    options: { readonly indexedApart?: boolean; readonly latest?: ChannelLatestRecord | undefined } = {},
  ): Promise<void> {
    if (lines.length === 0) return;
    const stored = lines.map(buildStoredLine);
    const { latest } = options;
    if (options.indexedApart === true) {
      await this.runAppend(channelId, 'mark-live', stored, batch, { latest });
      return;
    }
    await this.appendLive(channelId, stored, batch, latest);
  }

  /**
   * The entry in `userId`'s window index that lines of theirs in `channelId` need, as a script call not yet sent,
   * for a script of the user's slot that writes it among its own steps (`boundIndex` on KEYS, with these args,
   * as indexUserWindow-1 does); its finish removes their lines from the windows the index dropped.
   */
  buildUserIndexCall(channelId: string, userId: string): ScriptCall<void> {
    const { prefix, maxIndexedChannels, now } = this.options;
    return {
      keys: [buildUserWindowsKey(prefix, userId)],
      // A line lives at most twice the window's age and the slack after it was written (appendLines renews the
      // keys only when short), and the gateway rewrites an entry once per window's age at most: kept three ages
      // and the slack, it outlives every line.
      args: [now(), 3 * this.maxAgeMs + this.slackMs, maxIndexedChannels, channelId],
      finish: async (reply) => {
        await this.forgetDropped((reply as string[]).map((channel) => ({ channelId: channel, userId })));
      },
    };
  }

  /** Writes an entry of a user's window index on its own (one round trip), then forgets what it dropped. */
  async writeUserIndex(call: ScriptCall<void>): Promise<void> {
    await call.finish(await this.runUserIndex(call));
  }

  /** Replaces the text of a message's line, where one is kept; adds nothing. */
  async recordEdit(channelId: string, messageId: string, content: string, batch?: RedisBatch): Promise<void> {
    const { prefix } = this.options;
    await runContextScript<number>(
      this.redis,
      ContextScript.recordLineEdit,
      [buildWindowLinesKey(prefix, channelId), buildFetchedLinesKey(prefix, channelId)],
      [messageId, content.slice(0, WINDOW_LINE_MAX_CONTENT)],
      batch,
    );
  }

  /** Removes deleted messages (one, or a bulk delete's) from the window and the fetched-ancestor cache. */
  async removeMessages(channelId: string, messageIds: readonly string[]): Promise<void> {
    if (messageIds.length === 0) return;
    const { prefix } = this.options;
    await runContextScript<number>(
      this.redis,
      ContextScript.removeLines,
      [
        buildWindowLinesKey(prefix, channelId),
        buildWindowOrderKey(prefix, channelId),
        buildFetchedLinesKey(prefix, channelId),
        buildFetchedOrderKey(prefix, channelId),
        buildWindowRemovedKey(prefix, channelId),
      ],
      [this.options.now(), REMOVED_MEMORY_MS, REMOVED_MEMORY_MAX, ...messageIds],
    );
  }

  /**
   * Oldest → newest, at most `limit` lines sent no earlier than `sinceMs` (and before `beforeMs` when given): the
   * newest such lines. One round trip, or a share of `batch`'s.
   */
  async fetchRecent(channelId: string, query: RecentLinesQuery, batch?: RedisBatch): Promise<WindowLine[]> {
    if (query.limit <= 0) return [];
    const { prefix } = this.options;
    const raw = await runContextScript<string[]>(
      this.redis,
      ContextScript.fetchRecentLines,
      [buildWindowLinesKey(prefix, channelId), buildWindowOrderKey(prefix, channelId)],
      [
        Math.floor(query.sinceMs),
        query.beforeMs === undefined ? '+inf' : Math.floor(query.beforeMs),
        query.limit,
      ],
      batch,
    );
    return raw.flatMap((entry) => this.lines.parse(entry) ?? []);
  }

  /**
   * Lines by message id, from the window or else from the fetched-ancestor cache; ids found in neither are
   * absent from the map. One round trip, or a share of `batch`'s.
   */
  async fetchLines(
    channelId: string,
    messageIds: readonly string[],
    batch?: RedisBatch,
  ): Promise<Map<string, WindowLine>> {
    const found = new Map<string, WindowLine>();
    if (messageIds.length === 0) return found;
    const { prefix } = this.options;
    const read = (key: string, target?: RedisBatch) =>
      RedisBatch.read<Array<string | null>>(this.redis, target, key, 'hmget', ...messageIds);
    const both = (target: RedisBatch) =>
      Promise.all([
        read(buildWindowLinesKey(prefix, channelId), target),
        read(buildFetchedLinesKey(prefix, channelId), target),
      ]);
    const [window, fetched] = await (batch === undefined ? RedisBatch.together(both) : both(batch));
    messageIds.forEach((messageId, index) => {
      const line = this.lines.parse(window[index] ?? null) ?? this.lines.parse(fetched[index] ?? null);
      if (line !== null) found.set(messageId, line);
    });
    return found;
  }

  /**
   * Caches reply-chain ancestors fetched from Discord's REST, so a chain costs REST once: kept `maxAgeSeconds`
   * after they were fetched, at most `maxFetchedLines` per channel. Their people are indexed for `/forget-me`.
   */
  async cacheFetchedLines(
    channelId: string,
    lines: readonly WindowLine[],
    batch?: RedisBatch,
  ): Promise<void> {
    if (lines.length === 0) return;
    const { prefix, maxFetchedLines, now } = this.options;
    const stored = lines.map(buildStoredLine);
    const write = (target: RedisBatch) =>
      Promise.all([
        runContextScript<number>(
          this.redis,
          ContextScript.cacheFetchedLines,
          [buildFetchedLinesKey(prefix, channelId), buildFetchedOrderKey(prefix, channelId)],
          [
            now(),
            this.maxAgeMs,
            maxFetchedLines,
            ...stored.flatMap((line) => [line.id, JSON.stringify(line)]),
          ],
          target,
        ),
        this.indexUsersIn(channelId, stored, target),
      ]);
    const [, dropped] = await (batch === undefined ? RedisBatch.together(write) : write(batch));
    await this.forgetDropped(dropped);
  }

  /**
   * `/forget-me`: removes every line whose `userId` is theirs (their messages, and the personalities' replies to
   * them) from every window and fetched-ancestor cache their index lists, then the index. Returns how many lines
   * were removed.
   */
  async forgetUser(userId: string): Promise<number> {
    const indexKey = buildUserWindowsKey(this.options.prefix, userId);
    const channelIds = await fetchIndexMembers(this.redis, indexKey);
    const removed = await this.removeUserLines(channelIds.map((channelId) => ({ channelId, userId })));
    await this.redis.unlink(indexKey);
    return removed;
  }

  /** A channel, thread or guild was deleted: every key of those channels' windows goes. */
  async forgetChannels(channelIds: readonly string[]): Promise<void> {
    if (channelIds.length === 0) return;
    // One slot per channel (its tag): one UNLINK each, sent together.
    await RedisBatch.together((batch) =>
      Promise.all(
        channelIds.map((channelId) => {
          const keys = buildWindowKeys(this.options.prefix, channelId);
          return RedisBatch.send(this.redis, batch, keys[0]!, (commands) => commands.unlink(...keys));
        }),
      ),
    );
  }

  private get maxAgeMs(): number {
    return this.options.maxAgeSeconds * 1000;
  }

  /**
   * How much longer than they need a window's keys and its live marker are given when renewed (see appendLines),
   * so the appends of that long leave their TTLs alone: a quarter of the window's age.
   */
  private get slackMs(): number {
    return Math.floor(this.maxAgeMs / 4);
  }

  /**
   * Appends with the live marker set, and indexes the lines' people. Lines of one person (a reply to them, the
   * message that opened the window): one round trip (or a share of `batch`'s), plus one when the script asks
   * for their index entry (once per window's age per person and channel). Lines of several people: each is
   * indexed with the append.
   */
  private async appendLive(
    channelId: string,
    lines: readonly WindowLine[],
    batch?: RedisBatch,
    latest?: ChannelLatestRecord,
  ): Promise<void> {
    const userIds = [...new Set(lines.flatMap((line) => (line.userId === null ? [] : [line.userId])))];
    if (userIds.length <= 1) {
      const indexUserId = userIds[0] ?? null;
      const [, index] = await this.runAppend(channelId, 'mark-live', lines, batch, { latest, indexUserId });
      if (index === 1 && indexUserId !== null) await this.indexUsers(channelId, [indexUserId]);
      return;
    }
    const write = (target: RedisBatch) =>
      Promise.all([
        this.runAppend(channelId, 'mark-live', lines, target, { latest }),
        this.indexUsersIn(channelId, lines, target),
      ]);
    const [, dropped] = await (batch === undefined ? RedisBatch.together(write) : write(batch));
    await this.forgetDropped(dropped);
  }

  /**
   * Resolves `[added, index]`: added -1 when the channel is not live (`if-live`), index 1 when the script asks
   * for `extras.indexUserId`'s index entry to be written (see appendLines).
   */
  private runAppend(
    channelId: string,
    mode: 'if-live' | 'mark-live',
    lines: readonly WindowLine[],
    batch?: RedisBatch,
    extras: { latest?: ChannelLatestRecord | undefined; indexUserId?: string | null } = {},
  ): Promise<[added: number, index: number]> {
    const { prefix, maxLines, now } = this.options;
    const { latest, indexUserId } = extras;
    return runContextScript<[number, number]>(
      this.redis,
      ContextScript.appendLines,
      [
        buildWindowLiveKey(prefix, channelId),
        buildWindowLinesKey(prefix, channelId),
        buildWindowOrderKey(prefix, channelId),
        buildWindowRemovedKey(prefix, channelId),
        buildWindowIndexedKey(prefix, channelId),
        ...(latest === undefined ? [] : latest.keys),
      ],
      [
        mode,
        now(),
        this.maxAgeMs,
        maxLines,
        latest?.messageId ?? '',
        latest?.ttlSeconds ?? 0,
        latest?.human === true ? 1 : 0,
        indexUserId ?? '',
        this.maxAgeMs,
        this.slackMs,
        ...lines.flatMap((line) => [line.id, line.at, JSON.stringify(line)]),
      ],
      batch,
    );
  }

  /** Indexes the people of `lines` (in `batch`); resolves with what their indexes dropped. */
  private async indexUsersIn(
    channelId: string,
    lines: readonly WindowLine[],
    batch: RedisBatch,
  ): Promise<Array<{ channelId: string; userId: string }>> {
    const userIds = [...new Set(lines.flatMap((line) => (line.userId === null ? [] : [line.userId])))];
    const dropped = await Promise.all(
      userIds.map(async (userId) =>
        (await this.indexUser(channelId, userId, batch)).map((channel) => ({ channelId: channel, userId })),
      ),
    );
    return dropped.flat();
  }

  /** Indexes people on their own (one round trip) and forgets what their indexes dropped. */
  private async indexUsers(channelId: string, userIds: readonly string[]): Promise<void> {
    const dropped = await RedisBatch.together((batch) =>
      Promise.all(
        userIds.map(async (userId) =>
          (await this.indexUser(channelId, userId, batch)).map((channel) => ({ channelId: channel, userId })),
        ),
      ),
    );
    await this.forgetDropped(dropped.flat());
  }

  private indexUser(channelId: string, userId: string, batch: RedisBatch): Promise<string[]> {
    return this.runUserIndex(this.buildUserIndexCall(channelId, userId), batch);
  }

  private runUserIndex(call: ScriptCall<void>, batch?: RedisBatch): Promise<string[]> {
    return runContextScript<string[]>(this.redis, ContextScript.indexUserWindow, call.keys, call.args, batch);
  }

  /** A user's index dropped these windows (over its cap): their lines leave them, so none outlives its entry. */
  private async forgetDropped(dropped: ReadonlyArray<{ channelId: string; userId: string }>): Promise<void> {
    if (dropped.length > 0) await this.removeUserLines(dropped);
  }

  private async removeUserLines(
    targets: ReadonlyArray<{ channelId: string; userId: string }>,
  ): Promise<number> {
    if (targets.length === 0) return 0;
    const { prefix } = this.options;
    const counts = await RedisBatch.together((batch) =>
      Promise.all(
        targets.map(({ channelId, userId }) =>
          runContextScript<number>(
            this.redis,
            ContextScript.forgetUserLines,
            [
              buildWindowLinesKey(prefix, channelId),
              buildWindowOrderKey(prefix, channelId),
              buildFetchedLinesKey(prefix, channelId),
              buildFetchedOrderKey(prefix, channelId),
              buildWindowIndexedKey(prefix, channelId),
            ],
            [userId],
            batch,
          ),
        ),
      ),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }
}
