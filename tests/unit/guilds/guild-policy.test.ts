import { describe, expect, it } from 'vitest';
import {
  checkPersonalityPolicy,
  createPolicyLookup,
  DefaultGuildSettings,
  type GuildSettings,
  type PolicyContext,
  type PolicyPersonality,
  type PolicyRefusal,
} from '../../../src/guilds/index.js';

const OWNER = '100000000000000001';
const SPEAKER = '100000000000000002';
const CHANNEL = '200000000000000001';
const OTHER_CHANNEL = '200000000000000002';
const THREAD = '200000000000000003';
const ROLE = '300000000000000001';

const alice: PolicyPersonality = { id: 'alice0000001', ownerId: OWNER, name: 'Alice', aliases: ['Mods'] };
const lewd: PolicyPersonality = { ...alice, id: 'lewd00000001', name: 'Lewd', aliases: [], nsfw: true };
const own: PolicyPersonality = { ...alice, id: 'mine00000001', ownerId: SPEAKER };

function settings(change: Partial<GuildSettings> = {}): GuildSettings {
  return { ...DefaultGuildSettings, ...change };
}

function context(change: Partial<PolicyContext> = {}): PolicyContext {
  return {
    settings: DefaultGuildSettings,
    speakerId: SPEAKER,
    channelId: CHANNEL,
    parentChannelId: null,
    channelNsfw: false,
    memberRoleIds: [],
    ...change,
  };
}

describe('checkPersonalityPolicy', () => {
  it.each<[string, PolicyPersonality, Partial<PolicyContext>, PolicyRefusal | null]>([
    ['the defaults allow everyone', alice, {}, null],
    ['a block by id', alice, { settings: settings({ blockedPersonalityIds: [alice.id] }) }, 'blocked'],
    [
      'a block by id of another',
      alice,
      { settings: settings({ blockedPersonalityIds: ['x1234567'] }) },
      null,
    ],
    ['a block by name', alice, { settings: settings({ blockedNames: ['alice'] }) }, 'blocked'],
    [
      'a block by a name that is an alias',
      alice,
      { settings: settings({ blockedNames: ['mods'] }) },
      'blocked',
    ],
    [
      'a block by name applies to the speaker’s own',
      own,
      { settings: settings({ blockedNames: ['alice'] }) },
      'blocked',
    ],
    [
      'allowlist mode, unlisted',
      alice,
      { settings: settings({ personalityMode: 'allowlist' }) },
      'not-allowed',
    ],
    [
      'allowlist mode, the speaker’s own unlisted',
      own,
      { settings: settings({ personalityMode: 'allowlist' }) },
      'not-allowed',
    ],
    [
      'allowlist mode, listed',
      alice,
      { settings: settings({ personalityMode: 'allowlist', allowedPersonalityIds: [alice.id] }) },
      null,
    ],
    [
      'a block wins over the allowlist',
      alice,
      {
        settings: settings({
          personalityMode: 'allowlist',
          allowedPersonalityIds: [alice.id],
          blockedPersonalityIds: [alice.id],
        }),
      },
      'blocked',
    ],
    [
      'only listed channels, listed',
      alice,
      { settings: settings({ channelMode: 'only', channelIds: [CHANNEL] }) },
      null,
    ],
    [
      'only listed channels, unlisted',
      alice,
      { settings: settings({ channelMode: 'only', channelIds: [OTHER_CHANNEL] }) },
      'channel',
    ],
    [
      'only listed channels, a thread of a listed one',
      alice,
      {
        settings: settings({ channelMode: 'only', channelIds: [CHANNEL] }),
        channelId: THREAD,
        parentChannelId: CHANNEL,
      },
      null,
    ],
    [
      'only listed channels, a thread listed itself but not its parent',
      alice,
      {
        settings: settings({ channelMode: 'only', channelIds: [THREAD] }),
        channelId: THREAD,
        parentChannelId: OTHER_CHANNEL,
      },
      'channel',
    ],
    [
      'all but listed channels, listed',
      alice,
      { settings: settings({ channelMode: 'except', channelIds: [CHANNEL] }) },
      'channel',
    ],
    [
      'all but listed channels, a thread of a listed one',
      alice,
      {
        settings: settings({ channelMode: 'except', channelIds: [CHANNEL] }),
        channelId: THREAD,
        parentChannelId: CHANNEL,
      },
      'channel',
    ],
    [
      'all but listed channels, unlisted',
      alice,
      { settings: settings({ channelMode: 'except', channelIds: [OTHER_CHANNEL] }) },
      null,
    ],
    ['a required role the speaker lacks', alice, { settings: settings({ requiredRoleId: ROLE }) }, 'role'],
    [
      'a required role the speaker has',
      alice,
      { settings: settings({ requiredRoleId: ROLE }), memberRoleIds: [ROLE] },
      null,
    ],
    [
      'a required role applies to the speaker’s own',
      own,
      { settings: settings({ requiredRoleId: ROLE }) },
      'role',
    ],
    [
      'NSFW in an ordinary channel of a server allowing it',
      lewd,
      { settings: settings({ allowNsfw: true }) },
      'nsfw',
    ],
    [
      'NSFW in an age-restricted channel of a server allowing it',
      lewd,
      { settings: settings({ allowNsfw: true }), channelNsfw: true },
      null,
    ],
    ['NSFW in an age-restricted channel of a server not allowing it', lewd, { channelNsfw: true }, 'nsfw'],
    ['NSFW to its owner in a server channel', { ...lewd, ownerId: SPEAKER }, { channelNsfw: false }, 'nsfw'],
    ['an ordinary personality in an age-restricted channel', alice, { channelNsfw: true }, null],
    ['NSFW in a DM with someone else', lewd, { settings: null }, 'nsfw'],
    ['NSFW in a DM with its owner', { ...lewd, ownerId: SPEAKER }, { settings: null }, null],
    ['an ordinary personality in a DM', alice, { settings: null }, null],
  ])('%s', (_, personality, change, expected) => {
    const verdict = checkPersonalityPolicy(personality, context(change));
    expect(verdict).toEqual(expected === null ? { allowed: true } : { allowed: false, reason: expected });
  });
});

describe('createPolicyLookup', () => {
  const byId = new Map([
    [alice.id, { ...alice, visibility: 'public' as const }],
    ['secret000001', { ...alice, id: 'secret000001', visibility: 'private' as const }],
    [own.id, { ...own, visibility: 'private' as const }],
  ]);
  const lookup = createPolicyLookup(byId, context({ settings: settings({ blockedNames: ['alice'] }) }));

  it.each<[string, string, ReturnType<typeof lookup>]>([
    ['an unknown personality', 'unknown00001', undefined],
    ['a private personality of someone else', 'secret000001', undefined],
    ['a public personality the server refuses', alice.id, { allowed: false, reason: 'blocked' }],
    [
      'the speaker’s own private personality the server refuses',
      own.id,
      { allowed: false, reason: 'blocked' },
    ],
  ])('answers %s', (_, id, expected) => {
    expect(lookup(id)).toEqual(expected);
  });
});
