import type { StubMessage } from '../sandbox/ai-stub/stub-reply.js';

/** The tag of a benchmark message (`#b42`), in its text, in the lines quoting it and in the answers to it. */
const TAG_PATTERN = /#b(\d+)\b/;

/** The lines of one prompt that came from the channel's window. */
export interface ChannelLines {
  readonly lines: number;
  /** Their characters as the prompt shows them (`Name: text` for people). */
  readonly chars: number;
}

/** Channel lines over the prompts of a run. */
export interface PromptWindowSummary {
  readonly prompts: number;
  /** NaN when there was no prompt. */
  readonly meanChannelLines: number;
  readonly fewestChannelLines: number;
  /** Characters per channel line; NaN when no prompt held one. */
  readonly meanCharsPerChannelLine: number;
}

/**
 * The lines of a benchmark prompt that came from the channel's window rather than from the asker's conversation
 * with the personality. Every window line, history turn and the message answered is one line (benchmark texts
 * have no line breaks, merged turns join theirs with one); the last is the message answered, whose tag names the
 * asker. Of the others, a line is the asker's history when its tag is one of the asker's messages (their own
 * words, or the personality's answer to them), and the channel's otherwise, an untagged line (pre-filled) too.
 */
export function countChannelLines(
  messages: readonly StubMessage[],
  /** The user who sent benchmark message `seq`, if known. */
  senderOf: (seq: number) => string | undefined,
): ChannelLines {
  const lines = messages
    .filter((message) => message.role === 'user' || message.role === 'assistant')
    .flatMap((message) => message.content.split('\n'));
  const answered = lines.pop();
  const askerOf = (line: string) => {
    const tag = TAG_PATTERN.exec(line);
    return tag === null ? undefined : senderOf(Number(tag[1]));
  };
  const asker = answered === undefined ? undefined : askerOf(answered);
  let count = 0;
  let chars = 0;
  for (const line of lines) {
    if (asker !== undefined && askerOf(line) === asker) continue;
    count += 1;
    chars += line.length;
  }
  return { lines: count, chars };
}

/** {@link countChannelLines} over a run's prompts. */
export function summarizeChannelLines(
  prompts: ReadonlyArray<readonly StubMessage[]>,
  senderOf: (seq: number) => string | undefined,
): PromptWindowSummary {
  let lines = 0;
  let chars = 0;
  let fewest = Number.POSITIVE_INFINITY;
  for (const messages of prompts) {
    const counted = countChannelLines(messages, senderOf);
    lines += counted.lines;
    chars += counted.chars;
    fewest = Math.min(fewest, counted.lines);
  }
  return {
    prompts: prompts.length,
    meanChannelLines: prompts.length === 0 ? Number.NaN : round(lines / prompts.length),
    fewestChannelLines: prompts.length === 0 ? Number.NaN : fewest,
    meanCharsPerChannelLine: lines === 0 ? Number.NaN : round(chars / lines),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
