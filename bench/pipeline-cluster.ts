import { BenchCluster, buildGatewayEnv, NO_DISCORD_LIMITS } from './bench-cluster.js';
import type { BenchContext } from './bench-context.js';
import type { QueueMode } from './scenario-result.js';
import { BENCH_ALLOWLIST_SIZE } from './server-settings.js';

/** The variants of the plain cost and Redis-cost runs (see pipeline-variants.ts). */
export type PipelineVariantId = 'settings' | 'room';

/** The cost phase: the plain run, or one of its variants. */
export type CostPhase = 'cost' | `cost-${PipelineVariantId}`;
/** The Redis-cost phase: the plain run, or one of its variants. */
export type RedisCostPhase = 'redis' | `redis-${PipelineVariantId}`;

/** A phase run on the pipeline cluster, each with its own users. */
export type PipelinePhase = CostPhase | RedisCostPhase | 'latency' | 'gate' | 'warm-up';

/**
 * Users of each phase run on the shared pipeline cluster: every phase and queue mode talks to the system through
 * its own users, so none inherits another's conversation history (longer prompts) or pending jobs. Each variant
 * of the cost and Redis-cost phases has as many users as the plain phase.
 */
const PHASE_USERS = {
  cost: { from: 0, to: 500 },
  latency: { from: 500, to: 900 },
  redis: { from: 900, to: 1100 },
  gate: { from: 1100, to: 1102 },
  'cost-settings': { from: 1102, to: 1602 },
  'redis-settings': { from: 1602, to: 1802 },
  'cost-room': { from: 1802, to: 2302 },
  'redis-room': { from: 2302, to: 2502 },
  'warm-up': { from: 2502, to: 3002 },
} as const satisfies Record<PipelinePhase, { from: number; to: number }>;
const USERS_PER_MODE = Math.max(...Object.values(PHASE_USERS).map((range) => range.to));

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
