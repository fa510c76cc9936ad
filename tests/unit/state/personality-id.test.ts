import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PersonalitySchema } from '../../../src/state/personality.js';
import {
  buildPersonalityId,
  PERSONALITY_ID_RANDOM_LENGTH,
  tryParsePersonalityOwner,
} from '../../../src/state/personality-id.js';

const snowflake = fc.bigInt({ min: 1n, max: 10n ** 20n - 1n }).map(String);
const randomBytes = fc.uint8Array({
  minLength: PERSONALITY_ID_RANDOM_LENGTH,
  maxLength: PERSONALITY_ID_RANDOM_LENGTH,
});

describe('buildPersonalityId', () => {
  it('encodes the owner so tryParsePersonalityOwner recovers it', () => {
    fc.assert(
      fc.property(snowflake, randomBytes, (ownerId, random) => {
        const id = buildPersonalityId(ownerId, random);
        expect(tryParsePersonalityOwner(id)).toBe(ownerId);
      }),
    );
  });

  it('builds ids the personality schema accepts, starting with a letter', () => {
    fc.assert(
      fc.property(snowflake, randomBytes, (ownerId, random) => {
        const id = buildPersonalityId(ownerId, random);
        expect(id).toMatch(/^[a-z][a-z0-9]{20}$/);
        expect(PersonalitySchema.shape.id.safeParse(id).success).toBe(true);
      }),
    );
  });

  it('needs enough random bytes', () => {
    expect(() => buildPersonalityId('1', new Uint8Array(3))).toThrow(RangeError);
  });
});

describe('tryParsePersonalityOwner', () => {
  it.each([
    ['too short', 'abc'],
    ['a leading digit', '1aaaaaaa0000000000001'],
    ['upper case', 'Aaaaaaaa0000000000001'],
    ['one character too many', 'aaaaaaaa00000000000011'],
  ])('returns null for %s', (_case, id) => {
    expect(tryParsePersonalityOwner(id)).toBeNull();
  });
});
