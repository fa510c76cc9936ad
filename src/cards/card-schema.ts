import { z } from 'zod';

/**
 * Character Card V2 `data`, as the spec writes it
 * (https://github.com/malfoyslastname/character-card-spec-v2/blob/main/spec_v2.md). Every field but `name` may be
 * missing in the wild: a missing text reads empty, a missing list reads empty, so cards saved by older tools load.
 * A field present with the wrong type is refused, naming it.
 */
export const CardDataSchema = z.object({
  name: z.string().trim().min(1),
  description: z.string().default(''),
  personality: z.string().default(''),
  scenario: z.string().default(''),
  first_mes: z.string().default(''),
  mes_example: z.string().default(''),
  creator_notes: z.string().default(''),
  system_prompt: z.string().default(''),
  post_history_instructions: z.string().default(''),
  alternate_greetings: z.array(z.string()).default([]),
  /** The lorebook: kept as written (not used yet), only checked to be an object. */
  character_book: z.record(z.string(), z.unknown()).optional(),
  tags: z.array(z.string()).default([]),
  creator: z.string().default(''),
  character_version: z.string().default(''),
  extensions: z.record(z.string(), z.unknown()).default({}),
});
export type CardData = z.infer<typeof CardDataSchema>;

/** A V2 card file. */
export const CardV2Schema = z.object({
  spec: z.literal('chara_card_v2'),
  spec_version: z.string(),
  data: CardDataSchema,
});

/**
 * A V3 card file (https://github.com/kwaroran/character-card-spec-v3): V2's data plus fields Chorus keeps as they
 * are (nickname, group_only_greetings, creation_date, …), which the schema lets through unchecked.
 */
export const CardV3Schema = z.object({
  spec: z.literal('chara_card_v3'),
  spec_version: z.string(),
  data: CardDataSchema.loose(),
});

/** A card as Chorus keeps it: V2's data (V3's extra fields inside `extensions.chorus_v3` for export). */
export interface ParsedCard {
  readonly spec: 'chara_card_v2' | 'chara_card_v3';
  readonly data: CardData;
}
