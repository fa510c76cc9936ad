import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchContext } from './bench-context.js';
import { type ProfileSummary, readProfiles, summarizeProfiles } from './cpu-profile-summary.js';
import { startPipelineCluster } from './pipeline-cluster.js';
import { type CostRun, measureCost } from './scenarios/cost-scenario.js';

/** Where profiles go (`.tmp/` is git-ignored). */
const PROFILE_DIR = fileURLToPath(new URL('../.tmp/prof/', import.meta.url));
const TOP = 30;

/** The cost scenario's figures under the profiler, and each role's self time within the measured window. */
export interface CostProfile {
  readonly run: CostRun;
  readonly dir: string;
  readonly roles: Record<'gateway' | 'worker', ProfileSummary>;
}

/**
 * `npm run bench -- --profile`: the cost scenario (fair queue) with `node --cpu-prof` on the gateway and both
 * workers; V8 writes the profiles when the processes exit, and only the samples of the measured window count.
 */
export async function runCostProfile(context: BenchContext): Promise<CostProfile> {
  await rm(PROFILE_DIR, { recursive: true, force: true });
  const dirs = { gateway: join(PROFILE_DIR, 'gateway'), worker: join(PROFILE_DIR, 'worker') };
  await Promise.all(Object.values(dirs).map((dir) => mkdir(dir, { recursive: true })));
  const profileEnv = (dir: string) => ({ NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}` });
  let run: CostRun;
  {
    // V8 writes a profile when its process exits: the cluster must be gone before the files are read.
    await using bench = await startPipelineCluster(context, {
      workerEnv: profileEnv(dirs.worker),
      gatewayEnv: profileEnv(dirs.gateway),
    });
    run = await measureCost(context, bench, 'fair', {
      warmUpMs: 3000,
      windowMs: context.quick ? 4000 : 10_000,
    });
  }
  const summarize = async (dir: string) =>
    summarizeProfiles(
      (await readProfiles(dir)).map((entry) => entry.profile),
      run.windowUs.from,
      run.windowUs.to,
      TOP,
    );
  const profile: CostProfile = {
    run,
    dir: PROFILE_DIR,
    roles: { gateway: await summarize(dirs.gateway), worker: await summarize(dirs.worker) },
  };
  await writeFile(join(PROFILE_DIR, 'summary.json'), `${JSON.stringify(profile, null, 2)}\n`);
  return profile;
}

/** The profile as text: per role, busy time, then the top modules and functions by self time. */
export function formatCostProfile(profile: CostProfile): string {
  const lines = [
    `cost under the profiler: ${profile.run.repliesPerSecond} replies/s, ${profile.run.cpuMsPerReply} ms CPU per reply (profiles in ${profile.dir})`,
  ];
  for (const [role, summary] of Object.entries(profile.roles)) {
    const perReply = (ms: number) => (ms / profile.run.replies).toFixed(3);
    lines.push(
      '',
      `${role}: ${summary.busyMs.toFixed(0)} ms busy of ${summary.totalMs.toFixed(0)} ms sampled (${perReply(summary.busyMs)} ms per reply)`,
    );
    lines.push('  modules by self time:');
    for (const entry of summary.modules.slice(0, 12))
      lines.push(
        `    ${entry.percent.toFixed(1).padStart(5)}%  ${perReply(entry.selfMs)} ms/reply  ${entry.name}`,
      );
    lines.push('  by owner (native work charged to its caller):');
    for (const entry of summary.owners.slice(0, 20))
      lines.push(
        `    ${entry.percent.toFixed(1).padStart(5)}%  ${perReply(entry.selfMs)} ms/reply  ${entry.name}`,
      );
    lines.push('  functions by self time:');
    for (const entry of summary.functions)
      lines.push(
        `    ${entry.percent.toFixed(1).padStart(5)}%  ${perReply(entry.selfMs)} ms/reply  ${entry.name}`,
      );
  }
  return lines.join('\n');
}
