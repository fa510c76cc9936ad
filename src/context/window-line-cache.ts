import { type WindowLine, WindowLineSchema } from './window-line.js';

/** Options for {@link WindowLineCache}. */
export interface WindowLineCacheOptions {
  /**
   * Characters of stored JSON whose parse is kept, in all; the oldest line kept is dropped first. Chat-length
   * lines are ~250 characters, so the default keeps ~4,000 of them (the recent lines of a hundred busy
   * channels), and at most ~4 MB of strings (each line's JSON and its parsed text). @defaultValue 1_000_000
   */
  maxChars: number;
}

export const DefaultWindowLineCacheOptions = {
  maxChars: 1_000_000,
} as const satisfies Required<WindowLineCacheOptions>;

/**
 * Window lines parsed from their stored JSON, by that JSON: every reply in a channel reads the same recent lines
 * again, and `JSON.parse` plus the schema check of each was the worker's largest zod cost (docs/performance.md,
 * Profile). Equal text parses to an equal line, so a hit is exactly what parsing would return; an edited line is
 * another text, hence a miss. Lines handed out are frozen, since callers share them.
 */
export class WindowLineCache {
  readonly options: Readonly<WindowLineCacheOptions>;
  /** By stored JSON, oldest first (insertion order); null = unreadable. */
  private readonly parsed = new Map<string, WindowLine | null>();
  /** Characters of the keys of {@link parsed}. */
  private chars = 0;

  constructor(options: Partial<WindowLineCacheOptions> = {}) {
    this.options = { ...DefaultWindowLineCacheOptions, ...options };
  }

  /** The line stored as `raw`, or null when `raw` is absent or not a valid line. */
  parse(raw: string | null): WindowLine | null {
    if (raw === null) return null;
    const cached = this.parsed.get(raw);
    if (cached !== undefined) return cached;
    const line = parseStoredLine(raw);
    if (raw.length > this.options.maxChars) return line;
    this.chars += raw.length;
    for (const oldest of this.parsed.keys()) {
      if (this.chars <= this.options.maxChars) break;
      this.parsed.delete(oldest);
      this.chars -= oldest.length;
    }
    this.parsed.set(raw, line);
    return line;
  }
}

function parseStoredLine(raw: string): WindowLine | null {
  try {
    const parsed = WindowLineSchema.safeParse(JSON.parse(raw));
    return parsed.success ? Object.freeze(parsed.data) : null;
  } catch {
    return null;
  }
}
