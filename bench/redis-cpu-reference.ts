/**
 * The first reported ratio of Redis CPU per reply to Redis CPU per raw BullMQ no-op job (cost scenario), fixed
 * here so every later run shows its own ratio divided by this one: the target is half of it. Measured by the
 * full bench on the tree named, before any of the Redis reductions it is there to judge.
 */
export const FIRST_REDIS_CPU_RATIO = {
  ratio: Number.NaN,
  measuredAt: '2026-12-07',
  commit: '3333887',
} as const;
