import type { CounterWrite } from '../redis/index.js';

/** Options for {@link SharedUsageTotals}. */
export interface SharedUsageTotalsOptions {
  /** How often the totals are written, ms. @defaultValue 5000 */
  readonly flushIntervalMs: number;
  /** Writes the keys' additions, one call per key (the shared keys have no common slot), sent together. */
  readonly write: (writes: readonly CounterWrite[]) => Promise<ReadonlyArray<PromiseSettledResult<unknown>>>;
  /** Told when a timed flush failed (its additions are kept for the next one). */
  readonly onFlushFailed: (error: unknown) => void;
}

/**
 * The counters every reply shares (per server, personality and provider/model) added up in this process and
 * written once per interval, one call per key, instead of with every reply: they are hot keys of no user's slot
 * that no reply reads. Bound: a crash loses at most one interval of this process's additions to them; a
 * server's quota, which reads the server's counter, lags by at most one interval per worker. A write that fails
 * keeps its additions for the next one. Disposing it writes what is left.
 */
export class SharedUsageTotals implements AsyncDisposable {
  /** key → what to add: process-wide totals not yet written (one instance per UsageRepository). */
  readonly #pending = new Map<
    string,
    { kind: CounterWrite['kind']; ttlSeconds: number; add: Map<string, number> }
  >();
  #timer: NodeJS.Timeout | null = null;
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(private readonly options: SharedUsageTotalsOptions) {}

  /** Adds to the totals; the next flush writes them. */
  add(writes: readonly CounterWrite[]): void {
    for (const write of writes) {
      const entry = this.#pending.get(write.key) ?? {
        kind: write.kind,
        ttlSeconds: write.ttlSeconds,
        add: new Map(),
      };
      for (const [field, amount] of write.add) entry.add.set(field, (entry.add.get(field) ?? 0) + amount);
      this.#pending.set(write.key, entry);
    }
    if (this.#timer === null && !this.#closed && this.#pending.size > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.flush().catch(this.options.onFlushFailed);
      }, this.options.flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Writes every total added so far (joins a flush under way first); a failed key is kept for the next one. */
  async flush(): Promise<void> {
    await this.#flushing?.catch(() => undefined);
    const writes = [...this.#pending].map(([key, entry]) => ({ key, ...entry }));
    this.#pending.clear();
    if (writes.length === 0) return;
    this.#flushing = this.options.write(writes).then((results) => {
      const failed = writes.filter((_, index) => results[index]?.status === 'rejected');
      if (failed.length > 0) this.add(failed);
      const rejected = results.find((result) => result.status === 'rejected');
      if (rejected !== undefined) throw rejected.reason;
    });
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
