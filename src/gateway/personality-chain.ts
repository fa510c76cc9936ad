import type { Logger } from '../log/index.js';
import type { ChainLinkRepository } from '../queue/index.js';
import type { ReplyJob } from '../queue/reply-job.js';
import type { MessageIndexRepository, PostedMessage } from '../state/index.js';
import type { InboundMessage } from './inbound-message.js';
import type { MessageRouter } from './message-router.js';
import type { RoutingOutcome } from './routing-outcome.js';

/**
 * Personalities talking to each other: when one of our personalities posts a message naming another (`@Bob`),
 * Bob answers it as if a person had written it, for the person whose message started the chain.
 *
 * Bounded three ways, so two personalities never loop: each link is one deeper than the reply it answers and
 * none starts past `maxDepth`; a personality never answers itself; a channel starts at most its per-minute
 * budget of links (claimed in Redis, once per reply and named personality). A person speaking in the channel
 * stops the links not started yet (the worker checks before the AI call).
 */

/**
 * The quote line the worker opens a late answer's first message with (`buildReplyQuote` in
 * src/webhooks/reply-quote.ts): `> **Name**: excerpt · [jump](https://discord.com/channels/<g>/<c>/<m>)`. The
 * excerpt is the asker's text, whose names must not start links. Kept in step by a unit test.
 */
const REPLY_QUOTE_LINE =
  /^> \*\*[^\n]*\*\*[^\n]* · \[jump\]\(https:\/\/discord\.com\/channels\/(?:\d{1,20}|@me)\/\d{1,20}\/\d{1,20}\)(?:\n|$)/u;

/** `text` without the reply-quote line a personality's first message may open with. */
export function stripReplyQuoteLine(text: string): string {
  return text.replace(REPLY_QUOTE_LINE, '');
}

/** What {@link decideChainLink} found: the link's chain fields, or why none starts. */
export type ChainLinkDecision =
  | {
      readonly kind: 'link';
      readonly chain: NonNullable<ReplyJob['chain']>;
      /** The message the speaking personality's reply answered: with the speaker, names its reply. */
      readonly sourceMessageId: string;
    }
  | { readonly kind: 'too-deep'; readonly depth: number };

/**
 * The link a personality's message `messageId` (posted as `posted` says) would start: one deeper than the job
 * that posted it (an answer to a person is depth 0), rooted at the same human message; none past `maxDepth`.
 */
export function decideChainLink(
  posted: PostedMessage,
  messageId: string,
  maxDepth: number,
): ChainLinkDecision {
  const depth = (posted.chain?.depth ?? 0) + 1;
  if (depth > maxDepth) return { kind: 'too-deep', depth };
  const sourceMessageId = posted.sourceMessageId ?? messageId;
  return {
    kind: 'link',
    chain: {
      depth,
      speakerPersonalityId: posted.personalityId,
      rootMessageId: posted.chain?.rootMessageId ?? sourceMessageId,
    },
    sourceMessageId,
  };
}

/** Options for {@link PersonalityChain}. */
export interface PersonalityChainOptions {
  /** `PERSONALITY_CHAIN_DEPTH`: links one human message may start in a row (0 = none). */
  readonly maxDepth: number;
  /**
   * Waits before re-checking a personality's message missing from the posted-message index: Discord delivers
   * it to the gateway about when the worker that posted it has its id back to index it, in ms.
   * @defaultValue [100, 300, 800]
   */
  readonly indexRetryDelaysMs: readonly number[];
}

export const DefaultPersonalityChainOptions = {
  indexRetryDelaysMs: [100, 300, 800],
} as const satisfies Omit<Required<PersonalityChainOptions>, 'maxDepth'>;

export interface PersonalityChainDependencies {
  readonly router: MessageRouter;
  readonly messageIndex: MessageIndexRepository;
  readonly chainLinks: ChainLinkRepository;
  readonly logger: Logger;
}

/** Turns a personality's message naming others into the links of a chain (see the module comment). */
export class PersonalityChain {
  readonly options: Readonly<PersonalityChainOptions>;
  private readonly log: Logger;

  constructor(
    private readonly deps: PersonalityChainDependencies,
    options: Pick<PersonalityChainOptions, 'maxDepth'> & Partial<PersonalityChainOptions>,
  ) {
    this.options = { ...DefaultPersonalityChainOptions, ...options };
    this.log = deps.logger.child({ module: 'personality-chain' });
  }

  /**
   * Routes `message`, one of our personalities' messages as the gateway built it (its author the webhook), as
   * links to the personalities it names. Null when it starts none before routing (no mention, a DM, not ours
   * to follow, too deep); no Redis is read for a message naming nobody.
   * @param fetchMemberRoleIds The requester's roles in the message's server (its rules may require one).
   */
  async route(
    message: InboundMessage,
    fetchMemberRoleIds: (userId: string) => Promise<readonly string[]>,
  ): Promise<RoutingOutcome | null> {
    if (message.guildId === null || this.options.maxDepth < 1) return null;
    const content = stripReplyQuoteLine(message.content);
    if (!content.includes('@')) return null;
    const posted = await this.fetchPosted(message.channelId, message.id);
    if (posted === null || posted.channelId !== message.channelId) {
      this.log.debug(
        { messageId: message.id, channelId: message.channelId },
        'personality message not indexed; no chain',
      );
      return null;
    }
    const decision = decideChainLink(posted, message.id, this.options.maxDepth);
    if (decision.kind === 'too-deep') {
      this.log.info(
        {
          messageId: message.id,
          channelId: message.channelId,
          personalityId: posted.personalityId,
          userId: posted.userId,
          chainDepth: decision.depth,
        },
        'personality chain stopped at its depth limit',
      );
      return null;
    }
    const memberRoleIds = await fetchMemberRoleIds(posted.userId);
    const { chain, sourceMessageId } = decision;
    return this.deps.router.routeChainLink(
      {
        ...message,
        content,
        authorId: posted.userId,
        replyToMessageId: null,
        memberRoleIds,
      },
      {
        chain,
        claim: async (targetId) => {
          const claim = await this.deps.chainLinks.claim({
            channelId: message.channelId,
            sourceMessageId,
            speakerId: chain.speakerPersonalityId,
            targetId,
          });
          if (claim !== 'claimed') {
            // A reply split in several messages names Bob in each: only the first starts the link.
            const level = claim === 'decided' ? 'debug' : 'info';
            this.log[level](
              {
                messageId: message.id,
                channelId: message.channelId,
                personalityId: targetId,
                userId: posted.userId,
                chainDepth: chain.depth,
                reason: claim,
              },
              claim === 'decided'
                ? 'personality chain link already decided'
                : 'personality chain link refused: the channel’s budget is spent',
            );
          }
          return claim === 'claimed';
        },
      },
    );
  }

  /** The index entry of our message, re-checked briefly while the worker that posted it indexes it. */
  private async fetchPosted(channelId: string, messageId: string): Promise<PostedMessage | null> {
    let found = await this.deps.messageIndex.fetchPersonalityForMessage(channelId, messageId);
    for (const delayMs of this.options.indexRetryDelaysMs) {
      if (found !== null) break;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      found = await this.deps.messageIndex.fetchPersonalityForMessage(channelId, messageId);
    }
    return found;
  }
}
