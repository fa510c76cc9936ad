import type { ReplyJob } from '../queue/reply-job.js';
import type { InboundMessage } from './inbound-message.js';

/**
 * A personality's message naming other personalities: one link of a chain (see `personality-chain.ts`). Its
 * {@link InboundMessage} is written for the human requester: `authorId` the human, `authorName` the speaking
 * personality.
 */
export interface ChainLink {
  /** Who speaks, how deep this link is and the human message that started the chain: put on each job. */
  readonly chain: NonNullable<ReplyJob['chain']>;
  /**
   * Decides, just before admission, whether the link to `personalityId` starts (once per reply and personality,
   * within the channel's budget); false skips it. The caller logs why.
   */
  readonly claim: (personalityId: string) => Promise<boolean>;
}
