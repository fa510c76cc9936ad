import { describe, expect, it } from 'vitest';
import { planCapacityPoint } from '../../../bench/capacity-plan.js';

const LITTLE = { inFlight: 1000, minAiLatencyMs: 2000, maxAiLatencyMs: 20_000 };

describe('planCapacityPoint', () => {
  it('keeps the minimum latency when its ideal is already within half the ceiling', () => {
    const plan = planCapacityPoint(LITTLE, 1200);
    expect(plan.aiLatencyMs).toBe(2000);
    expect(plan.idealPerSecond).toBe(500);
    expect(plan.shareOfCeiling).toBeLessThanOrEqual(0.5);
  });

  it('slows the AI until the ideal is at most half a low ceiling', () => {
    const plan = planCapacityPoint(LITTLE, 300);
    // 1000 in flight at ≤ 150/s: 6.7 s, rounded up to the next 100 ms.
    expect(plan.aiLatencyMs).toBe(6700);
    expect(plan.idealPerSecond).toBeLessThanOrEqual(150);
    expect(plan.shareOfCeiling).toBeLessThanOrEqual(0.5);
  });

  it('stops at the maximum latency and says how much of the ceiling the ideal then takes', () => {
    const plan = planCapacityPoint(LITTLE, 50);
    expect(plan.aiLatencyMs).toBe(20_000);
    expect(plan.shareOfCeiling).toBe(1);
  });

  it('offers more than the ideal, in three waves of the slots', () => {
    const plan = planCapacityPoint({ inFlight: 5000, minAiLatencyMs: 25_000, maxAiLatencyMs: 50_000 }, 1000);
    expect(plan.idealPerSecond).toBe(200);
    expect(plan.offeredPerSecond).toBe(280);
    expect(plan.messages).toBe(15_000);
  });

  it('takes the maximum latency when the ceiling was not measured', () => {
    expect(planCapacityPoint(LITTLE, Number.NaN).aiLatencyMs).toBe(20_000);
    expect(planCapacityPoint(LITTLE, 0).aiLatencyMs).toBe(20_000);
  });
});
