/** What every scenario is given. */
export interface BenchContext {
  /** `--quick`: scaled-down scenarios for CI (the whole run within two minutes). */
  readonly quick: boolean;
  readonly redisUrl: string;
  /** Writes a progress line (stderr, so the table on stdout stays clean). */
  readonly progress: (line: string) => void;
}
