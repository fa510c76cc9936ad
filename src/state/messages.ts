/**
 * Wording of the state area's user-facing errors (the only text of this area that reaches Discord).
 */
export const StateMessages = {
  nameTaken: (name: string) =>
    `You already have a personality named or nicknamed "${name}". Choose another name or alias.`,
  nameRepeated: (name: string) => `"${name}" is listed twice: names and aliases must all differ.`,
  tooManyAliases: (max: number) => `A personality can have at most ${max} aliases.`,
  tooManyPersonalities: (max: number) =>
    `You already own ${max} personalities, the most one person can have. Delete one with /personality remove to make room.`,
  invalidName: () => 'Names and aliases must be 1–80 visible characters.',
  invalidPersonality: (problem: string) => `That personality is not valid: ${problem}.`,
  notFound: () => 'That personality does not exist (any more).',
  notOwner: () => 'Only the owner of that personality can change it.',
  aliasNotFound: (alias: string) => `That personality has no alias "${alias}".`,
} as const;
