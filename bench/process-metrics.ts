import { readFile, writeFile } from 'node:fs/promises';

/** What the bench reads from one Chorus process's `/metrics`. */
export interface ProcessSample {
  /** `process_cpu_seconds_total`: user + system CPU since the process started (from `process.cpuUsage`). */
  readonly cpuSeconds: number;
  /** `process_resident_memory_bytes` at scrape time. */
  readonly rssBytes: number;
  /** `nodejs_heap_size_used_bytes`: live V8 heap at scrape time. */
  readonly heapUsedBytes: number;
  /** `nodejs_external_memory_bytes`: memory outside the V8 heap held by JS objects (buffers, sockets). */
  readonly externalBytes: number;
  /**
   * `nodejs_gc_duration_seconds_sum` over every kind: the main thread's time in garbage collection so far (0
   * before the first collection, when the histogram has no sample).
   */
  readonly gcSeconds: number;
}

/** The values of every sample of `name` in Prometheus text, whatever their labels. */
function* metricSamples(text: string, name: string): Generator<number> {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // `name{labels} value` or `name value`, never a longer metric that merely starts with `name`.
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) yield value;
  }
}

/** Reads one unlabelled-or-labelled sample of `name` from Prometheus text; NaN when absent. */
export function parseMetricValue(text: string, name: string): number {
  for (const value of metricSamples(text, name)) return value;
  return Number.NaN;
}

/** Adds up every sample of `name` (e.g. a histogram's `_sum` per label); 0 when there is none yet. */
export function sumMetricValues(text: string, name: string): number {
  let total = 0;
  for (const value of metricSamples(text, name)) total += value;
  return total;
}

/** Scrapes `http://127.0.0.1:<port>/metrics` of a Chorus process. */
export async function fetchProcessSample(httpPort: number): Promise<ProcessSample> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`/metrics on port ${httpPort} answered ${response.status}`);
  const text = await response.text();
  return {
    cpuSeconds: parseMetricValue(text, 'process_cpu_seconds_total'),
    rssBytes: parseMetricValue(text, 'process_resident_memory_bytes'),
    heapUsedBytes: parseMetricValue(text, 'nodejs_heap_size_used_bytes'),
    externalBytes: parseMetricValue(text, 'nodejs_external_memory_bytes'),
    gcSeconds: sumMetricValues(text, 'nodejs_gc_duration_seconds_sum'),
  };
}

/**
 * Peak resident set size of a process so far (Linux `VmHWM`), in bytes; null where `/proc` is not there.
 * Exact, unlike sampling `/metrics`, which misses peaks between scrapes.
 */
export async function fetchPeakRssBytes(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Resets a process's peak RSS to its current RSS (Linux: `5` into `/proc/<pid>/clear_refs`), so two runs on one
 * process each get their own peak. Without `/proc` nothing happens and the peak stays the process's lifetime one.
 */
export async function resetPeakRss(pid: number): Promise<void> {
  await writeFile(`/proc/${pid}/clear_refs`, '5').catch(() => undefined);
}
