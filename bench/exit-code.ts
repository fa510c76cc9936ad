import type { ScenarioResult } from './scenario-result.js';

/** The bench's verdict on its own run: whether any reply was lost or doubled, and how many. */
export interface ExitDecision {
  readonly code: 0 | 1;
  readonly lost: number;
  readonly doubled: number;
}

/**
 * The bench fails (exit 1) only when a reply was lost or doubled: that breaks exactly-once delivery whatever the
 * machine. A missed timing target, a 429 or a scenario that broke (a timeout on a busy machine, shown as ERROR in
 * the table) is a result to read, not a failure: on a shared two-core machine timings say as much about the
 * neighbours as about the code. `--quick` is CI's smoke, and this is its rule.
 */
export function decideExitCode(results: readonly ScenarioResult[]): ExitDecision {
  let lost = 0;
  let doubled = 0;
  for (const { delivery } of results) {
    if (delivery === null) continue;
    lost += delivery.lost;
    doubled += delivery.doubled;
  }
  return { code: lost > 0 || doubled > 0 ? 1 : 0, lost, doubled };
}
