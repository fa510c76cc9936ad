import { describe, expect, it } from 'vitest';
import { describePersonalityChanges, type Personality } from '../../../src/state/index.js';
import { buildTestPersonality } from '../../support/personality.js';

const before: Personality = buildTestPersonality({
  id: 'abcdefgh1234',
  ownerId: '1',
  name: 'Alice',
  aliases: ['Ally'],
  visibility: 'public',
  systemPrompt: 'You are Alice.',
  avatarUrl: null,
  provider: 'default',
  model: 'small',
  temperature: null,
  createdAt: 0,
  version: 3,
});

describe('describePersonalityChanges', () => {
  describe('when only the version differs', () => {
    it('names nothing', () => {
      expect(describePersonalityChanges(before, { ...before, version: 4 })).toEqual([]);
    });
  });

  describe('when fields differ', () => {
    it('quotes short values, says a long one changed, in a fixed order', () => {
      const after = {
        ...before,
        model: 'large',
        systemPrompt: 'p'.repeat(200),
        temperature: 0.5,
        aliases: [],
        nsfw: true,
        contextMode: 'personal' as const,
        fallbackModels: [
          { provider: 'backup', model: 'small' },
          { provider: 'default', model: 'large' },
        ],
        streamReplies: false,
        editorIds: ['2'],
      };
      expect(describePersonalityChanges(before, after)).toEqual([
        'aliases: "Ally" → none',
        'prompt changed',
        'model: "small" → "large"',
        'temperature: none → "0.5"',
        'nsfw: "false" → "true"',
        'context: "room" → "personal"',
        'fallbacks: none → "backup/small, default/large"',
        'stream: "default" → "off"',
        'co-editors changed',
      ]);
    });

    it('names the stream choice as /personality edit does', () => {
      expect(describePersonalityChanges({ ...before, streamReplies: false }, before)).toEqual([
        'stream: "off" → "default"',
      ]);
      expect(describePersonalityChanges(before, { ...before, streamReplies: true })).toEqual([
        'stream: "default" → "on"',
      ]);
    });
  });
});
