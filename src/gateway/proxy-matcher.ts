import type { InboundMessage } from './inbound-message.js';
import type { RoutingOutcome } from './routing-outcome.js';

/**
 * Proxy bots (PluralKit, Tupperbox): a plural user writes `[@Alice hi]`, the bot reposts `@Alice hi` through
 * its own webhook under a member's name (the proxy tags stripped) and deletes the original. PluralKit posts
 * the copy first and deletes after; either order reaches us. The copy is what people see, so it is what is
 * answered, for the person who wrote the original, addressing the member by name; the original's replies are
 * cancelled.
 *
 * The originals are kept in this process only, a few seconds, and only those that addressed a personality
 * (or are still being routed): no message text goes to Redis for this. Both events of one guild reach the
 * same gateway (its shard's); two replicas of a shard each match, and admission keeps one job per copy.
 */

/** Options for {@link ProxyMatcher}. */
export interface ProxyMatcherOptions {
  /** Application ids of the proxy bots (`PROXY_BOT_APPLICATION_IDS`); empty = remember nothing. */
  readonly applicationIds: ReadonlySet<string>;
  /**
   * How long after a person's message a proxy bot's copy of it is matched, in ms. Proxy bots repost within a
   * second or two. @defaultValue 5000
   */
  readonly windowMs: number;
  /** Messages remembered at most (the oldest are dropped first): bounds the memory of a busy gateway. @defaultValue 1000 */
  readonly maxEntries: number;
  /** Clock. @defaultValue Date.now */
  readonly now: () => number;
}

export const DefaultProxyMatcherOptions = {
  windowMs: 5000,
  maxEntries: 1000,
  now: Date.now,
} as const satisfies Omit<Required<ProxyMatcherOptions>, 'applicationIds'>;

/** A person's message, remembered until a copy matches it or it ages out. */
interface Remembered {
  readonly message: InboundMessage;
  /** Its text as written. */
  readonly rawContent: string;
  /**
   * Its text, whitespace normalized; null until a copy is first compared with it. Most messages are never
   * reposted, so the gateway normalizes only those a proxy bot's copy is looked for among.
   */
  text: string | null;
  readonly seenAt: number;
  /** Deleted since (a proxy bot deletes the original): preferred when two originals hold the copy's text. */
  deleted: boolean;
}

/** Whitespace runs as one space, trimmed: proxy bots trim the tags and the spaces around them. */
export function normalizeProxyText(text: string): string {
  return text.replace(/\s+/gu, ' ').trim();
}

/** Whether a proxy bot's copy (`copyText`) could be a repost of `originalText`, both normalized. */
export function isProxiedCopyOf(copyText: string, originalText: string): boolean {
  return copyText !== '' && originalText.includes(copyText);
}

/**
 * Remembers recent addressed messages and finds the one a proxy bot's copy reposts. Pure bookkeeping in
 * memory, with an injected clock.
 */
export class ProxyMatcher {
  readonly options: Readonly<ProxyMatcherOptions>;
  /** By message id, oldest first (insertion order): the first entries are the first to age out or be dropped. */
  private readonly entries = new Map<string, Remembered>();

  constructor(options: Pick<ProxyMatcherOptions, 'applicationIds'> & Partial<ProxyMatcherOptions>) {
    this.options = { ...DefaultProxyMatcherOptions, ...options };
  }

  /** Whether messages from the application `applicationId` are a proxy bot's copies. */
  isProxyBot(applicationId: string | null): boolean {
    return applicationId !== null && this.options.applicationIds.has(applicationId);
  }

  /** Messages remembered now (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Remembers a person's message in a server while it is routed; forgotten at once when `routing` addressed
   * nobody (a copy of it would address nobody either), else after `windowMs`.
   * @param rawContent The text as the person wrote it (without the attachment lines routing adds).
   */
  remember(message: InboundMessage, rawContent: string, routing: Promise<RoutingOutcome>): void {
    if (this.options.applicationIds.size === 0 || message.guildId === null) return;
    this.prune();
    const entry: Remembered = {
      message,
      rawContent,
      text: null,
      seenAt: this.options.now(),
      deleted: false,
    };
    this.entries.set(message.id, entry);
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    routing.then(
      (outcome) => {
        if (outcome.addressed.length === 0 && this.entries.get(message.id) === entry)
          this.entries.delete(message.id);
      },
      () => {
        if (this.entries.get(message.id) === entry) this.entries.delete(message.id);
      },
    );
  }

  /** A remembered message was deleted: kept (its copy may come next), but preferred by {@link match}. */
  markDeleted(messageId: string): void {
    const entry = this.entries.get(messageId);
    if (entry) entry.deleted = true;
  }

  /**
   * The original a proxy bot's copy reposts: a message remembered in the same channel, at most `windowMs` old,
   * whose text contains the copy's. Deleted ones first, then the newest. The match is forgotten: one copy per
   * original.
   */
  match(copy: { readonly channelId: string; readonly content: string }): InboundMessage | null {
    this.prune();
    const text = normalizeProxyText(copy.content);
    let best: Remembered | null = null;
    for (const entry of this.entries.values()) {
      if (entry.message.channelId !== copy.channelId) continue;
      entry.text ??= normalizeProxyText(entry.rawContent);
      if (!isProxiedCopyOf(text, entry.text)) continue;
      // Later entries are newer: a later one wins unless only the earlier one was deleted.
      if (best === null || entry.deleted || !best.deleted) best = entry;
    }
    if (best === null) return null;
    this.entries.delete(best.message.id);
    return best.message;
  }

  /** Drops the entries older than the window (they are at the front). */
  private prune(): void {
    const oldest = this.options.now() - this.options.windowMs;
    for (const [id, entry] of this.entries) {
      if (entry.seenAt >= oldest) break;
      this.entries.delete(id);
    }
  }
}
