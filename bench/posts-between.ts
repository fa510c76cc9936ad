/** A webhook post as the sandbox saw it: when (performance.now() ms) and by which webhook. */
export interface Post {
  readonly at: number;
  readonly webhookId: string;
}

/**
 * The posts from the first at or after `from` up to (not including) the first at or after `to`, and the time
 * between those two. Webhooks post in bursts (5 at each window's start), so a window cut at fixed times would
 * count one burst more or fewer depending on where the cuts fall; cut at posts, it spans whole periods.
 */
export function postsBetween(
  posts: readonly Post[],
  from: number,
  to: number,
): { posts: Post[]; count: number; spanMs: number } {
  const first = posts.findIndex((post) => post.at >= from);
  const end = posts.findIndex((post) => post.at >= to);
  if (first === -1 || end === -1 || end <= first) {
    throw new Error(`no posts around the measured window (${posts.length} in all)`);
  }
  const inside = posts.slice(first, end);
  return { posts: inside, count: inside.length, spanMs: posts[end]!.at - posts[first]!.at };
}
