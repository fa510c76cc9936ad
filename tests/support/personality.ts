import { type Personality, type PersonalityDraft, PersonalitySchema } from '../../src/state/index.js';

/** The fields a stored personality has no default for. */
type RequiredFields = Pick<
  Personality,
  | 'id'
  | 'ownerId'
  | 'name'
  | 'aliases'
  | 'visibility'
  | 'systemPrompt'
  | 'avatarUrl'
  | 'provider'
  | 'model'
  | 'temperature'
  | 'createdAt'
>;

/**
 * A personality record for tests: `fields` as given, every other field at the default an old record reads (the
 * schema's), so a field added to personalities needs no edit in every test.
 */
export function buildTestPersonality(fields: RequiredFields & Partial<Personality>): Personality {
  return PersonalitySchema.parse(fields);
}

/** A draft to store as a test personality: public, no prompt, on the stub's model; `draft` overrides any field. */
export function buildTestDraft(
  ownerId: string,
  name: string,
  draft: Partial<PersonalityDraft> = {},
): PersonalityDraft {
  return {
    ownerId,
    name,
    visibility: 'public',
    systemPrompt: '',
    avatarUrl: null,
    provider: 'default',
    model: 'stub-model',
    temperature: null,
    ...draft,
  };
}
