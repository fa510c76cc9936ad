import { describe, expect, it } from 'vitest';
import { buildRatioCheck } from '../../../bench/ratio-check.js';
import { type BenchResults, parseBenchResults, serializeBenchResults } from '../../../bench/results-file.js';
import { formatReadmeTable } from '../../../bench/results-table.js';
import { buildCheck, buildScenarioResult } from '../../../bench/scenario-result.js';

const RUN: BenchResults = {
  quick: false,
  startedAt: '2026-12-07T21:05:00.000Z',
  totalMs: 1000,
  commit: 'abc1234',
  machine: { cpuModel: 'AMD EPYC', cores: 2, memoryGb: 24, node: 'v24.22.0', redis: '7.0.15' },
  scenarios: [
    buildScenarioResult({
      id: 'cost',
      title: 'Cost',
      target: 'ratios',
      checks: [
        buildCheck({ name: 'commands sent per reply', value: 12, unit: '', target: { op: '<=', value: 13 } }),
        buildCheck({ name: 'sustained replies/s', value: 480, unit: '/s', fifo: 590 }),
      ],
      ratios: [
        buildRatioCheck({
          name: 'CPU per reply, fair ÷ FIFO',
          value: 2.2,
          baseline: 2,
          baselineName: 'FIFO',
          unit: 'ms',
          target: { op: '<=', value: 1.1 },
        }),
        buildRatioCheck({
          name: 'not measured',
          value: 1,
          baseline: Number.NaN,
          baselineName: 'raw BullMQ',
          unit: 'ms',
        }),
      ],
      delivery: { lost: 0, doubled: 0 },
      figures: { fair: { cpuMsPerReply: 2.2 } },
      durationMs: 5,
    }),
  ],
};

describe('results file', () => {
  it('reads back what it wrote, a figure not measured still NaN', () => {
    const parsed = parseBenchResults(serializeBenchResults(RUN));
    expect(parsed.commit).toBe('abc1234');
    const ratios = parsed.scenarios[0]!.ratios;
    expect(ratios[0]).toMatchObject({ value: 2.2, baseline: 2, baselineName: 'FIFO' });
    expect(ratios[1]!.ratio).toBeNaN();
    expect(parsed.scenarios[0]!.delivery).toEqual({ lost: 0, doubled: 0 });
  });

  it('keeps the baseline beside each ratio in the file', () => {
    const json = JSON.parse(serializeBenchResults(RUN));
    expect(json.scenarios[0].ratios[0]).toEqual({
      name: 'CPU per reply, fair ÷ FIFO',
      value: 2.2,
      baseline: 2,
      baselineName: 'FIFO',
      unit: 'ms',
      ratio: 1.1,
      target: { op: '<=', value: 1.1 },
      pass: true,
    });
  });

  it('refuses a file of another shape', () => {
    expect(() => parseBenchResults('{"quick":true,"scenarios":[]}')).toThrow();
  });
});

describe('formatReadmeTable', () => {
  it('names date, commit and machine, then one row per ratio and per other targeted figure', () => {
    const table = formatReadmeTable(RUN);
    const lines = table.split('\n');
    expect(lines[0]).toBe(
      '`npm run bench`, 2026-12-07 21:05 UTC, full run of abc1234; 2 × AMD EPYC, 24 GB, Node 24.22.0, Redis 7.0.15:',
    );
    expect(table).toContain('| cost     | CPU per reply, fair ÷ FIFO | 2.2 ms');
    expect(table).toContain('2 ms (FIFO)');
    expect(table).toContain('1.10×');
    expect(table).toContain('≤ 1.1×');
    expect(table).toContain('commands sent per reply');
    // A figure without a target stays out of the README's table.
    expect(table).not.toContain('sustained replies/s');
  });
});
