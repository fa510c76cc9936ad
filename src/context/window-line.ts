import { z } from 'zod';

const snowflake = z.string().regex(/^\d{1,20}$/);

/** The longest text a line keeps (characters). */
export const WINDOW_LINE_MAX_CONTENT = 4000;
/** The longest name a line keeps. */
const WINDOW_LINE_MAX_NAME = 100;

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
  name: z.string().min(1).max(WINDOW_LINE_MAX_NAME),
  /** The message text as it reads in Discord (attachments named), capped at 4000 characters. */
  content: z.string().max(WINDOW_LINE_MAX_CONTENT),
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

/** The line as stored: text and name capped to what {@link WindowLineSchema} allows, then checked. */
export function buildStoredLine(line: WindowLine): WindowLine {
  return WindowLineSchema.parse({
    ...line,
    name: line.name.slice(0, WINDOW_LINE_MAX_NAME),
    content: line.content.slice(0, WINDOW_LINE_MAX_CONTENT),
  });
}

/** A stored line, frozen (a cache shares it), or null when unreadable. */
export function parseStoredLine(raw: string): WindowLine | null {
  try {
    const parsed = WindowLineSchema.safeParse(JSON.parse(raw));
    return parsed.success ? Object.freeze(parsed.data) : null;
  } catch {
    return null;
  }
}
