import type { RedisBatch } from '../redis/index.js';
import type { WindowLine } from './window-line.js';

/**
 * What the reply path reads from a channel's window (`ChannelWindowRepository` implements it): the recent
 * lines for the prompt, and lines by id for the reply chain, which also caches what it had to fetch from
 * Discord.
 */
export interface ChannelWindowReader {
  /** Oldest → newest, at most `limit` lines no older than `sinceMs` (and before `beforeMs` when given). */
  fetchRecent(
    channelId: string,
    query: { readonly limit: number; readonly sinceMs: number; readonly beforeMs?: number },
    batch?: RedisBatch,
  ): Promise<WindowLine[]>;
  /** Lines by message id, from the window or from the fetched-message cache; absent ids are left out. */
  fetchLines(
    channelId: string,
    messageIds: readonly string[],
    batch?: RedisBatch,
  ): Promise<Map<string, WindowLine>>;
  /** Caches reply-chain ancestors fetched from Discord, so a chain costs REST once. */
  cacheFetchedLines(channelId: string, lines: readonly WindowLine[], batch?: RedisBatch): Promise<void>;
}
