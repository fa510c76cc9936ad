/**
 * The first reported ratio of Redis CPU per reply to Redis CPU per raw BullMQ no-op job (cost scenario), fixed
 * here so every later run shows its own ratio divided by this one: the target is half of it. Measured by the
 * full bench (`--only=cost`, a Redis of its own: INFO's CPU is the whole server's) on the tree named, before any
 * of the Redis reductions it is there to judge: the plain reply path (streaming off), after the warm-up, 0.837 ms
 * per reply against 0.0983 ms per no-op job.
 */
export const FIRST_REDIS_CPU_RATIO = {
  ratio: 8.5,
  measuredAt: '2026-12-07',
  commit: '3333887',
} as const;
