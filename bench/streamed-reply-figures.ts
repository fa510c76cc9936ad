/** A message of a streamed reply as the sandbox's transcript keeps it (Unix ms). */
export interface StreamedMessage {
  readonly createdAt: number;
  readonly edits: readonly { readonly at: number }[];
}

/** What one streamed reply did in its channel. */
export interface StreamedReplyFigures {
  /** When its first message was created, less when the AI sent its first text, ms. */
  readonly firstVisibleAfterFirstTokenMs: number;
  /** Messages it took (more than one when it overflowed 2000 characters). */
  readonly messages: number;
  /** Edits of all its messages. */
  readonly edits: number;
  /**
   * The shortest time between two writes of one of its messages (its post and each edit, in order), ms; null
   * when no message was edited. Each must be at least `STREAM_EDIT_INTERVAL_MS`.
   */
  readonly minWriteGapMs: number | null;
}

/** The figures of one reply from its messages (in any order) and the AI's first text (Unix ms). */
export function measureStreamedReply(
  messages: readonly StreamedMessage[],
  firstTokenAt: number,
): StreamedReplyFigures {
  if (messages.length === 0) throw new Error('a reply without messages');
  let minWriteGapMs: number | null = null;
  for (const message of messages) {
    const writes = [message.createdAt, ...message.edits.map((edit) => edit.at)];
    for (let index = 1; index < writes.length; index += 1) {
      const gap = writes[index]! - writes[index - 1]!;
      if (minWriteGapMs === null || gap < minWriteGapMs) minWriteGapMs = gap;
    }
  }
  return {
    firstVisibleAfterFirstTokenMs: Math.min(...messages.map((message) => message.createdAt)) - firstTokenAt,
    messages: messages.length,
    edits: messages.reduce((sum, message) => sum + message.edits.length, 0),
    minWriteGapMs,
  };
}

const WORDS =
  'the relay streams each answer into its channel while the model is still writing and edits it as text arrives'.split(
    ' ',
  );

/**
 * A reply of exactly `chars` characters of plain prose (no markdown, so the channel shows it as sent), ending
 * with `marker`: the reply is complete in the channel once a message ends with it.
 */
export function buildStreamedReplyText(chars: number, marker: string): string {
  let text = '';
  for (let index = 0; text.length < chars; index += 1) text += `${WORDS[index % WORDS.length]} `;
  return `${text.slice(0, Math.max(0, chars - marker.length - 1)).trimEnd()} ${marker}`;
}
