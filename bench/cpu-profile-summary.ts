import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` the summary reads. */
export interface CpuProfile {
  readonly nodes: ReadonlyArray<{
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }>;
  /** Microseconds on the monotonic clock (`process.hrtime`'s). */
  readonly startTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time of one function (or one module) within the window. */
export interface SelfTimeEntry {
  readonly name: string;
  readonly selfMs: number;
  /** Share of all samples in the window, including idle and GC. */
  readonly percent: number;
}

/** A profile's self time within a window, by function and by module. */
export interface ProfileSummary {
  /** Sampled time in the window, ms (idle included). */
  readonly totalMs: number;
  /** Time not idle (program, GC and our code), ms. */
  readonly busyMs: number;
  readonly functions: readonly SelfTimeEntry[];
  readonly modules: readonly SelfTimeEntry[];
  /**
   * Time by the package or source file that asked for it: native work (socket writes, JSON, GC-free builtins)
   * and Node internals are charged to the nearest caller in a package or in our code.
   */
  readonly owners: readonly SelfTimeEntry[];
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * Where a function lives, short: `src/queue/reply-admission.ts`, `bullmq`, `discord.js`, `node:internal/…`.
 * Packages are grouped by name so their many files add up to one line.
 */
export function describeModule(url: string): string {
  if (url === '') return '(native / V8)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const nodeModules = path.lastIndexOf('node_modules/');
  if (nodeModules >= 0) {
    const parts = path.slice(nodeModules + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (path.startsWith('node:')) return path.split('/').slice(0, 2).join('/');
  return path.startsWith(ROOT) ? relative(ROOT, path) : path;
}

/**
 * Self time per function and per module, added up over `profiles` (processes of one role), counting only the
 * samples taken between `fromUs` and `toUs` (monotonic µs, the clock of `process.hrtime`, which V8 stamps
 * profiles with), so start-up and shutdown do not count.
 */
export function summarizeProfiles(
  profiles: readonly CpuProfile[],
  fromUs: number,
  toUs: number,
  top: number,
): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byModule = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (const profile of profiles) {
    const spent = addSelfTimes(profile, fromUs, toUs, { byFunction, byModule, byOwner });
    totalUs += spent.totalUs;
    idleUs += spent.idleUs;
  }
  const rank = (entries: Map<string, number>) =>
    [...entries]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: us / 1000, percent: totalUs === 0 ? 0 : (100 * us) / totalUs }));
  return {
    totalMs: totalUs / 1000,
    busyMs: (totalUs - idleUs) / 1000,
    functions: rank(byFunction),
    modules: rank(byModule),
    owners: rank(byOwner),
  };
}

/** Native code and Node internals: charged to whoever called them. */
function isBorrowed(module: string): boolean {
  return module === '(native / V8)' || module.startsWith('node:');
}

function addSelfTimes(
  profile: CpuProfile,
  fromUs: number,
  toUs: number,
  into: { byFunction: Map<string, number>; byModule: Map<string, number>; byOwner: Map<string, number> },
): { totalUs: number; idleUs: number } {
  const { byFunction, byModule, byOwner } = into;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const owners = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const module = describeModule(frames.get(id)?.url ?? '');
    const parent = parents.get(id);
    const owner = isBorrowed(module) && parent !== undefined ? ownerOf(parent) : module;
    owners.set(id, owner);
    return owner;
  };
  let totalUs = 0;
  let idleUs = 0;
  let at = profile.startTime;
  for (let index = 0; index < profile.samples.length; index += 1) {
    at += profile.timeDeltas[index] ?? 0;
    if (at < fromUs || at > toUs) continue;
    // A sample's time is the gap to the next one (V8's own convention for self time).
    const spentUs = profile.timeDeltas[index + 1] ?? 0;
    const frame = frames.get(profile.samples[index]!);
    if (!frame) continue;
    totalUs += spentUs;
    if (frame.functionName === '(idle)') {
      idleUs += spentUs;
      continue;
    }
    const module = describeModule(frame.url);
    const name = `${frame.functionName || '(anonymous)'} ${module}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + spentUs);
    byModule.set(module, (byModule.get(module) ?? 0) + spentUs);
    const owner = ownerOf(profile.samples[index]!);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + spentUs);
  }
  return { totalUs, idleUs };
}

/** Reads every `.cpuprofile` in `dir`. */
export async function readProfiles(dir: string): Promise<Array<{ file: string; profile: CpuProfile }>> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.cpuprofile'));
  return Promise.all(
    files.map(async (file) => ({
      file,
      profile: JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile,
    })),
  );
}
