import { describe, expect, it } from 'vitest';
import {
  buildActivationKey,
  buildApiKeysKey,
  buildCancelChannel,
  buildCatalogEntriesKey,
  buildCatalogEntryNamesKey,
  buildCatalogListingKey,
  buildCatalogNamesKey,
  buildChannelLatestHumanKey,
  buildChannelLatestKey,
  buildConversationIndexKey,
  buildConversationKey,
  buildConversationKeyPrefix,
  buildConversationSuffix,
  buildDmStickyKey,
  buildPersonalitiesKey,
  buildPersonalityNamesKey,
} from '../../../src/state/keys.js';

const USER = '100000000000000001';

/** The part of a key Redis Cluster hashes: the first `{…}`. */
function hashTag(key: string): string | undefined {
  return /\{([^}]*)\}/.exec(key)?.[1];
}

describe('state keys', () => {
  it.each([
    ['personalities', buildPersonalitiesKey('chorus', USER)],
    ['personality names', buildPersonalityNamesKey('chorus', USER)],
    ['DM sticky', buildDmStickyKey('chorus', USER)],
    ['conversation', buildConversationKey('chorus', USER, '2', 'p')],
    ['conversation index', buildConversationIndexKey('chorus', USER)],
    ['API keys', buildApiKeysKey('chorus', USER)],
  ])('puts the %s key in the user’s slot under the state area', (_kind, key) => {
    expect(key.startsWith('chorus:state:')).toBe(true);
    expect(hashTag(key)).toBe(`u:${USER}`);
  });

  it('puts every catalog key in one slot', () => {
    const keys = [
      buildCatalogNamesKey('chorus'),
      buildCatalogEntriesKey('chorus'),
      buildCatalogEntryNamesKey('chorus'),
      buildCatalogListingKey('chorus'),
    ];
    expect(new Set(keys).size).toBe(4);
    expect(keys.map(hashTag)).toEqual(['catalog', 'catalog', 'catalog', 'catalog']);
  });

  it('puts a channel’s activity records in the channel’s slot (one script updates both)', () => {
    const keys = [buildChannelLatestKey('chorus', '42'), buildChannelLatestHumanKey('chorus', '42')];
    expect(new Set(keys).size).toBe(2);
    expect(keys.map(hashTag)).toEqual(['c:42', 'c:42']);
  });

  it('builds a conversation key from its prefix and suffix, as the reset script does', () => {
    expect(buildConversationKeyPrefix('chorus', USER) + buildConversationSuffix('2', 'p')).toBe(
      buildConversationKey('chorus', USER, '2', 'p'),
    );
  });

  it('names the cancel channel and per-channel keys under the prefix', () => {
    expect(buildCancelChannel('chorus')).toBe('chorus:state:cancel');
    expect(buildActivationKey('chorus', '42')).toBe('chorus:state:activation:42');
  });
});
