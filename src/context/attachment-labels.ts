import type { AttachmentLeftOutReason } from '../ai/index.js';
import { type AttachmentKind, type AttachmentRef, classifyAttachment } from '../discord/index.js';

/**
 * One attachment of the message answered (or an image of the message it replies to) as the prompt gets it:
 * already fetched, or decided against, before the prompt is assembled (the assembler does no I/O).
 */
export interface PromptAttachment {
  readonly kind: AttachmentKind;
  readonly filename: string;
  /** An image of the message replied to rather than of the message answered. */
  readonly fromReply: boolean;
  /** An image shown to the model: its URL (Discord's CDN link, or a `data:` URL). */
  readonly imageUrl?: string;
  /** A text file's contents, inlined in a fenced block. */
  readonly text?: string;
  /** Why it is named only though the model could have seen or read it; the reply tells the user. */
  readonly leftOut?: AttachmentLeftOutReason;
}

/** Longest file name a label shows. */
const MAX_LABEL_NAME_CHARS = 200;

/** A file name safe inside a one-line label: no line breaks or brackets, at most 200 characters. */
function cleanName(filename: string): string {
  return Array.from(filename.replace(/[\r\n[\]]+/g, ' '))
    .slice(0, MAX_LABEL_NAME_CHARS)
    .join('');
}

/** How the prompt (and, for the message's own files, the history) names an attachment: `[image: cat.png]`. */
export function buildAttachmentLabel(
  kind: AttachmentKind,
  filename: string,
  options: { readonly fromReply?: boolean; readonly leftOut?: boolean } = {},
): string {
  const name = cleanName(filename);
  if (kind === 'image') {
    const label = options.fromReply === true ? 'image from the message replied to' : 'image';
    return `[${label}: ${name}${options.leftOut === true ? ' (not shown)' : ''}]`;
  }
  if (kind === 'text') return `[file: ${name}${options.leftOut === true ? ' (not read)' : ''}]`;
  return `[attachment: ${name}]`;
}

/**
 * The message's own attachments as the history keeps them: names only (`[image: cat.png]`, `[file: notes.txt]`,
 * `[attachment: clip.mp4]`), never a URL (CDN links expire) nor a file's contents. What the model said about an
 * image is in its answer, which the history keeps too.
 */
export function buildAttachmentNames(attachments: readonly AttachmentRef[]): string[] {
  return attachments.map((ref) => buildAttachmentLabel(classifyAttachment(ref), ref.filename));
}

/**
 * The lines the prompt adds to the message for its attachments, in order: each one's label, and a text file's
 * contents in a fenced block (the fence longer than any run of backticks inside, tagged with the extension).
 */
export function buildAttachmentLines(attachments: readonly PromptAttachment[]): string[] {
  return attachments.map((attachment) => {
    const label = buildAttachmentLabel(attachment.kind, attachment.filename, {
      fromReply: attachment.fromReply,
      leftOut: attachment.leftOut !== undefined,
    });
    if (attachment.kind !== 'text' || attachment.text === undefined) return label;
    const longestRun = Math.max(0, ...(attachment.text.match(/`+/g) ?? []).map((run) => run.length));
    const fence = '`'.repeat(Math.max(3, longestRun + 1));
    const extension = /\.([A-Za-z0-9]{1,12})$/.exec(attachment.filename)?.[1]?.toLowerCase() ?? '';
    const body = attachment.text.endsWith('\n') ? attachment.text : `${attachment.text}\n`;
    return `${label}\n${fence}${extension}\n${body}${fence}`;
  });
}

/** A message's text with attachment lines after it (either may be empty). */
export function appendAttachmentLines(content: string, lines: readonly string[]): string {
  return [content, ...lines].filter((line) => line.length > 0).join('\n');
}
