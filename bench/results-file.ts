import { z } from 'zod';
import type { RunOrigin } from './machine-info.js';
import type { ScenarioResult } from './scenario-result.js';

/** `bench/results.json`: one run, where it ran, and every scenario's result. */
export interface BenchResults extends RunOrigin {
  readonly quick: boolean;
  /** ISO time the run started. */
  readonly startedAt: string;
  readonly totalMs: number;
  readonly scenarios: readonly ScenarioResult[];
}

// JSON has no NaN: JSON.stringify writes a figure that was not measured as null, and this reads it back as NaN.
const figure = z
  .number()
  .nullable()
  .transform((value) => value ?? Number.NaN);
const target = z.object({ op: z.enum(['<=', '>=', '==']), value: z.number() }).nullable();

const ScenarioResultSchema = z.object({
  id: z.string(),
  title: z.string(),
  target: z.string(),
  checks: z.array(
    z.object({
      name: z.string(),
      value: figure,
      unit: z.string(),
      target,
      fifo: z.number().nullable(),
      ratio: z.number().nullable(),
      pass: z.boolean().nullable(),
    }),
  ),
  ratios: z.array(
    z.object({
      name: z.string(),
      value: figure,
      baseline: figure,
      baselineName: z.string(),
      unit: z.string(),
      ratio: figure,
      target,
      pass: z.boolean().nullable(),
    }),
  ),
  delivery: z.object({ lost: z.number(), doubled: z.number() }).nullable(),
  figures: z.record(z.string(), z.unknown()),
  variantRows: z.array(
    z.object({
      name: z.string(),
      unit: z.string(),
      plain: figure,
      variants: z.array(z.object({ variant: z.string(), value: figure, ratio: z.number().nullable() })),
    }),
  ),
  pass: z.boolean(),
  durationMs: z.number(),
  error: z.string().nullable(),
});

const BenchResultsSchema = z.object({
  quick: z.boolean(),
  startedAt: z.string(),
  totalMs: z.number(),
  commit: z.string().nullable(),
  machine: z.object({
    cpuModel: z.string(),
    cores: z.number(),
    memoryGb: z.number(),
    node: z.string(),
    redis: z.string(),
  }),
  scenarios: z.array(ScenarioResultSchema),
});

/** The file's text: pretty JSON, a figure not measured (NaN) written as null. */
export function serializeBenchResults(results: BenchResults): string {
  return `${JSON.stringify(results, null, 2)}\n`;
}

/** Reads the file's text back; throws when it is not a results file of this bench. */
export function parseBenchResults(text: string): BenchResults {
  return BenchResultsSchema.parse(JSON.parse(text));
}
