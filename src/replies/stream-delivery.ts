import type { AiStreamEvent } from '../ai/index.js';
import type { Logger } from '../log/index.js';
import type { ReplyJob } from '../queue/reply-job.js';
import type {
  ChannelActivityRepository,
  MessageEventRepository,
  MessageIndexRepository,
  Personality,
} from '../state/index.js';
import type { AnswerUsage } from '../usage/index.js';
import type { WebhookManager } from '../webhooks/index.js';
import type { Delivery, DeliveryBusy } from './chunk-delivery.js';
import type { DeliveryLedger, DeliveryRecord } from './delivery-ledger.js';
import type { ReplyMessages } from './messages.js';
import { StreamAttempt } from './stream-attempt.js';
import { DefaultStreamPacing, type StreamPacing } from './stream-pacing.js';
import type { StreamRecovery } from './stream-recovery.js';

/** What {@link StreamDelivery} needs. */
export interface StreamDeliveryDependencies {
  readonly ledger: DeliveryLedger;
  readonly messageIndex: MessageIndexRepository;
  readonly messageEvents: Pick<MessageEventRepository, 'isDeleted'>;
  readonly channelActivity: Pick<ChannelActivityRepository, 'fetchLatest'>;
  readonly webhooks: Pick<WebhookManager, 'postAsPersona' | 'editPersonaMessage' | 'deletePersonaMessage'>;
  /** Takes down or brings up to date messages whose post may have gone through unrecorded. */
  readonly recovery: Pick<StreamRecovery, 'reconcile' | 'withdraw'>;
  readonly logger: Logger;
  readonly now: () => number;
}

/** One streamed reply, as {@link StreamDelivery.run} takes it. */
export interface StreamRun {
  readonly job: ReplyJob;
  readonly jobId: string;
  /** The attempt's name in the ledger's claims. */
  readonly owner: string;
  /** The job's delivery record, read at the start of the attempt (a first attempt: nothing posted). */
  readonly record: DeliveryRecord;
  readonly personality: Personality;
  /** Starts the AI call; `signal` stops it (the user deleted the message, or the delivery gave up). */
  readonly open: (signal: AbortSignal) => AsyncIterable<AiStreamEvent>;
  /** Aborts when the author deletes the message answered. */
  readonly deletion: AbortSignal;
  /** The reply-quote line of the first message, given the channel's newest message when it is posted; or ''. */
  readonly buildPrefix: (latestMessageId: string | null) => string;
  /** Ends the typing indicator (the first text shows). */
  readonly endTyping: () => void;
}

/** How a streamed reply ended. */
export type StreamOutcome =
  /** Nothing was posted (a short answer, or the channel put the first post off): post the text as a whole. */
  | {
      readonly kind: 'unposted';
      readonly text: string;
      readonly reasoningOnly: boolean;
      /** What the call cost, when the provider said. */
      readonly usage: AnswerUsage | null;
    }
  /**
   * Decided and shown: the messages posted show their final text. The chunks not posted yet (the channel put a
   * post off) are the caller's to post, from `record`. The stream's lease is still held (no longer renewed): the
   * caller gives it up with its post-answer script, or with `releaseLease`.
   */
  | {
      readonly kind: 'posted';
      readonly delivery: Delivery;
      readonly record: DeliveryRecord;
      readonly releaseLease: () => Promise<void>;
    }
  /** The author deleted the message: the AI call was stopped and what was posted is deleted. */
  | { readonly kind: 'cancelled' }
  /** Another attempt of the job took the stream over (this one stalled): write nothing more. */
  | ({ readonly kind: 'busy' } & DeliveryBusy);

/**
 * Shows a reply as the AI writes it (docs/streaming.md): typing until the first text, the first message once
 * `firstPostChars` or `firstPostAfterMs` of text exist, then edits at most once per `editIntervalMs` per message;
 * a full message is closed where the splitter would cut it and the text goes on in a new one. Posts count in the
 * channel's message budget (one the budget puts off ends the posting: the rest waits for the end); edits take only
 * the webhook's edit bucket and the global limit. Each message is claimed in the delivery ledger before it is
 * posted (with the content it is posted with) and its id recorded after, under the stream's lease.
 */
export class StreamDelivery {
  private readonly log: Logger;
  private readonly pacing: StreamPacing;

  constructor(
    private readonly deps: StreamDeliveryDependencies,
    pacing: Partial<StreamPacing> = {},
  ) {
    this.log = deps.logger.child({ module: 'stream-delivery' });
    this.pacing = { ...DefaultStreamPacing, ...pacing };
  }

  /**
   * Streams one reply. Throws the AI call's error when nothing was posted (the caller handles it as it does a
   * non-streamed call's: a notice, or the job's retry); once text is shown, a broken stream ends the reply with
   * {@link ReplyMessages.streamInterrupted} and is not retried. Throws a Discord failure of a post or of a final
   * edit (the job's retry brings the messages to the decided reply).
   */
  async run(run: StreamRun): Promise<StreamOutcome> {
    return new StreamAttempt(this.deps, this.pacing, this.log, run).run();
  }
}
