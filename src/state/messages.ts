/**
 * Wording of the state area's user-facing errors (the only text of this area that reaches Discord).
 */
export const StateMessages = {
  nameTaken: (name: string) =>
    `You already have a personality named or nicknamed "${name}". Choose another name or alias.`,
  nameRepeated: (name: string) => `"${name}" is listed twice: names and aliases must all differ.`,
  tooManyAliases: (max: number) => `A personality can have at most ${max} aliases.`,
  tooManyFallbacks: (max: number) => `A personality can have at most ${max} fallback models.`,
  fallbackRepeated: (model: string) => `Fallback model ${model} is listed more than once.`,
  tooManyPersonalities: (max: number) =>
    `You already own ${max} personalities, the most one person can have. Delete one with /personality remove to make room.`,
  invalidName: () => 'Names and aliases must be 1–80 visible characters.',
  invalidPersonality: (problem: string) => `That personality is not valid: ${problem}.`,
  notFound: () => 'That personality does not exist (any more).',
  notOwner: () => 'Only the owner of that personality can change it.',
  notEditor: () => 'Only the owner of that personality or one of its co-editors can change it.',
  ownerOnly: () =>
    'Only the owner of that personality can delete or share it, change its aliases or who may talk to it (visibility). Co-editors can change the rest with /personality edit.',
  editConflict: (name: string, changes: readonly string[]) =>
    `"${name}" changed since your edit started (${changes.length > 0 ? changes.join('; ') : 'saved again by someone else'}). Nothing was saved: look at it with /personality info and edit again.`,
  shareWithOwner: () => 'You own that personality already: share it with someone else.',
  tooManyEditors: (max: number) => `A personality can have at most ${max} co-editors.`,
  notAnEditor: () => 'That person is not a co-editor of that personality.',
  aliasNotFound: (alias: string) => `That personality has no alias "${alias}".`,
} as const;
