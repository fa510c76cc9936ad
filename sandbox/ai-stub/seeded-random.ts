/**
 * Deterministic randomness for the AI stub: the same seed gives the same error/hang decisions and latencies
 * run after run, so a fault scenario can be replayed exactly.
 */

/** A function returning numbers in [0, 1), like `Math.random`. */
export type RandomSource = () => number;

/** A latency drawn from a distribution instead of a fixed number of milliseconds. */
export type LatencyDistribution =
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  /** Gaussian, clamped at 0 (a latency is never negative). */
  | { readonly kind: 'normal'; readonly meanMs: number; readonly stdDevMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number };

/** A fixed latency (ms) or a distribution. */
export type LatencySetting = number | LatencyDistribution;

/** mulberry32: tiny, fast, good enough for test traffic, and fully determined by its 32-bit seed. */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** FNV-1a of `text`: derives an independent seed per API key, so one key's traffic never shifts another's draws. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Draws one latency in whole milliseconds (never negative). */
export function sampleLatencyMs(setting: LatencySetting, random: RandomSource): number {
  if (typeof setting === 'number') return Math.max(0, Math.round(setting));
  switch (setting.kind) {
    case 'uniform':
      return Math.max(0, Math.round(setting.minMs + random() * (setting.maxMs - setting.minMs)));
    case 'normal': {
      // Box–Muller; 1 - random() keeps the logarithm's argument in (0, 1].
      const radius = Math.sqrt(-2 * Math.log(1 - random()));
      const gaussian = radius * Math.cos(2 * Math.PI * random());
      return Math.max(0, Math.round(setting.meanMs + gaussian * setting.stdDevMs));
    }
    case 'exponential':
      return Math.max(0, Math.round(-Math.log(1 - random()) * setting.meanMs));
  }
}
