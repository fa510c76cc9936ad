import { z } from 'zod';

/** Who may talk to a personality: `public` = anyone; `private` = only its owner. */
export const VisibilitySchema = z.enum(['public', 'private']);
export type Visibility = z.infer<typeof VisibilitySchema>;

/**
 * What a personality sees when it answers in a server: `room` = the channel's recent conversation besides its
 * own history with the person (docs/context.md); `personal` = only that history. DMs are always personal.
 */
export const ContextModeSchema = z.enum(['room', 'personal']);
export type ContextMode = z.infer<typeof ContextModeSchema>;

/**
 * Whose memory a personality keeps (docs/memory.md): `conversation` = one summary per person and channel;
 * `user` = one per person, across channels.
 */
export const MemoryScopeSchema = z.enum(['conversation', 'user']);
export type MemoryScope = z.infer<typeof MemoryScopeSchema>;

/** A provider's model, as a personality names it (both as `AI_PROVIDERS` spells them). */
export const ModelRefSchema = z.object({ provider: z.string().min(1), model: z.string().min(1) });
export type ModelRef = z.infer<typeof ModelRefSchema>;

/** Fallback models one personality may list. */
export const MAX_FALLBACK_MODELS = 3;

/** Co-editors one personality may have. */
export const MAX_PERSONALITY_EDITORS = 10;

const DiscordIdSchema = z.string().regex(/^\d{1,20}$/);

/**
 * Characters of a stored prompt: an imported character card's (docs/character-cards.md). Prompts typed in
 * `/personality create|edit` keep the slash-command option's 6,000 (the command's own check).
 */
export const MAX_STORED_PROMPT_LENGTH = 32_000;

/**
 * An AI personality as stored. `id` is a short lowercase `[a-z0-9]` string (never all digits, never `:`,
 * so it can sit inside a BullMQ job id).
 */
export const PersonalitySchema = z.object({
  id: z.string().regex(/^[a-z0-9]{8,32}$/),
  ownerId: DiscordIdSchema,
  name: z.string().min(1).max(80),
  aliases: z.array(z.string().min(1).max(80)),
  visibility: VisibilitySchema,
  systemPrompt: z.string().max(MAX_STORED_PROMPT_LENGTH),
  avatarUrl: z.string().nullable(),
  provider: z.string().min(1),
  model: z.string().min(1),
  /** null = the provider's default. */
  temperature: z.number().min(0).max(2).nullable(),
  /** Unix ms. Among public personalities sharing a name, the oldest wins. */
  createdAt: z.number().int(),
  /** Marked adult-only by its owner or a co-editor: routing lets it answer only in age-restricted channels. */
  nsfw: z.boolean().default(false),
  /** Co-editors: they may change what `/personality edit` changes except visibility; never remove or share it. */
  editorIds: z.array(DiscordIdSchema).max(MAX_PERSONALITY_EDITORS).default([]),
  /** What it sees of a server channel (records older than the field read `room`). */
  contextMode: ContextModeSchema.default('room'),
  /** Whose memory it keeps (records older than the field read `conversation`). */
  memoryScope: MemoryScopeSchema.default('conversation'),
  /**
   * Models that answer, in order, while its own is down (breaker open, 5xx, 429, timeout); records older than
   * the field read none.
   */
  fallbackModels: z.array(ModelRefSchema).max(MAX_FALLBACK_MODELS).default([]),
  /**
   * Whether its replies in server channels appear as they are written (streamed): `null` follows the operator's
   * `STREAM_REPLIES` (records older than the field read `null`). DMs are never streamed.
   */
  streamReplies: z.boolean().nullable().default(null),
  /**
   * Posted once when it is first activated in a channel and when a user first talks to it in DMs (a card's
   * `first_mes`); null = none (records older than the field read none).
   */
  greeting: z.string().max(MAX_STORED_PROMPT_LENGTH).nullable().default(null),
  /**
   * The character card fields kept for export (src/cards `StoredCard`, opaque here); null = not imported from a
   * card (records older than the field read null).
   */
  card: z.record(z.string(), z.unknown()).nullable().default(null),
  /** Counts writes (records older than the field read 0): an edit based on an older version is refused. */
  version: z.number().int().nonnegative().default(0),
});
export type Personality = z.infer<typeof PersonalitySchema>;

/** The fields a user supplies when creating one (id, createdAt, editors and version are assigned). */
export type PersonalityDraft = Omit<
  Personality,
  | 'id'
  | 'createdAt'
  | 'aliases'
  | 'nsfw'
  | 'editorIds'
  | 'version'
  | 'contextMode'
  | 'memoryScope'
  | 'fallbackModels'
  | 'streamReplies'
  | 'greeting'
  | 'card'
> & {
  aliases?: string[];
  nsfw?: boolean;
  contextMode?: ContextMode;
  memoryScope?: MemoryScope;
  fallbackModels?: ModelRef[];
  streamReplies?: boolean | null;
  greeting?: string | null;
  card?: Record<string, unknown> | null;
};

/**
 * The lookup key for personality names and aliases: NFKC, case-folded, inner whitespace collapsed.
 * Names are unique per owner under this key.
 */
export function normalizePersonalityName(name: string): string {
  // NFKC maps no ASCII character: the gateway keys every candidate name of every mention, most of them ASCII,
  // and ICU's normalizer was the mention parser's largest cost in the gateway's profile.
  const composed = isAscii(name) ? name : name.normalize('NFKC');
  return composed.toLowerCase().trim().replace(/\s+/g, ' ');
}

function isAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) if (text.charCodeAt(index) > 0x7f) return false;
  return true;
}

/** The normalized name and aliases of a personality: what must be unique per owner. */
export function listPersonalityNameKeys(personality: Pick<Personality, 'name' | 'aliases'>): string[] {
  return [personality.name, ...personality.aliases].map(normalizePersonalityName);
}

/** A stored personality, or null when absent or unreadable (an unreadable record answers as absent). */
export function tryParseStoredPersonality(json: string | null | undefined): Personality | null {
  if (json === null || json === undefined) return null;
  try {
    const parsed = PersonalitySchema.safeParse(JSON.parse(json));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** Whether `userId` may talk to the personality: anyone to a public one, only its owner to a private one. */
export function isPersonalityUsableBy(
  personality: Pick<Personality, 'ownerId' | 'visibility'>,
  userId: string,
): boolean {
  return personality.visibility === 'public' || personality.ownerId === userId;
}

/** Whether `userId` may edit the personality: its owner or one of its co-editors. */
export function isPersonalityEditableBy(
  personality: Pick<Personality, 'ownerId' | 'editorIds'>,
  userId: string,
): boolean {
  return personality.ownerId === userId || personality.editorIds.includes(userId);
}
