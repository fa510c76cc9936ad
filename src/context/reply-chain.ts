import { Routes } from 'discord-api-types/v10';
import { z } from 'zod';
import type { Logger } from '../log/index.js';
import type { RedisBatch } from '../redis/index.js';
import type { PostedMessage } from '../state/index.js';
import { type WindowLine, WindowLineSchema } from './window-line.js';
import type { ChannelWindowReader } from './window-reader.js';

/** The bot's REST client as the walker uses it (`@discordjs/rest`'s `REST` satisfies it). */
export interface DiscordMessageReader {
  get(route: `/${string}`): Promise<unknown>;
}

/** Which personality posted a webhook message (`MessageIndexRepository` satisfies it). */
export interface PostedMessageLookup {
  fetchPersonalityForMessage(
    channelId: string,
    messageId: string,
    batch?: RedisBatch,
  ): Promise<PostedMessage | null>;
}

/** What {@link ReplyChainWalker} needs. */
export interface ReplyChainWalkerDependencies {
  readonly window: ChannelWindowReader;
  readonly rest: DiscordMessageReader;
  /** Names our own personalities' webhook messages fetched from Discord; null leaves them as anyone's. */
  readonly postedMessages: PostedMessageLookup | null;
  readonly logger: Logger;
}

/** Options of {@link ReplyChainWalker}. */
export interface ReplyChainOptions {
  /** Ancestors shown above the message replied to. @defaultValue 5 */
  maxAncestors: number;
  /** Messages one walk may fetch from Discord's REST (the rest of the chain is left out). @defaultValue 5 */
  maxFetches: number;
}

export const DefaultReplyChainOptions = {
  maxAncestors: 5,
  maxFetches: 5,
} as const satisfies Required<ReplyChainOptions>;

/** A walked reply chain. */
export interface ReplyChain {
  /** Oldest first; the last line is the message replied to. Empty when even that one could not be read. */
  readonly lines: WindowLine[];
  /** Messages fetched from Discord for it. */
  readonly fetched: number;
}

/**
 * Discord's answers that mean the message cannot be read (deleted, or in a channel the bot cannot see): they
 * end a chain quietly. https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
 */
const UNREADABLE_CODES: ReadonlySet<number> = new Set([
  10003, // Unknown Channel
  10008, // Unknown Message
  50001, // Missing Access
  50013, // Missing Permissions
]);

/** `message_reference.type` of a forward (not a reply: its message is elsewhere). */
const FORWARD_REFERENCE = 1;

const RestMessageBaseSchema = z.object({
  id: z.string(),
  channel_id: z.string(),
  content: z.string(),
  timestamp: z.string(),
  webhook_id: z.string().optional(),
  author: z.object({
    id: z.string(),
    username: z.string(),
    global_name: z.string().nullable().optional(),
    bot: z.boolean().optional(),
  }),
  member: z.object({ nick: z.string().nullable().optional() }).optional(),
  attachments: z.array(z.object({ filename: z.string(), url: z.string() })).optional(),
  message_reference: z
    .object({
      type: z.number().optional(),
      message_id: z.string().optional(),
      channel_id: z.string().optional(),
    })
    .optional(),
});
/** A message as `GET /channels/{id}/messages/{id}` returns it, with its one level of `referenced_message`. */
const RestMessageSchema = RestMessageBaseSchema.extend({
  referenced_message: RestMessageBaseSchema.nullable().optional(),
});
type RestMessage = z.infer<typeof RestMessageBaseSchema>;

/**
 * Walks a reply chain upwards from the message a reply answers: each message from the channel's window or its
 * fetched-message cache when they hold it, else from Discord (`GET /channels/{id}/messages/{id}`, whose
 * `referenced_message` brings the parent along), at most `maxFetches` times per walk. What it fetched is
 * cached for the next walk. It runs only while a reply is being built in that channel, so no other channel's
 * text is ever stored. A message Discord will not show (deleted, no access) ends the chain; so does any other
 * failure: a reply never fails for its context.
 */
export class ReplyChainWalker {
  readonly options: Readonly<ReplyChainOptions>;
  private readonly log: Logger;

  constructor(
    private readonly deps: ReplyChainWalkerDependencies,
    options: Partial<ReplyChainOptions> = {},
  ) {
    this.options = { ...DefaultReplyChainOptions, ...options };
    this.log = deps.logger.child({ module: 'reply-chain' });
  }

  /**
   * The chain ending at `messageId`, oldest first. `known` are lines already read (the window's recent lines,
   * or lines fetched by id in an earlier batch): they cost nothing to look up.
   */
  async walk(channelId: string, messageId: string, known: Iterable<WindowLine> = []): Promise<ReplyChain> {
    const byId = new Map<string, WindowLine>();
    for (const line of known) byId.set(line.id, line);
    /** Messages Discord reported gone (a `referenced_message` of null): no fetch can find them. */
    const gone = new Set<string>();
    const fetchedLines: WindowLine[] = [];
    const chain: WindowLine[] = [];
    let fetches = 0;
    let nextId: string | null = messageId;
    while (nextId !== null && chain.length <= this.options.maxAncestors && !gone.has(nextId)) {
      const id: string = nextId;
      // A loop of references cannot happen in Discord, but a corrupt cache must not spin us.
      if (chain.some((line) => line.id === id)) break;
      let line = byId.get(id) ?? (await this.deps.window.fetchLines(channelId, [id])).get(id);
      if (line === undefined) {
        if (fetches >= this.options.maxFetches) break;
        fetches += 1;
        const fetched = await this.fetchFromDiscord(channelId, id, gone);
        for (const fetchedLine of fetched) {
          byId.set(fetchedLine.id, fetchedLine);
          fetchedLines.push(fetchedLine);
        }
        line = byId.get(id);
        if (line === undefined) break;
      }
      chain.push(line);
      nextId = line.replyToId;
    }
    if (fetchedLines.length > 0) {
      await this.deps.window.cacheFetchedLines(channelId, fetchedLines).catch((error: unknown) => {
        this.log.warn({ err: error, channelId }, 'fetched reply-chain messages not cached');
      });
    }
    return { lines: chain.reverse(), fetched: fetches };
  }

  /** The message, and its parent when Discord sent it along, as lines; [] when it cannot be read. */
  private async fetchFromDiscord(
    channelId: string,
    messageId: string,
    gone: Set<string>,
  ): Promise<WindowLine[]> {
    let raw: unknown;
    try {
      raw = await this.deps.rest.get(Routes.channelMessage(channelId, messageId));
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      if (typeof code === 'number' && UNREADABLE_CODES.has(code)) {
        this.log.debug(
          { channelId, messageId, discordCode: code },
          'reply chain ends at an unreadable message',
        );
      } else {
        this.log.warn({ err: error, channelId, messageId }, 'reply chain message fetch failed');
      }
      return [];
    }
    const parsed = RestMessageSchema.safeParse(raw);
    if (!parsed.success) {
      this.log.warn({ channelId, messageId }, 'reply chain message unreadable');
      return [];
    }
    const { referenced_message: parent, ...message } = parsed.data;
    const lines: WindowLine[] = [];
    const line = await this.toLine(channelId, message);
    if (line === null) return [];
    lines.push(line);
    // Discord sends `referenced_message: null` when the parent was deleted.
    if (parent === null && line.replyToId !== null) gone.add(line.replyToId);
    if (parent) {
      const parentLine = await this.toLine(channelId, parent);
      if (parentLine !== null && parentLine.id === line.replyToId) lines.push(parentLine);
    }
    return lines;
  }

  /**
   * A message as a window line: named as the channel shows it (the member's nickname when Discord sent the
   * member, else the global name, else the username; a webhook's own name), attributed to the person for
   * `/forget-me` (nobody for bots and webhooks), and for our own personalities' webhook messages, to the
   * personality and the person it answered, whose message is then its parent.
   */
  private async toLine(channelId: string, message: RestMessage): Promise<WindowLine | null> {
    const posted =
      message.webhook_id !== undefined && this.deps.postedMessages !== null
        ? await this.deps.postedMessages.fetchPersonalityForMessage(channelId, message.id).catch(() => null)
        : null;
    const reference = message.message_reference;
    const repliesTo =
      reference?.message_id !== undefined &&
      reference.type !== FORWARD_REFERENCE &&
      (reference.channel_id === undefined || reference.channel_id === channelId)
        ? reference.message_id
        : null;
    const isPerson = message.webhook_id === undefined && message.author.bot !== true;
    const name =
      (isPerson ? (message.member?.nick ?? message.author.global_name) : null) ?? message.author.username;
    const parsed = WindowLineSchema.safeParse({
      id: message.id,
      at: Date.parse(message.timestamp),
      name: name.slice(0, 100),
      content: appendAttachments(message.content, message.attachments ?? []).slice(0, 4000),
      replyToId: repliesTo ?? posted?.sourceMessageId ?? null,
      personalityId: posted?.personalityId ?? null,
      userId: posted?.userId ?? (isPerson ? message.author.id : null),
    });
    return parsed.success ? parsed.data : null;
  }
}

/**
 * Attachments named as the window names them, without their URLs: the line is cached with the window, and CDN
 * links expire.
 */
function appendAttachments(
  content: string,
  attachments: ReadonlyArray<{ readonly filename: string }>,
): string {
  const lines = attachments.map((attachment) => `[attachment: ${attachment.filename}]`);
  return [content, ...lines].filter((line) => line.length > 0).join('\n');
}
