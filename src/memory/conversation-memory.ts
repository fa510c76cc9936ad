import type { PromptMemory } from '../context/index.js';
import type { Logger } from '../log/index.js';
import type { RedisBatch } from '../redis/index.js';
import type { AppendResult, TurnHandOver } from '../state/index.js';
import { buildMemorySuffix, type MemoryScope } from './keys.js';
import type { MemoryRepository } from './memory-repository.js';

/** The summaries a reply may show, read in its first round trip before its personality (and scope) is known. */
export interface FetchedSummaries {
  readonly conversation: string | null;
  readonly user: string | null;
  /** The user's notes for the personality (`/memory add`). */
  readonly notes: readonly string[];
}

/** A summarization to enqueue: the reply path's append took the claim. */
export interface SummaryEnqueueRequest {
  readonly userId: string;
  readonly personalityId: string;
  readonly suffix: string;
  readonly claimToken: string;
  readonly correlationId: string;
}

/** A hand-over for one append, with the memory it belongs to. */
export interface MemoryHandOver extends TurnHandOver {
  readonly suffix: string;
}

/** Options for {@link ConversationMemory}. */
export interface ConversationMemoryOptions {
  /** Most of the prompt budget the summary takes, a fraction (`MEMORY_SUMMARY_SHARE` / 100). @defaultValue 0.15 */
  summaryShare: number;
  /** Most of the prompt budget the notes take, a fraction (`MEMORY_NOTES_SHARE` / 100). @defaultValue 0.1 */
  notesShare: number;
}

export const DefaultConversationMemoryOptions = {
  summaryShare: 0.15,
  notesShare: 0.1,
} as const satisfies Required<ConversationMemoryOptions>;

/**
 * Memory as the reply path sees it: reads the summary with the job's first round trip, hands trimmed turns over
 * through the conversation append, and enqueues the summarization when the append took the claim. Nothing here
 * delays or fails a reply: an enqueue that fails is logged and the claim released, for the next append.
 */
export class ConversationMemory {
  readonly options: Readonly<ConversationMemoryOptions>;
  private readonly log: Logger;

  constructor(
    private readonly repository: Pick<
      MemoryRepository,
      'fetchSummary' | 'fetchNotes' | 'buildHandOver' | 'releaseClaim'
    >,
    private readonly enqueue: (request: SummaryEnqueueRequest) => Promise<void>,
    logger: Logger,
    options: Partial<ConversationMemoryOptions> = {},
  ) {
    this.options = { ...DefaultConversationMemoryOptions, ...options };
    this.log = logger.child({ module: 'conversation-memory' });
  }

  /** Both scopes' summaries and the notes of the user with the personality (one slot, a share of `batch`'s round trip). */
  async fetchSummaries(
    userId: string,
    channelId: string,
    personalityId: string,
    batch?: RedisBatch,
  ): Promise<FetchedSummaries> {
    const [conversation, user, notes] = await Promise.all([
      this.repository.fetchSummary(
        userId,
        buildMemorySuffix('conversation', channelId, personalityId),
        batch,
      ),
      this.repository.fetchSummary(userId, buildMemorySuffix('user', channelId, personalityId), batch),
      this.repository.fetchNotes(userId, personalityId, batch),
    ]);
    return { conversation, user, notes };
  }

  /** What the prompt shows of the memory in `scope`. */
  buildPromptMemory(summaries: FetchedSummaries, scope: MemoryScope): PromptMemory {
    return {
      summary: scope === 'user' ? summaries.user : summaries.conversation,
      notes: summaries.notes,
      summaryShare: this.options.summaryShare,
      notesShare: this.options.notesShare,
    };
  }

  /** The hand-over of one append to the conversation of the user with the personality in the channel. */
  buildHandOver(
    userId: string,
    channelId: string,
    personalityId: string,
    scope: MemoryScope,
  ): MemoryHandOver {
    const suffix = buildMemorySuffix(scope, channelId, personalityId);
    return { ...this.repository.buildHandOver(userId, suffix), suffix };
  }

  /** After an append with `handOver`: logs pending turns the cap dropped, enqueues the summarization if claimed. */
  async afterAppend(
    userId: string,
    personalityId: string,
    correlationId: string,
    handOver: MemoryHandOver,
    result: AppendResult,
  ): Promise<void> {
    if (result.pendingDropped > 0) {
      this.log.warn(
        { userId, personalityId, dropped: result.pendingDropped },
        'pending memory turns dropped: summarization is behind its cap',
      );
    }
    if (!result.claimed) return;
    try {
      await this.enqueue({
        userId,
        personalityId,
        suffix: handOver.suffix,
        claimToken: handOver.claimToken,
        correlationId,
      });
    } catch (error) {
      this.log.warn({ err: error, userId, personalityId }, 'summarization could not be enqueued');
      await this.repository.releaseClaim(userId, handOver.suffix, handOver.claimToken).catch(() => false);
    }
  }
}
