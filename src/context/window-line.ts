import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/);

/**
 * One message of a channel's recent conversation, as the channel window keeps it (JSON in Redis) and the prompt
 * shows it. Lines are written by the gateway (people, other bots, proxied members) and by the worker (the
 * personalities' own replies, one line per posted chunk).
 */
export const WindowLineSchema = z.object({
  /** The Discord message id (lines are unique by it: two gateways seeing one event write it once). */
  id: snowflake,
  /** When Discord created the message, Unix ms. */
  at: z.number().int(),
  /** Who the prompt says spoke: a person's server display name, a personality's or a proxied member's name. */
  name: z.string().min(1).max(100),
  /** The message text as it reads in Discord (attachments named), capped at 4000 characters. */
  content: z.string().max(4000),
  /** The message it replies to, if any (reply chains are walked through it). */
  replyToId: snowflake.nullable(),
  /** One of our personalities posted it (its own lines become `assistant` turns); null for everyone else. */
  personalityId: z.string().nullable(),
  /**
   * The person whose data the line is, for `/forget-me`: the author of a person's message, the original author
   * of a proxied one, the person a personality answered. null for other bots.
   */
  userId: snowflake.nullable(),
});
export type WindowLine = z.infer<typeof WindowLineSchema>;
