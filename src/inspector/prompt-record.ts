import { z } from 'zod';

/** One message of a prompt, exactly as the AI received it (`content`: text, or the OpenAI content parts). */
export interface PromptMessage {
  readonly role: string;
  readonly content: unknown;
}

/** When each step of a reply happened, epoch ms. */
export interface PromptTimings {
  /** The gateway queued the job. */
  readonly queuedAt: number;
  /** The worker's attempt that called the AI started on it. */
  readonly startedAt: number;
  /** The first text of a streamed answer, or the whole answer of one not streamed; null = none came. */
  readonly firstTokenAt: number | null;
  /** Every message of the reply (or of its notice) is posted; null = not (yet). */
  readonly postedAt: number | null;
}

/** What one reply sent to the AI and how it went, as the playground's Inspector shows it (DEBUG_PROMPTS). */
export interface PromptRecord {
  /** The reply job's id. */
  readonly replyId: string;
  /** The requester. */
  readonly userId: string;
  readonly channelId: string;
  readonly guildId: string | null;
  readonly personalityId: string;
  readonly personalityName: string;
  /** The model that answered; when none did, the one its error names (the own model when all were down). */
  readonly model: string;
  /** Exactly what the AI received (the last prompt sent, when it was assembled again). */
  readonly messages: readonly PromptMessage[];
  /** Discord message ids of the reply's messages (or of its notice). */
  readonly postedMessageIds: readonly string[];
  readonly timings: PromptTimings;
  /** Why the reply failed (a provider's notice, a thrown error); null when it did not. */
  readonly error: string | null;
}

/** A record read back from Redis: checked, since the stream may hold what another version wrote. */
export const PromptRecordSchema = z.object({
  replyId: z.string(),
  userId: z.string(),
  channelId: z.string(),
  guildId: z.string().nullable(),
  personalityId: z.string(),
  personalityName: z.string(),
  model: z.string(),
  messages: z.array(z.object({ role: z.string(), content: z.unknown() })),
  postedMessageIds: z.array(z.string()),
  timings: z.object({
    queuedAt: z.number(),
    startedAt: z.number(),
    firstTokenAt: z.number().nullable(),
    postedAt: z.number().nullable(),
  }),
  error: z.string().nullable(),
}) satisfies z.ZodType<PromptRecord>;
