import { describe, expect, it } from 'vitest';
import { RouteFaults } from '../../../sandbox/route-faults.js';

describe('RouteFaults', () => {
  describe('when a fault has a count', () => {
    it('fires that many times, then removes itself', () => {
      const faults = new RouteFaults();
      const handle = faults.inject({ method: 'post', pathPattern: /^\/webhooks\//, status: 500, times: 2 });
      expect(faults.take('POST', '/webhooks/1/t')).not.toBeNull();
      expect(faults.take('GET', '/webhooks/1/t')).toBeNull();
      expect(faults.take('POST', '/webhooks/1/t')).not.toBeNull();
      expect(faults.take('POST', '/webhooks/1/t')).toBeNull();
      expect(handle.hits).toBe(2);
    });
  });

  describe('when a fault is removed', () => {
    it('stops matching', () => {
      const faults = new RouteFaults();
      const handle = faults.inject({ pathPattern: /./g, delayMs: 10 });
      expect(faults.take('GET', '/a')).not.toBeNull();
      expect(faults.take('GET', '/a')).not.toBeNull();
      handle.remove();
      expect(faults.take('GET', '/a')).toBeNull();
    });
  });
});
