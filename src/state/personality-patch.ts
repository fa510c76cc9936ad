import type { Personality } from './personality.js';

/**
 * The fields PersonalityRepository.update changes (aliases have their own methods). Co-editors may change all
 * but `visibility`: who may talk to a personality is its owner's choice, like who edits it.
 */
const PATCHABLE_FIELDS = [
  'name',
  'visibility',
  'systemPrompt',
  'avatarUrl',
  'provider',
  'model',
  'temperature',
  'nsfw',
  'contextMode',
  'memoryScope',
  'fallbackModels',
  'streamReplies',
] as const satisfies ReadonlyArray<keyof Personality>;

/** A change of some of the {@link PATCHABLE_FIELDS}. */
export type PersonalityPatch = Partial<Pick<Personality, (typeof PATCHABLE_FIELDS)[number]>>;

/** Options of one edit. */
export interface PersonalityEditOptions {
  /**
   * The personality as the edit's author read it. When given, the edit is refused (Conflict, naming what
   * changed) if the stored version differs, instead of applying over a change the author never saw.
   */
  readonly basedOn?: Personality;
}

/** The patchable fields of `patch`, and only those given: a stray `id` or `undefined` never lands in the record. */
export function pickPatchChanges(patch: PersonalityPatch): PersonalityPatch {
  return Object.fromEntries(
    PATCHABLE_FIELDS.filter((field) => patch[field] !== undefined).map((field) => [field, patch[field]]),
  ) as PersonalityPatch;
}
