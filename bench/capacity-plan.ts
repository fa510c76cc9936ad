/** One point of the capacity scenario: how many AI calls a worker holds at once, how slow each is, the load. */
export interface CapacityPlan {
  /** The worker's concurrency, so AI calls in flight once a backlog waits. */
  readonly inFlight: number;
  readonly aiLatencyMs: number;
  /** Little's law: in flight ÷ AI latency, replies/s. */
  readonly idealPerSecond: number;
  /** The ideal ÷ the machine's ceiling of the same run: at most the share asked for, unless the latency bound bit. */
  readonly shareOfCeiling: number;
  /** Offered above the ideal, so a backlog builds and keeps every slot busy. */
  readonly offeredPerSecond: number;
  /** Three waves: the first and last fill and drain the slots, the middle one is measured. */
  readonly messages: number;
}

/** What a point asks for. */
export interface CapacityPointSpec {
  readonly inFlight: number;
  /** The AI latency is at least this (the brief's "AI ~25 s" at 5,000 in flight). */
  readonly minAiLatencyMs: number;
  /** …and at most this, below the worker's AI timeout. */
  readonly maxAiLatencyMs: number;
}

/** The ideal may use at most this share of the ceiling: the scenario measures holding calls, not CPU. */
export const MAX_SHARE_OF_CEILING = 0.5;
/** Offered load ÷ ideal. */
const OVERLOAD = 1.4;
const LATENCY_STEP_MS = 100;

/**
 * Picks the AI latency of a capacity point from the ceiling measured first in the same run: the shortest (in
 * steps of 100 ms, within the spec's bounds) whose ideal throughput is at most half the ceiling, so a shortfall
 * from the ideal is the worker's holding of calls, not the machine running out of CPU.
 */
export function planCapacityPoint(spec: CapacityPointSpec, ceilingPerSecond: number): CapacityPlan {
  const wantedMs = (spec.inFlight * 1000) / (MAX_SHARE_OF_CEILING * ceilingPerSecond);
  const stepped = Math.ceil(wantedMs / LATENCY_STEP_MS) * LATENCY_STEP_MS;
  const aiLatencyMs = Number.isFinite(stepped)
    ? Math.min(spec.maxAiLatencyMs, Math.max(spec.minAiLatencyMs, stepped))
    : spec.maxAiLatencyMs;
  const idealPerSecond = (spec.inFlight * 1000) / aiLatencyMs;
  return {
    inFlight: spec.inFlight,
    aiLatencyMs,
    idealPerSecond,
    shareOfCeiling: idealPerSecond / ceilingPerSecond,
    offeredPerSecond: Math.ceil(idealPerSecond * OVERLOAD),
    messages: 3 * spec.inFlight,
  };
}
