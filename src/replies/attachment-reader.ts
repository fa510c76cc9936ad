import {
  type AttachmentDownloadRefusal,
  type AttachmentFetcher,
  type AttachmentLeftOutReason,
  buildImageDataUrl,
  type SelectedAttachment,
  selectAttachments,
} from '../ai/index.js';
import type { ProviderConfig } from '../config/index.js';
import type { PromptAttachment } from '../context/index.js';
import type { Logger } from '../log/index.js';
import type { ReplyJob } from '../queue/reply-job.js';
import type { Personality } from '../state/index.js';

/** What {@link AttachmentReader} needs. */
export interface AttachmentReaderDependencies {
  readonly fetcher: Pick<AttachmentFetcher, 'isAllowed' | 'fetchImage' | 'fetchText'>;
  /** Which models take images, and which providers fetch image URLs themselves. */
  readonly providers: ReadonlyMap<string, Pick<ProviderConfig, 'visionModels' | 'fetchesImageUrls'>>;
  readonly logger: Logger;
}

/** How a failed download is told to the user. */
const REFUSAL_REASONS: Readonly<Record<AttachmentDownloadRefusal, AttachmentLeftOutReason>> = {
  'too-large': 'too-large',
  'wrong-type': 'unsupported-type',
  'host-not-allowed': 'unavailable',
  redirected: 'unavailable',
  timeout: 'unavailable',
  failed: 'unavailable',
  cancelled: 'unavailable',
};

/**
 * Turns a job's attachments into what the prompt gets, before it is assembled (the assembler does no I/O):
 * decides with {@link selectAttachments} for the personality's model, then, side by side, downloads the text
 * files and, for a provider that does not fetch URLs, the images (sent inline as `data:` URLs); a provider that
 * does gets Discord's CDN link, when its host is allowed. A download that fails leaves its file out, named; the
 * reply tells the user.
 */
export class AttachmentReader {
  private readonly log: Logger;

  constructor(private readonly deps: AttachmentReaderDependencies) {
    this.log = deps.logger.child({ module: 'attachment-reader' });
  }

  /** The job's attachments for the prompt; empty when it has none. */
  async read(
    job: ReplyJob,
    personality: Pick<Personality, 'provider' | 'model'>,
    signal?: AbortSignal,
  ): Promise<PromptAttachment[]> {
    const attachments = job.attachments ?? [];
    const repliedTo = job.repliedToAttachments ?? [];
    if (attachments.length === 0 && repliedTo.length === 0) return [];
    const provider = this.deps.providers.get(personality.provider);
    const passesUrls = provider?.fetchesImageUrls ?? false;
    const selected = selectAttachments({
      attachments,
      repliedTo,
      vision: provider?.visionModels.has(personality.model) ?? false,
      inlineImages: !passesUrls,
    });
    return Promise.all(selected.map((item) => this.prepare(job, item, passesUrls, signal)));
  }

  private async prepare(
    job: ReplyJob,
    item: SelectedAttachment,
    passesUrls: boolean,
    signal: AbortSignal | undefined,
  ): Promise<PromptAttachment> {
    const base = { kind: item.kind, filename: item.ref.filename, fromReply: item.fromReply };
    if (item.action === 'name') return base;
    if (item.action === 'leave-out') return { ...base, leftOut: item.leftOut ?? 'unsupported-type' };
    const { fetcher } = this.deps;
    if (item.kind === 'image' && passesUrls) {
      return fetcher.isAllowed(item.ref.url)
        ? { ...base, imageUrl: item.ref.url }
        : this.refused(job, item, 'host-not-allowed');
    }
    if (item.kind === 'image') {
      const image = await fetcher.fetchImage(item.ref.url, signal);
      return image.ok
        ? { ...base, imageUrl: buildImageDataUrl(image) }
        : this.refused(job, item, image.refusal);
    }
    const text = await fetcher.fetchText(item.ref.url, signal);
    return text.ok ? { ...base, text: text.text } : this.refused(job, item, text.refusal);
  }

  private refused(
    job: ReplyJob,
    item: SelectedAttachment,
    refusal: AttachmentDownloadRefusal,
  ): PromptAttachment {
    if (refusal !== 'cancelled') {
      // The file's name is the user's text: the log names the attachment by id.
      this.log.info(
        { channelId: job.channelId, attachmentId: item.ref.id, kind: item.kind, refusal },
        'attachment left out: download refused',
      );
    }
    return {
      kind: item.kind,
      filename: item.ref.filename,
      fromReply: item.fromReply,
      leftOut: REFUSAL_REASONS[refusal],
    };
  }
}
