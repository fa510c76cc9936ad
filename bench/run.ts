/**
 * `npm run bench [-- --quick] [-- --only=cost,latency]`: Chorus's performance against its targets, each
 * scenario that has a baseline run both with our fair queue and with plain FIFO BullMQ (`FAIR_QUEUE=false`,
 * same code) in the same invocation, every target a ratio against a baseline of that invocation. Prints the
 * tables, writes `bench/results.json`. Exits 0 whether targets pass or not (pass/fail lives in the table and the
 * file), and 1 only when a reply was lost or doubled (exit-code.ts).
 */
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { buildDistOnce } from '../scripts/cluster/build-dist.js';
import { ensureRedis } from '../scripts/cluster/redis-check.js';
import type { BenchContext } from './bench-context.js';
import { formatCostProfile, runCostProfile } from './cost-profile.js';
import { decideExitCode } from './exit-code.js';
import { fetchRunOrigin } from './machine-info.js';
import { serializeBenchResults } from './results-file.js';
import { formatResultsTable } from './results-table.js';
import { buildBrokenResult, type ScenarioResult } from './scenario-result.js';
import { runCapacityScenario } from './scenarios/capacity-scenario.js';
import { runClusterShardsScenario } from './scenarios/cluster-shards-scenario.js';
import { runClusterWaitScenario } from './scenarios/cluster-wait-scenario.js';
import { runDiscordLimitsScenario } from './scenarios/discord-limits-scenario.js';
import { runFairnessScenario } from './scenarios/fairness-scenario.js';
import { runMemoryScenario } from './scenarios/memory-scenario.js';
import { type PipelineScenarioId, runPipelineScenarios } from './scenarios/pipeline-scenarios.js';
import { runRecoveryScenario } from './scenarios/recovery-scenario.js';
import { runStreamingScenario } from './scenarios/streaming-scenario.js';
import { runTransportScenario } from './scenarios/transport-scenario.js';

/** One scenario: its id (for `--only`), and what the table shows if it breaks. */
interface ScenarioInfo {
  readonly id: string;
  readonly title: string;
  readonly target: string;
}

/** Scenarios run together (they share a system); `run` gets the ids selected among them. */
interface ScenarioGroup {
  readonly scenarios: readonly ScenarioInfo[];
  readonly run: (context: BenchContext, ids: ReadonlySet<string>) => Promise<ScenarioResult[]>;
}

const single = (
  info: ScenarioInfo,
  run: (context: BenchContext) => Promise<ScenarioResult>,
): ScenarioGroup => ({
  scenarios: [info],
  run: async (context) => [await run(context)],
});

/** In the order they run (the numbering of the brief: 1 cost, 2 latency, 6 Redis share one system). */
const GROUPS: readonly ScenarioGroup[] = [
  {
    scenarios: [
      { id: 'cost', title: 'Cost', target: 'CPU per reply ≤ 1.10 × FIFO, ≤ 8 × a raw BullMQ job' },
      { id: 'latency', title: 'Overhead latency', target: 'p99 ≤ 1.10 × FIFO' },
      { id: 'redis', title: 'Redis cost', target: '≤ 13 sent / ≤ 55 in Lua per reply' },
      { id: 'gate', title: 'Conversation wait', target: '≤ 1 command per waiting job-second' },
    ],
    run: (context, ids) => runPipelineScenarios(context, ids as ReadonlySet<PipelineScenarioId>),
  },
  single(
    { id: 'cluster-wait', title: 'Cost of WAIT on a Cluster', target: 'reported' },
    runClusterWaitScenario,
  ),
  single(
    { id: 'fairness', title: 'Fairness', target: 'light-user p95 ≤ 1.5 × no-flood p95' },
    runFairnessScenario,
  ),
  single(
    { id: 'capacity', title: 'Capacity', target: '≥ 0.95 × ideal at ≤ 0.5 × ceiling; RSS ≤ 400 MB at 5,000' },
    runCapacityScenario,
  ),
  single(
    { id: 'discord', title: 'Discord limits', target: '≥ 95 % of the limit, 0 × 429' },
    runDiscordLimitsScenario,
  ),
  single(
    { id: 'recovery', title: 'Recovery', target: 'lock + 2 stalled checks + AI call; breaker reset' },
    runRecoveryScenario,
  ),
  single(
    { id: 'streaming', title: 'Streamed replies', target: 'first text ≤ 1.5 s after first token, 0 × 429' },
    runStreamingScenario,
  ),
  single({ id: 'transport', title: 'HTTP transport', target: 'reported' }, runTransportScenario),
  single({ id: 'memory', title: 'Summarization', target: 'reported' }, runMemoryScenario),
  single(
    {
      id: 'cluster-shards',
      title: 'Reply queue shards on a Cluster',
      target: 'busiest master ≤ 0.45 with 3 shards',
    },
    runClusterShardsScenario,
  ),
];

const ALL_IDS = GROUPS.flatMap((group) => group.scenarios.map((scenario) => scenario.id));

const RESULTS_FILE = new URL('./results.json', import.meta.url);

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      profile: { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',').map((id) => id.trim());
  const unknown = only?.filter((id) => !ALL_IDS.includes(id)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}; known: ${ALL_IDS.join(', ')}`);
    return 2;
  }
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  await ensureRedis(redisUrl);
  const origin = await fetchRunOrigin(redisUrl);
  const startedAt = performance.now();
  const context: BenchContext = {
    quick: values.quick,
    redisUrl,
    progress: (line) =>
      process.stderr.write(
        `[bench ${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)} s] ${line}\n`,
      ),
  };
  // Every scenario runs the built dist/ (what production runs); built here, once, so no figure includes it.
  context.progress('building dist/ (npm run build)');
  await buildDistOnce();
  if (values.profile) {
    console.log(formatCostProfile(await runCostProfile(context)));
    return 0;
  }
  const results: ScenarioResult[] = [];
  for (const group of GROUPS) {
    const selected = group.scenarios.filter((scenario) => only === undefined || only.includes(scenario.id));
    if (selected.length === 0) continue;
    const groupStartedAt = performance.now();
    try {
      results.push(...(await group.run(context, new Set(selected.map((scenario) => scenario.id)))));
    } catch (error) {
      context.progress(
        `${selected.map((scenario) => scenario.id).join(', ')} broke: ${error instanceof Error ? error.message : String(error)}`,
      );
      for (const scenario of selected) {
        results.push(
          buildBrokenResult(
            scenario.id,
            scenario.title,
            scenario.target,
            error,
            performance.now() - groupStartedAt,
          ),
        );
      }
    }
  }
  const totalMs = performance.now() - startedAt;
  await writeFile(
    RESULTS_FILE,
    serializeBenchResults({
      quick: values.quick,
      startedAt: new Date(Date.now() - totalMs).toISOString(),
      totalMs: Math.round(totalMs),
      ...origin,
      scenarios: results,
    }),
  );
  console.log(formatResultsTable(results));
  const decision = decideExitCode(results);
  console.log(
    `\n${values.quick ? 'quick run' : 'full run'} in ${(totalMs / 1000).toFixed(0)} s; results in bench/results.json; ${decision.lost} lost, ${decision.doubled} doubled replies`,
  );
  return decision.code;
}

// Exit (not die) on Ctrl-C or a kill, so the exit hook stops every gateway and worker the bench started.
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench failed:', error);
    process.exit(1);
  },
);
