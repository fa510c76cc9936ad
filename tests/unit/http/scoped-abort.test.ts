import { afterEach, describe, expect, it, vi } from 'vitest';
import { ScopedAbort } from '../../../src/http/scoped-abort.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ScopedAbort', () => {
  it("aborts with a parent's reason when any parent aborts", () => {
    const first = new AbortController();
    const second = new AbortController();
    using scope = new ScopedAbort([first.signal, undefined, second.signal]);
    expect(scope.signal.aborted).toBe(false);
    second.abort('shutting down');
    expect(scope.signal.aborted).toBe(true);
    expect(scope.signal.reason).toBe('shutting down');
  });

  it('starts aborted when a parent already is', () => {
    using scope = new ScopedAbort([AbortSignal.abort('gone')], 1000);
    expect(scope.signal.reason).toBe('gone');
  });

  it('aborts with a TimeoutError once its deadline passes', () => {
    vi.useFakeTimers();
    using scope = new ScopedAbort([new AbortController().signal], 500);
    vi.advanceTimersByTime(499);
    expect(scope.signal.aborted).toBe(false);
    vi.advanceTimersByTime(1);
    expect(scope.signal.reason).toBeInstanceOf(DOMException);
    expect((scope.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('once disposed, holds no timer and follows its parents no more', () => {
    vi.useFakeTimers();
    const parent = new AbortController();
    const scope = new ScopedAbort([parent.signal], 60_000);
    expect(vi.getTimerCount()).toBe(1);
    scope[Symbol.dispose]();
    expect(vi.getTimerCount()).toBe(0);
    parent.abort();
    vi.advanceTimersByTime(60_000);
    expect(scope.signal.aborted).toBe(false);
  });
});
