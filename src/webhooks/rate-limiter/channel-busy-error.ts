import { ChorusError, ChorusErrorCode } from '../../errors/index.js';

/** Where and until when a busy channel holds a post back. */
export interface ChannelBusyDetails {
  readonly channelId: string;
  readonly threadId: string | null;
  /** When the post should be tried again (Unix ms): a little before its turn in the channel's queue. */
  readonly retryAt: number;
  /** Why: the channel's budget is spent for now, or Discord paused the channel with a shared 429. */
  readonly reason: 'budget' | 'blocked';
  /**
   * An earlier request of the same post may have reached Discord (it failed ambiguously, e.g. a 5xx, before
   * the channel turned busy): the caller must treat the post as maybe posted. False when nothing was sent.
   */
  readonly maybeSent: boolean;
}

/**
 * A post that would wait too long for its channel's next slot: nothing was reserved, its turn in the channel's
 * queue is kept, and the caller should come back at `retryAt` (a reply job is delayed, holding no worker) instead
 * of waiting in place.
 */
export class ChannelBusyError extends ChorusError implements ChannelBusyDetails {
  readonly channelId: string;
  readonly threadId: string | null;
  readonly retryAt: number;
  readonly reason: 'budget' | 'blocked';
  readonly maybeSent: boolean;

  constructor(details: ChannelBusyDetails) {
    super(ChorusErrorCode.RateLimited, 'The channel cannot take another webhook message yet', {
      channelId: details.channelId,
    });
    this.channelId = details.channelId;
    this.threadId = details.threadId;
    this.retryAt = details.retryAt;
    this.reason = details.reason;
    this.maybeSent = details.maybeSent;
  }
}
