import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from './bench-cluster.js';
import type { BenchContext } from './bench-context.js';
import type { QueueMode } from './scenario-result.js';
import { BENCH_ALLOWLIST_SIZE } from './server-settings.js';

/**
 * Users of each phase run on the shared pipeline cluster: every phase and queue mode talks to the system through
 * its own users, so none inherits another's conversation history (longer prompts) or pending jobs.
 */
const PHASE_USERS = {
  cost: { from: 0, to: 500 },
  latency: { from: 500, to: 900 },
  redis: { from: 900, to: 1100 },
  gate: { from: 1100, to: 1102 },
  /** The cost and Redis-cost phases again, with the guild's server settings present. */
  'cost-settings': { from: 1102, to: 1602 },
  'redis-settings': { from: 1602, to: 1802 },
} as const;
const USERS_PER_MODE = PHASE_USERS['redis-settings'].to;

/** A phase run on the pipeline cluster, each with its own users. */
export type PipelinePhase = keyof typeof PHASE_USERS;

/** The users of one phase in one queue mode. */
export function selectPhaseUsers(
  bench: BenchCluster,
  phase: PipelinePhase,
  mode: QueueMode,
): readonly string[] {
  const offset = mode === 'fair' ? 0 : USERS_PER_MODE;
  return bench.userIds.slice(offset + PHASE_USERS[phase].from, offset + PHASE_USERS[phase].to);
}

/** Channels of the pipeline cluster; each phase spreads over as many as it needs. */
export const PIPELINE_CHANNELS = 50;

/** Extra environment for the processes (e.g. `NODE_OPTIONS` for a CPU profile). */
export interface PipelineClusterEnv {
  readonly workerEnv?: Record<string, string>;
  readonly gatewayEnv?: Record<string, string>;
}

/**
 * The system of the cost, latency and Redis-cost scenarios: 1 gateway + 2 workers, AI 0 ms, the sandbox's
 * Discord limits off and per-user limits raised, so only the pipeline's own cost and latency show. Starts with
 * the fair queue; {@link BenchCluster.replaceGateway} with {@link buildGatewayEnv} switches it to FIFO.
 */
export function startPipelineCluster(
  context: BenchContext,
  extra: PipelineClusterEnv = {},
): Promise<BenchCluster> {
  return BenchCluster.start({
    redisUrl: context.redisUrl,
    // The fleet limiter stands for Discord's 50/s; with the sandbox's limits off it must not bind either.
    env: NO_DISCORD_LIMITS,
    workerEnv: extra.workerEnv ?? {},
    gatewayEnv: { ...buildGatewayEnv('fair'), ...extra.gatewayEnv },
    workers: 2,
    sandbox: { rateLimits: { enabled: false } },
    aiStub: { behaviour: { latency: 0 } },
    channels: PIPELINE_CHANNELS,
    users: 2 * USERS_PER_MODE,
    // Enough public personalities for the server settings' allowlist; messages address the first.
    personalities: BENCH_ALLOWLIST_SIZE,
    warmUp: true,
  });
}
