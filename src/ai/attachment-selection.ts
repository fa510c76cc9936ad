import { type AttachmentKind, type AttachmentRef, classifyAttachment } from '../discord/index.js';
import { AttachmentLimits } from './attachment-fetcher.js';

/** Why an attachment the model could have seen or read was left out; the reply tells the user. */
export type AttachmentLeftOutReason =
  /** Past the first {@link AttachmentLimits.imagesPerMessage} images. */
  | 'too-many-images'
  /** Past the first {@link AttachmentLimits.textFilesPerMessage} text files. */
  | 'too-many-files'
  /** An image over {@link AttachmentLimits.imageBytes}, a text file over {@link AttachmentLimits.textBytes}. */
  | 'too-large'
  /** Neither an image of an allowed format nor text (a video, a PDF, a zip, a BMP…), or bytes that are not. */
  | 'unsupported-type'
  /** Images sent inline past {@link AttachmentLimits.inlineImageBytesPerReply} together. */
  | 'too-much-image-data'
  /** The download failed (a timeout, an HTTP error, a host not allowed, a redirect elsewhere). */
  | 'unavailable';

/** What becomes of one attachment in the prompt. */
export type AttachmentAction =
  /** An image shown to the model, or a text file inlined: it must be fetched (or its URL passed on). */
  | 'show'
  /** Named only: an image for a model that takes none. */
  | 'name'
  /** Named, and the user told why it was left out. */
  | 'leave-out';

/** One attachment and what the prompt does with it. */
export interface SelectedAttachment {
  readonly ref: AttachmentRef;
  readonly kind: AttachmentKind;
  /** From the message replied to rather than the message answered. */
  readonly fromReply: boolean;
  readonly action: AttachmentAction;
  /** Set for `leave-out`. */
  readonly leftOut: AttachmentLeftOutReason | null;
}

/** What {@link selectAttachments} decides from. */
export interface AttachmentSelectionInput {
  /** The answered message's attachments, in Discord's order. */
  readonly attachments: readonly AttachmentRef[];
  /** The replied-to message's attachments: only its images count. */
  readonly repliedTo: readonly AttachmentRef[];
  /** Whether the model takes images. */
  readonly vision: boolean;
  /** Whether images go inline (downloaded), so their sizes count toward the per-reply total. */
  readonly inlineImages: boolean;
}

/**
 * Which attachments a reply shows, names or leaves out (pure; Discord's declared sizes, checked again on
 * download). In order, the message's own first: images (for a vision model; other models get their names) up to
 * {@link AttachmentLimits.imagesPerMessage} of at most {@link AttachmentLimits.imageBytes} each, then the
 * replied-to message's images within what is left; text files up to
 * {@link AttachmentLimits.textFilesPerMessage} of at most {@link AttachmentLimits.textBytes}; anything else is
 * left out as a type the model cannot read. The replied-to message's other files, and its images for a model
 * without vision, are not listed: the reply chain already names them.
 */
export function selectAttachments(input: AttachmentSelectionInput): SelectedAttachment[] {
  const selected: SelectedAttachment[] = [];
  let images = 0;
  let textFiles = 0;
  let inlineBytes = 0;
  const decideImage = (ref: AttachmentRef): Pick<SelectedAttachment, 'action' | 'leftOut'> => {
    if (!input.vision) return { action: 'name', leftOut: null };
    if (ref.size > AttachmentLimits.imageBytes) return { action: 'leave-out', leftOut: 'too-large' };
    if (images >= AttachmentLimits.imagesPerMessage)
      return { action: 'leave-out', leftOut: 'too-many-images' };
    if (input.inlineImages && inlineBytes + ref.size > AttachmentLimits.inlineImageBytesPerReply)
      return { action: 'leave-out', leftOut: 'too-much-image-data' };
    images += 1;
    if (input.inlineImages) inlineBytes += ref.size;
    return { action: 'show', leftOut: null };
  };
  for (const ref of input.attachments) {
    const kind = classifyAttachment(ref);
    if (kind === 'image') {
      selected.push({ ref, kind, fromReply: false, ...decideImage(ref) });
    } else if (kind === 'text') {
      let decision: Pick<SelectedAttachment, 'action' | 'leftOut'> = { action: 'show', leftOut: null };
      if (ref.size > AttachmentLimits.textBytes) decision = { action: 'leave-out', leftOut: 'too-large' };
      else if (textFiles >= AttachmentLimits.textFilesPerMessage)
        decision = { action: 'leave-out', leftOut: 'too-many-files' };
      else textFiles += 1;
      selected.push({ ref, kind, fromReply: false, ...decision });
    } else {
      selected.push({ ref, kind, fromReply: false, action: 'leave-out', leftOut: 'unsupported-type' });
    }
  }
  if (input.vision) {
    for (const ref of input.repliedTo) {
      const kind = classifyAttachment(ref);
      if (kind === 'image') selected.push({ ref, kind, fromReply: true, ...decideImage(ref) });
    }
  }
  return selected;
}
