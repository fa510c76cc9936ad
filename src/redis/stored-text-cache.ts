/** Options for {@link StoredTextCache}. */
export interface StoredTextCacheOptions {
  /**
   * Characters of stored text whose parse is kept, in all; the oldest kept is dropped first. Strings are two
   * bytes a character at most, and a parsed value holds about its text again: the default bounds a cache near
   * 4 MB. @defaultValue 1_000_000
   */
  maxChars: number;
}

export const DefaultStoredTextCacheOptions = {
  maxChars: 1_000_000,
} as const satisfies Required<StoredTextCacheOptions>;

/**
 * Values parsed from the text Redis stores them as (JSON checked by a schema), kept by that text: a value read
 * over and over (a channel's recent lines, a personality, for every reply) is parsed once per process. Equal
 * text parses to an equal value, so a hit is exactly what parsing would return, and a changed value is another
 * text, hence a miss. Callers share the values handed out: `parse` should freeze them, and nobody may mutate one.
 */
export class StoredTextCache<T> {
  readonly options: Readonly<StoredTextCacheOptions>;
  /** By stored text, oldest first (insertion order); null = unreadable. */
  private readonly parsed = new Map<string, T | null>();
  /** Characters of the keys of {@link parsed}. */
  private chars = 0;

  constructor(
    private readonly parseText: (raw: string) => T | null,
    options: Partial<StoredTextCacheOptions> = {},
  ) {
    this.options = { ...DefaultStoredTextCacheOptions, ...options };
  }

  /** The value stored as `raw`, or null when `raw` is absent or unreadable. */
  parse(raw: string | null | undefined): T | null {
    if (raw === null || raw === undefined) return null;
    const cached = this.parsed.get(raw);
    if (cached !== undefined) return cached;
    const value = this.parseText(raw);
    if (raw.length > this.options.maxChars) return value;
    this.chars += raw.length;
    for (const oldest of this.parsed.keys()) {
      if (this.chars <= this.options.maxChars) break;
      this.parsed.delete(oldest);
      this.chars -= oldest.length;
    }
    this.parsed.set(raw, value);
    return value;
  }
}
