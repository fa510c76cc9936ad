import { describe, expect, it } from 'vitest';
import { ChorusError, ChorusErrorCode, UserFacingError } from '../../../src/errors/index.js';
import { fromScriptCode, StateScriptCode } from '../../../src/state/state-scripts.js';

describe('fromScriptCode', () => {
  it('turns a taken name into a user-facing conflict naming it as the user wrote it', () => {
    const error = fromScriptCode(StateScriptCode.NameTaken, 'alice', { displayName: () => 'ALICE' });
    expect(error).toBeInstanceOf(UserFacingError);
    expect(error.code).toBe(ChorusErrorCode.Conflict);
    expect(error.message).toContain('"ALICE"');
  });

  it('turns a full owner into a user-facing conflict naming the cap', () => {
    const error = fromScriptCode(StateScriptCode.OwnerFull, undefined, { maxPerOwner: 50, userId: 'u' });
    expect(error).toBeInstanceOf(UserFacingError);
    expect(error.code).toBe(ChorusErrorCode.Conflict);
    expect(error.message).toBe(
      'You already own 50 personalities, the most one person can have. Delete one with /personality remove to make room.',
    );
  });

  it.each([
    [StateScriptCode.NotFound, ChorusErrorCode.NotFound, true],
    [StateScriptCode.IdTaken, ChorusErrorCode.Internal, false],
    [StateScriptCode.Changed, ChorusErrorCode.Conflict, false],
    [-99, ChorusErrorCode.Internal, false],
  ])('maps code %i to %s', (code, expected, userFacing) => {
    const error = fromScriptCode(code, undefined, { personalityId: 'p' });
    expect(error).toBeInstanceOf(ChorusError);
    expect(error.code).toBe(expected);
    expect(error instanceof UserFacingError).toBe(userFacing);
    expect(error.context.personalityId).toBe('p');
  });
});
