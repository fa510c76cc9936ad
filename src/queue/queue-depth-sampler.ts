/**
 * The reply queue's depth as one process last read it, plus the jobs it added since: admission's queue-full cap
 * reads it instead of Redis while the read is younger than `maxAgeMs`. The cap is approximate anyway (other
 * gateways admit between any read and the admission script); sampling widens that by at most what the other
 * processes add within `maxAgeMs`, and saves a script per message (issue 22).
 */
export class QueueDepthSampler {
  private sample: { depth: number; readAt: number; addedBefore: number } | null = null;
  /** Jobs this process added, ever: a sample counts those added after it was read. */
  private added = 0;

  /**
   * @param maxAgeMs How long a read stands in for the queue's depth, in ms; 0 = never (every check reads Redis).
   * @param now Clock (Unix ms).
   */
  constructor(
    private readonly maxAgeMs: number,
    private readonly now: () => number,
  ) {}

  /** The sampled depth plus the jobs added since, or null when a fresh read is due. */
  getDepth(): number | null {
    if (this.sample === null || this.now() - this.sample.readAt >= this.maxAgeMs) return null;
    return this.sample.depth + this.added - this.sample.addedBefore;
  }

  /**
   * Reads the depth through `read` and keeps it. The read is dated when it was started: a job added while it
   * was on its way may be counted twice (the cap errs on the strict side), never missed.
   */
  async refresh(read: () => Promise<number>): Promise<number> {
    const readAt = this.now();
    const addedBefore = this.added;
    const depth = await read();
    if (this.maxAgeMs > 0 && (this.sample === null || readAt >= this.sample.readAt))
      this.sample = { depth, readAt, addedBefore };
    return depth;
  }

  /** This process added a job to the queue. */
  noteAdded(): void {
    this.added += 1;
  }
}
