import { type AttachmentLeftOutReason, AttachmentLimits } from '../ai/index.js';
import type { PromptAttachment } from '../context/index.js';

/** Longest file name a note shows. */
const NOTE_NAME_CHARS = 60;

/** Every sentence the reply worker itself says to users, in one place. */
export const ReplyMessages = {
  failed: () => 'Sorry — I could not answer that message because of an internal error. Please try again.',
  personalityGone: () => 'That personality no longer exists, so nobody can answer this message.',
  personalityPrivate: () =>
    'That personality is private: only its owner can talk to it, so nobody will answer this message.',
  emptyAnswer: (name: string) => `${name} had nothing to say.`,
  /**
   * The small-print line (`-#`) a reply ends with when attachments were left out, naming each and why: "I couldn't
   * look at `big.png` (over 10 MB), and only looked at the first 5 images (not `f.png`)." Null when none was.
   */
  attachmentsLeftOut: (attachments: readonly PromptAttachment[]): string | null => {
    const named: string[] = [];
    const extraImages: string[] = [];
    const extraFiles: string[] = [];
    for (const attachment of attachments) {
      if (attachment.leftOut === undefined) continue;
      const name = quoteName(attachment.filename);
      if (attachment.leftOut === 'too-many-images') extraImages.push(name);
      else if (attachment.leftOut === 'too-many-files') extraFiles.push(name);
      else named.push(`${name} (${describeReason(attachment.leftOut, attachment.kind)})`);
    }
    const clauses: string[] = [];
    if (named.length > 0) clauses.push(`couldn't look at ${joinWith(named, 'or')}`);
    if (extraImages.length > 0)
      clauses.push(
        `only looked at the first ${AttachmentLimits.imagesPerMessage} images (not ${joinWith(extraImages, 'or')})`,
      );
    if (extraFiles.length > 0)
      clauses.push(
        `only read the first ${AttachmentLimits.textFilesPerMessage} text files (not ${joinWith(extraFiles, 'or')})`,
      );
    if (clauses.length === 0) return null;
    return `-# I ${joinWith(clauses, 'and')}.`;
  },
  /** The model only reasoned (a `<think>` block or reasoning fields, no text): its thinking is never shown. */
  reasoningOnly: (name: string) => `${name} thought it over but wrote no answer.`,
  /** Ends a streamed reply whose AI stream broke after part of it was shown. */
  streamInterrupted: () => ' … (interrupted)',
} as const;

function describeReason(reason: AttachmentLeftOutReason, kind: PromptAttachment['kind']): string {
  switch (reason) {
    case 'too-large':
      return kind === 'image'
        ? `over ${formatBytes(AttachmentLimits.imageBytes)}`
        : `over ${formatBytes(AttachmentLimits.textBytes)}`;
    case 'unsupported-type':
      return "a file type I can't read";
    case 'too-much-image-data':
      return `more than ${formatBytes(AttachmentLimits.inlineImageBytesPerReply)} of images at once`;
    case 'unavailable':
      return "it couldn't be downloaded";
    default:
      return 'left out';
  }
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MB` : `${bytes / 1024} KB`;
}

/** A file name in inline code (no markdown inside it), shortened. */
function quoteName(filename: string): string {
  const clean = Array.from(filename.replace(/[`\r\n]+/g, ''));
  const short =
    clean.length > NOTE_NAME_CHARS ? `${clean.slice(0, NOTE_NAME_CHARS - 1).join('')}…` : clean.join('');
  return `\`${short}\``;
}

/** `a`, `a or b`, `a, b or c`. */
function joinWith(items: readonly string[], conjunction: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`;
}
