/**
 * Personality ids encode their owner, so any process holding only an id (a job, an activation, a posted
 * message) reaches the owner's slot in one step, with no id→owner lookup to keep in step:
 * `<8 random [a-z0-9], the first a letter><owner snowflake in base 36, 13 chars>` — 21 chars of
 * `[a-z0-9]`, never all digits, never `:` (it sits inside BullMQ job ids).
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const LETTERS = 26;
/** Random characters: 36^7 · 26 ≈ 2 · 10^12 ids per owner; a clash is detected and retried at create. */
export const PERSONALITY_ID_RANDOM_LENGTH = 8;
/** 36^13 > 10^20, so every snowflake (≤ 20 digits) fits. */
const OWNER_LENGTH = 13;
const PERSONALITY_ID = /^[a-z][a-z0-9]{7}([a-z0-9]{13})$/;

/** Builds an id for `ownerId` from `random` (at least {@link PERSONALITY_ID_RANDOM_LENGTH} bytes). */
export function buildPersonalityId(ownerId: string, random: Uint8Array): string {
  if (random.length < PERSONALITY_ID_RANDOM_LENGTH) {
    throw new RangeError(`need ${PERSONALITY_ID_RANDOM_LENGTH} random bytes`);
  }
  // The first character is a letter, so an id is never all digits (never mistaken for a snowflake).
  let id = ALPHABET[random[0]! % LETTERS]!;
  for (let index = 1; index < PERSONALITY_ID_RANDOM_LENGTH; index += 1) {
    id += ALPHABET[random[index]! % ALPHABET.length]!;
  }
  return id + BigInt(ownerId).toString(36).padStart(OWNER_LENGTH, '0');
}

/** The owner's user id encoded in a personality id, or null when `id` is not one of ours. */
export function tryParsePersonalityOwner(id: string): string | null {
  const match = PERSONALITY_ID.exec(id);
  if (!match) return null;
  let owner = 0n;
  for (const character of match[1]!) owner = owner * 36n + BigInt(Number.parseInt(character, 36));
  return owner.toString();
}
