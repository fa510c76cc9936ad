import { z } from 'zod';
import { AttachmentRefListSchema } from '../discord/index.js';

const snowflake = z.string().regex(/^\d{1,20}$/);

/** What made the gateway address a personality; also decides nothing else downstream but logs/metrics. */
export const TriggerSchema = z.enum(['mention', 'reply', 'activation', 'dm']);
export type Trigger = z.infer<typeof TriggerSchema>;

/**
 * The contract between gateway and worker for one AI reply. Ids, text and attachment metadata only: no secrets
 * (a user's API key is looked up by the worker, from `authorId`).
 */
export const ReplyJobSchema = z.object({
  kind: z.literal('reply'),
  version: z.literal(1),
  /** Follows the message through every process's logs. */
  correlationId: z.string().min(1).max(64),
  /** The user's message being answered. */
  messageId: snowflake,
  /** Where the user wrote (a text channel, a thread, or a DM channel); the reply goes here. */
  channelId: snowflake,
  /** For a thread or forum post: the parent channel whose webhook posts into it; otherwise null. */
  parentChannelId: snowflake.nullable(),
  /** null in DMs. */
  guildId: snowflake.nullable(),
  authorId: snowflake,
  /** The author's display name as the AI should see it. */
  authorName: z.string().min(1).max(100),
  /** The message text with the addressing `@Name` mentions removed. */
  content: z.string().max(4000),
  trigger: TriggerSchema,
  personalityId: z.string().regex(/^[a-z0-9]{8,32}$/),
  /** When Discord created the user's message (from its snowflake), Unix ms. */
  messageCreatedAt: z.number().int(),
  /** When the gateway enqueued the job, Unix ms. */
  enqueuedAt: z.number().int(),
  /**
   * A regeneration's job is named after its interaction (`messageId`, since the first answer's job id is
   * taken); this is the user's message it answers again, for the quote line, the message index and deletion.
   */
  answersMessageId: snowflake.optional(),
  /** The message the user's message replies to (any author's): its reply chain goes into the prompt. */
  replyToMessageId: snowflake.nullable().optional(),
  /**
   * Set when a personality's message is what is answered (personalities talking to each other): the speaking
   * personality, and how many links deep this is after the human message that started it (1 = the first
   * answer to a personality). `authorId` is then that human, the requester for limits, fairness and keys, and
   * `authorName` the speaking personality's name.
   */
  chain: z
    .object({
      depth: z.number().int().min(1).max(10),
      speakerPersonalityId: z.string().regex(/^[a-z0-9]{8,32}$/),
      /** The human message that started the chain. */
      rootMessageId: snowflake,
    })
    .optional(),
  /**
   * Set when a proxy bot (PluralKit, Tupperbox) reposted the user's message: `messageId` is the proxied copy
   * (answered), `authorName` the proxied member's name, and this the original message the user wrote.
   */
  proxiedFromMessageId: snowflake.optional(),
  /**
   * The files attached to the user's message (at most 10), as data: the worker shows images to a vision model
   * and inlines text files (docs/context.md, Attachments). Absent = none, as in jobs queued before attachments.
   */
  attachments: AttachmentRefListSchema.optional(),
  /** The files of the message replied to, when the gateway saw them (`referenced_message`): its images count too. */
  repliedToAttachments: AttachmentRefListSchema.optional(),
});
export type ReplyJob = z.infer<typeof ReplyJobSchema>;

/** The user's message a reply job answers: its own message, or for a regeneration the one answered again. */
export function findAnsweredMessageIdOf(job: ReplyJob): string {
  return job.answersMessageId ?? job.messageId;
}

/** BullMQ job id of a reply: one per (message, personality), so replicas seeing one event enqueue once. */
export function buildReplyJobId(messageId: string, personalityId: string): string {
  return `reply-${messageId}-${personalityId}`;
}
