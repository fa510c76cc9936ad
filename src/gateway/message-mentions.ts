import type { Logger } from '../log/index.js';
import type { InboundMessage } from './inbound-message.js';
import { collectCandidateKeys, extractMentionCandidates, type MentionCandidate } from './mention-parser.js';

/** A message's `@` mention candidates and the names to look up for them. */
export interface MessageMentions {
  readonly candidates: readonly MentionCandidate[];
  readonly keys: string[];
}

/** The names to look up for `message`'s mentions, capped in total (`MAX_NAME_LOOKUPS`); a cut is logged. */
export function readMentions(message: InboundMessage, logger: Logger): MessageMentions {
  const candidates = message.content.includes('@') ? extractMentionCandidates(message.content) : [];
  const { keys, ignored } = collectCandidateKeys(candidates);
  if (ignored > 0) {
    logger.debug(
      { messageId: message.id, lookedUp: keys.length, ignored },
      'name look-ups capped; later names ignored',
    );
  }
  return { candidates, keys };
}
