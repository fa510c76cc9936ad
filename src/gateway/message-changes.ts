import { appendAttachmentLines, buildAttachmentNames } from '../context/index.js';
import type { GuildSettingsRepository } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import type { ReplyCoalescer } from '../queue/index.js';
import { RedisBatch } from '../redis/index.js';
import type { MessageEventRepository, Personality, PersonalityRepository } from '../state/index.js';
import { applyAliases, findAliasedNames } from './addressing.js';
import type { InboundMessage } from './inbound-message.js';
import { resolveMentions } from './mention-parser.js';
import { readMentions } from './message-mentions.js';

/** What applying a message's edits and deletions needs. */
export interface MessageChangesDependencies {
  readonly personalities: Pick<PersonalityRepository, 'resolveNames' | 'fetchManyByIds'>;
  readonly guildSettings: Pick<GuildSettingsRepository, 'fetch'>;
  readonly messageEvents: MessageEventRepository;
  readonly coalescer?: ReplyCoalescer;
  readonly logger: Logger;
}

const NO_PERSONALITIES: ReadonlyMap<string, Personality> = new Map();
const NO_ALIASES: ReadonlyMap<string, string> = new Map();

/** Applies a message's deletion and edits to the replies its routing asked for. */
export class MessageChanges {
  /** @param routingOf The message's routing when still under way in this process. */
  constructor(
    private readonly deps: MessageChangesDependencies,
    private readonly routingOf: (messageId: string) => Promise<unknown> | undefined,
  ) {}

  /**
   * A deleted message cancels its pending replies (even mid-AI-call: workers listen for the publish,
   * and check the mark before posting, so a worker restart does not lose the cancel). The mark is kept under
   * `channelId`'s tag, where workers read it along with the channel's newest message.
   */
  async cancel(channelId: string, messageId: string): Promise<void> {
    const { messageEvents, coalescer } = this.deps;
    await Promise.all([
      messageEvents.markDeleted(channelId, messageId).then(() => messageEvents.publishDeleted(messageId)),
      this.leaveGroups(messageId, coalescer),
    ]);
  }

  /**
   * A deleted follow-up leaves the groups it joined while their replies have not started (after its routing,
   * when still under way, so its join is done). A deleted first message cancels its reply, above.
   */
  private async leaveGroups(messageId: string, coalescer: ReplyCoalescer | undefined): Promise<void> {
    if (coalescer?.enabled !== true) return;
    await this.routingOf(messageId)?.catch(() => undefined);
    await coalescer.forgetMessage(messageId);
  }

  /**
   * An edit made before processing starts is used instead of the original text. It is stored only when the
   * message produced a job (after the message's routing, when still under way); returns whether it was.
   */
  async recordEdit(message: InboundMessage): Promise<boolean> {
    await this.routingOf(message.id)?.catch(() => undefined);
    const { candidates, keys } = readMentions(message, this.deps.logger);
    const { guildId } = message;
    const [named, settings] =
      keys.length > 0
        ? await RedisBatch.together((batch) =>
            Promise.all([
              this.deps.personalities.resolveNames(message.authorId, keys, batch),
              guildId === null ? null : this.deps.guildSettings.fetch(guildId, batch),
            ]),
          )
        : [NO_PERSONALITIES, null];
    const aliased =
      settings === null ? NO_ALIASES : findAliasedNames(keys, named, settings.aliases, message.authorId);
    const byId =
      aliased.size > 0 ? await this.deps.personalities.fetchManyByIds([...aliased.values()]) : new Map();
    const { strippedText } = resolveMentions(
      message.content,
      candidates,
      applyAliases(named, aliased, byId, message.authorId),
    );
    const text = strippedText.slice(0, 4000);
    const kept = await this.deps.messageEvents.recordEdit(message.authorId, message.id, text);
    // A joined follow-up is recorded as admitted, so its edit is kept: its part takes it too, until the reply starts.
    if (kept && this.deps.coalescer?.enabled === true)
      await this.deps.coalescer.recordEdit(
        message.authorId,
        message.id,
        appendAttachmentLines(text, buildAttachmentNames(message.attachments ?? [])).slice(0, 4000),
      );
    return kept;
  }
}
