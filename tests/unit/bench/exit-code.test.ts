import { describe, expect, it } from 'vitest';
import { decideExitCode } from '../../../bench/exit-code.js';
import { buildRatioCheck } from '../../../bench/ratio-check.js';
import {
  buildBrokenResult,
  buildCheck,
  buildScenarioResult,
  type DeliveryCount,
} from '../../../bench/scenario-result.js';

function result(delivery: DeliveryCount | null, pass = true) {
  return buildScenarioResult({
    id: 'cost',
    title: 'Cost',
    target: 'fair ÷ FIFO ≤ 1.10',
    checks: [buildCheck({ name: '429s', value: pass ? 0 : 3, unit: '', target: { op: '==', value: 0 } })],
    ratios: [
      buildRatioCheck({
        name: 'CPU per reply, fair ÷ FIFO',
        value: pass ? 1 : 5,
        baseline: 1,
        baselineName: 'FIFO',
        unit: 'ms',
        target: { op: '<=', value: 1.1 },
      }),
    ],
    delivery,
    figures: {},
    durationMs: 1,
  });
}

describe('decideExitCode', () => {
  it('exits 0 when every reply arrived once', () => {
    expect(decideExitCode([result({ lost: 0, doubled: 0 })])).toEqual({ code: 0, lost: 0, doubled: 0 });
  });

  describe('when a reply was lost or doubled', () => {
    it.each([[{ lost: 1, doubled: 0 }], [{ lost: 0, doubled: 1 }]])('exits 1 (%j)', (delivery) => {
      expect(decideExitCode([result({ lost: 0, doubled: 0 }), result(delivery)]).code).toBe(1);
    });

    it('adds up every scenario’s count', () => {
      const decision = decideExitCode([result({ lost: 2, doubled: 1 }), result({ lost: 1, doubled: 0 })]);
      expect(decision).toEqual({ code: 1, lost: 3, doubled: 1 });
    });
  });

  describe('when only timings or 429s miss their targets', () => {
    it('exits 0', () => {
      const missed = result({ lost: 0, doubled: 0 }, false);
      expect(missed.pass).toBe(false);
      expect(decideExitCode([missed]).code).toBe(0);
    });
  });

  describe('when a scenario broke', () => {
    it('exits 0: a timeout on a busy machine is a result, shown as ERROR in the table', () => {
      const broken = buildBrokenResult('capacity', 'Capacity', '≥ 0.95', new Error('timed out'), 1);
      expect(decideExitCode([broken, result(null)]).code).toBe(0);
    });
  });
});
