import { GuildSettingsRepository } from '../src/guilds/index.js';
import { createLogger } from '../src/log/index.js';
import { normalizePersonalityName } from '../src/state/index.js';
import type { BenchCluster } from './bench-cluster.js';

/** Personalities the bench's server allows (the addressed one among them). */
export const BENCH_ALLOWLIST_SIZE = 20;

/** Names the bench's server blocks: none of the bench's own, so every message is still answered. */
const BLOCKED_NAMES = ['Mods', 'Announcer', 'Spam Bot', 'Impostor', 'Admin Helper'];

/**
 * Writes server settings into the bench's guild, as an admin's `/server` would: allowlist mode with
 * {@link BENCH_ALLOWLIST_SIZE} personalities and 5 blocked names. Whatever the router reads and applies of them
 * is then part of every reply's cost.
 */
export async function applyBenchServerSettings(bench: BenchCluster): Promise<void> {
  const allowed = bench.personalities.slice(0, BENCH_ALLOWLIST_SIZE).map((personality) => personality.id);
  if (allowed.length < BENCH_ALLOWLIST_SIZE) {
    throw new Error(
      `server settings need ${BENCH_ALLOWLIST_SIZE} personalities, the bench has ${allowed.length}`,
    );
  }
  await openRepository(bench).update(bench.guildId, (current) => ({
    ...current,
    personalityMode: 'allowlist',
    allowedPersonalityIds: allowed,
    blockedNames: BLOCKED_NAMES.map(normalizePersonalityName),
  }));
}

/** Removes the bench guild's settings: the plain case again. */
export async function clearBenchServerSettings(bench: BenchCluster): Promise<void> {
  await openRepository(bench).delete([bench.guildId]);
}

function openRepository(bench: BenchCluster): GuildSettingsRepository {
  return new GuildSettingsRepository(bench.redis, {
    prefix: bench.prefix,
    logger: createLogger({ level: 'silent', service: 'bench' }),
  });
}
