/**
 * When a streamed reply writes to Discord: its first post, and each edit of each message. Pure: the caller passes
 * what it knows and `now`.
 */

/** How a streamed reply paces its writes. */
export interface StreamPacing {
  /** The first message is posted once this many characters of text exist… @defaultValue 100 */
  readonly firstPostChars: number;
  /** …or once this long has passed since the first text, ms. @defaultValue 1000 */
  readonly firstPostAfterMs: number;
  /**
   * Shortest time from the end of one write of a message (its post or an edit) to the next edit of it, ms
   * (`STREAM_EDIT_INTERVAL_MS`). Counted from when the write was answered: Discord received it earlier still, so
   * it sees its edits at least this far apart. @defaultValue 1200
   */
  readonly editIntervalMs: number;
}

export const DefaultStreamPacing = {
  firstPostChars: 100,
  firstPostAfterMs: 1000,
  editIntervalMs: 1200,
} as const satisfies Required<StreamPacing>;

/** A message of the stream as it stands in the channel. */
export interface ShownMessage {
  /** The content it shows (as last posted or edited). */
  readonly shown: string;
  /** When its last write was answered (Unix ms). */
  readonly writtenAt: number;
}

/** What the stream has to show, for {@link planStreamWrite}. */
export interface StreamView {
  /** The messages the text makes now ({@link StreamLayout.messages}). */
  readonly wanted: readonly string[];
  /** The messages posted so far, in order. */
  readonly shown: readonly ShownMessage[];
  /** New messages may be posted (false once the channel's budget put a post off: the rest waits for the end). */
  readonly mayPost: boolean;
  /** Characters of text the model wrote so far (without the quote line the first message opens with). */
  readonly textChars: number;
  /** When the first text arrived (Unix ms), or null before it. */
  readonly firstTextAt: number | null;
}

/** The next write of a streamed reply. */
export type StreamWrite =
  | { readonly kind: 'post'; readonly index: number }
  | { readonly kind: 'edit'; readonly index: number }
  /** Nothing to write yet: plan again at `until` (Unix ms), or when more text comes (null: only then). */
  | { readonly kind: 'wait'; readonly until: number | null };

/** Whether the first message may be posted: enough text, or the first text waited long enough. */
export function isFirstPostDue(
  chars: number,
  firstTextAt: number | null,
  now: number,
  pacing: StreamPacing,
): boolean {
  if (firstTextAt === null || chars === 0) return false;
  return chars >= pacing.firstPostChars || now - firstTextAt >= pacing.firstPostAfterMs;
}

/**
 * The next write while the stream runs. Edits of full (closed) messages come first, so a message is finished
 * before the next one grows; then the post of a new message; then the edit of the open one. An edit is due
 * `editIntervalMs` after its message's last write; until one is, the plan says how long to wait.
 */
export function planStreamWrite(view: StreamView, now: number, pacing: StreamPacing): StreamWrite {
  const { wanted, shown } = view;
  if (shown.length === 0) {
    if (!view.mayPost || wanted.length === 0) return { kind: 'wait', until: null };
    if (isFirstPostDue(view.textChars, view.firstTextAt, now, pacing)) return { kind: 'post', index: 0 };
    return {
      kind: 'wait',
      until: view.firstTextAt === null ? null : view.firstTextAt + pacing.firstPostAfterMs,
    };
  }
  let until: number | null = null;
  const edit = (index: number): StreamWrite | null => {
    const message = shown[index];
    if (message === undefined || wanted[index] === undefined || wanted[index] === message.shown) return null;
    const dueAt = message.writtenAt + pacing.editIntervalMs;
    if (dueAt <= now) return { kind: 'edit', index };
    until = until === null ? dueAt : Math.min(until, dueAt);
    return null;
  };
  const openIndex = wanted.length - 1;
  for (let index = 0; index < Math.min(openIndex, shown.length); index += 1) {
    const due = edit(index);
    if (due !== null) return due;
  }
  if (view.mayPost && wanted.length > shown.length) return { kind: 'post', index: shown.length };
  if (openIndex < shown.length) {
    const due = edit(openIndex);
    if (due !== null) return due;
  }
  return { kind: 'wait', until };
}

/**
 * When the last edit of a message may go (its final text), at the end of the stream: at once, or when its
 * interval since the last write is over.
 */
export function findFinalEditAt(message: ShownMessage, pacing: StreamPacing): number {
  return message.writtenAt + pacing.editIntervalMs;
}
