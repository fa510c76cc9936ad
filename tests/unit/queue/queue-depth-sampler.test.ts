import { describe, expect, it } from 'vitest';
import { QueueDepthSampler } from '../../../src/queue/queue-depth-sampler.js';

describe('QueueDepthSampler', () => {
  describe('when sampling is off (0 ms)', () => {
    it('never stands in for a read', async () => {
      const sampler = new QueueDepthSampler(0, () => 0);
      expect(await sampler.refresh(async () => 7)).toBe(7);
      sampler.noteAdded();
      expect(sampler.getDepth()).toBeNull();
    });
  });

  describe('when a read is younger than the period', () => {
    it('gives the read plus the jobs added since, then asks for a read once the period is over', async () => {
      let now = 0;
      const sampler = new QueueDepthSampler(1000, () => now);
      expect(sampler.getDepth()).toBeNull();
      await sampler.refresh(async () => 5);
      sampler.noteAdded();
      sampler.noteAdded();
      now = 999;
      expect(sampler.getDepth()).toBe(7);
      now = 1000;
      expect(sampler.getDepth()).toBeNull();
    });

    it('counts a job added while the read was on its way (strict side), never misses one', async () => {
      const sampler = new QueueDepthSampler(1000, () => 0);
      sampler.noteAdded();
      await sampler.refresh(async () => {
        sampler.noteAdded();
        return 3;
      });
      expect(sampler.getDepth()).toBe(4);
    });

    it('keeps the newer of two reads that overlap', async () => {
      let now = 0;
      const sampler = new QueueDepthSampler(1000, () => now);
      let finishOlder: (depth: number) => void = () => undefined;
      const older = sampler.refresh(() => new Promise<number>((resolve) => (finishOlder = resolve)));
      now = 10;
      await sampler.refresh(async () => 8);
      finishOlder(2);
      await older;
      expect(sampler.getDepth()).toBe(8);
    });
  });
});
