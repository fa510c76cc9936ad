/**
 * A test oracle for split replies, written apart from the splitter (src/webhooks/message-splitter.ts) so the tests
 * do not check the code against itself: line-based fence matching, like CommonMark.
 */

const FENCE_LINE = /^ {0,3}(`{3,}|~{3,})([^`\n]*)$/u;

/** Whether every fence a chunk opens it also closes. */
export function isBalanced(chunk: string): boolean {
  let open: string | null = null;
  for (const line of chunk.split('\n')) {
    const match = FENCE_LINE.exec(line);
    if (match === null) continue;
    const marker = match[1]!;
    if (open === null) open = marker;
    else if (marker[0] === open[0] && marker.length >= open.length && match[2]!.trim() === '') open = null;
  }
  return open === null;
}

/** Non-whitespace content with fence lines removed: what splitting must keep, in order. */
export function contentOf(text: string): string {
  return text
    .split('\n')
    .filter((line) => !FENCE_LINE.test(line))
    .join('')
    .replace(/\s+/gu, '');
}
