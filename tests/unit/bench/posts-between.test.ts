import { describe, expect, it } from 'vitest';
import { postsBetween } from '../../../bench/posts-between.js';

/** Bursts of `size` posts, 1 ms apart, every `periodMs`. */
function bursts(count: number, size: number, periodMs: number) {
  return Array.from({ length: count * size }, (_, n) => ({
    at: Math.floor(n / size) * periodMs + (n % size),
    webhookId: 'w',
  }));
}

describe('postsBetween', () => {
  it('cuts at posts, so a bursty series counts whole periods wherever the window falls', () => {
    const posts = bursts(10, 5, 2000);
    for (const from of [0, 500, 1999]) {
      const window = postsBetween(posts, from, from + 10_000);
      expect((window.count * 1000) / window.spanMs).toBe(2.5);
    }
  });

  it('keeps the posts inside for the caller to inspect', () => {
    const window = postsBetween(bursts(3, 2, 100), 50, 150);
    expect(window.posts.map((post) => post.at)).toEqual([100, 101]);
    expect(window.spanMs).toBe(100);
  });

  it('refuses a window with no post after it', () => {
    expect(() => postsBetween(bursts(2, 1, 100), 0, 500)).toThrow(/no posts around/);
  });
});
