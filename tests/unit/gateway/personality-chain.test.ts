import { describe, expect, it } from 'vitest';
import { decideChainLink, stripReplyQuoteLine } from '../../../src/gateway/personality-chain.js';
import type { PostedMessage } from '../../../src/state/index.js';
import { buildReplyQuote } from '../../../src/webhooks/reply-quote.js';

const GUILD = '111111111111111111';
const CHANNEL = '222222222222222222';
const ASKED = '333333333333333333';
const POSTED = '444444444444444444';
const ALICE = 'alice0000001';

describe('stripReplyQuoteLine', () => {
  describe('when the message opens with the worker’s quote line', () => {
    it.each([
      ['no excerpt', { askerName: 'Olive' }],
      ['an excerpt naming a personality', { askerName: 'Olive', excerpt: 'tell @Bob and @Dr Who hi' }],
      ['a name with markdown and a mention', { askerName: '**@Bob**', excerpt: '@everyone <@1> look' }],
      ['a long excerpt', { askerName: 'Olive', excerpt: '@Bob '.repeat(40) }],
      ['a quote in a DM', { askerName: 'Olive', excerpt: '@Bob', guildId: null }],
    ])('removes it (%s), leaving the answer', (_case, input) => {
      const quote = buildReplyQuote({ guildId: GUILD, channelId: CHANNEL, messageId: ASKED, ...input });
      expect(stripReplyQuoteLine(`${quote}@Bob what do you think?`)).toBe('@Bob what do you think?');
    });
  });

  describe('when it does not', () => {
    it.each([
      ['plain text', '@Bob what do you think?'],
      ['a quote of its own', '> **Olive** said so\n@Bob right?'],
      [
        'a quote line later in the message',
        `Hi\n> **Olive** · [jump](https://discord.com/channels/${GUILD}/${CHANNEL}/${ASKED})\n@Bob`,
      ],
      [
        'a link elsewhere',
        `> **Olive** · [jump](https://example.com/channels/${GUILD}/${CHANNEL}/${ASKED})\n@Bob`,
      ],
    ])('keeps %s as it is', (_case, text) => {
      expect(stripReplyQuoteLine(text)).toBe(text);
    });
  });
});

describe('decideChainLink', () => {
  const answerToPerson: PostedMessage = {
    personalityId: ALICE,
    userId: '100000000000000001',
    channelId: CHANNEL,
    sourceMessageId: ASKED,
  };

  describe('when the message answered a person', () => {
    it('starts the first link, rooted at the person’s message', () => {
      expect(decideChainLink(answerToPerson, POSTED, 3)).toEqual({
        kind: 'link',
        chain: { depth: 1, speakerPersonalityId: ALICE, rootMessageId: ASKED },
        sourceMessageId: ASKED,
      });
    });
  });

  describe('when the message was itself a link', () => {
    it('goes one deeper and keeps the root', () => {
      const link: PostedMessage = {
        ...answerToPerson,
        sourceMessageId: '555555555555555555',
        chain: { depth: 2, rootMessageId: ASKED },
      };
      expect(decideChainLink(link, POSTED, 3)).toEqual({
        kind: 'link',
        chain: { depth: 3, speakerPersonalityId: ALICE, rootMessageId: ASKED },
        sourceMessageId: '555555555555555555',
      });
    });
  });

  describe('when the next link would pass the depth limit', () => {
    it.each([
      [3, 3, 4],
      [1, 1, 2],
    ])('starts none (limit %i, posted at depth %i)', (limit, depth, next) => {
      const link: PostedMessage = { ...answerToPerson, chain: { depth, rootMessageId: ASKED } };
      expect(decideChainLink(link, POSTED, limit)).toEqual({ kind: 'too-deep', depth: next });
    });

    it('starts none at all when chains are off (limit 0)', () => {
      expect(decideChainLink(answerToPerson, POSTED, 0)).toEqual({ kind: 'too-deep', depth: 1 });
    });
  });

  describe('when the entry predates the answered message being recorded', () => {
    it('names the link after the personality’s message itself', () => {
      const { sourceMessageId: _omitted, ...old } = answerToPerson;
      expect(decideChainLink(old, POSTED, 3)).toMatchObject({
        sourceMessageId: POSTED,
        chain: { rootMessageId: POSTED },
      });
    });
  });

  describe('when two personalities keep naming each other', () => {
    it('stops after the depth limit', () => {
      let posted: PostedMessage = answerToPerson;
      const speakers = [ALICE, 'bob000000001'];
      let links = 0;
      for (let turn = 0; turn < 20; turn += 1) {
        const decision = decideChainLink(posted, POSTED, 3);
        if (decision.kind === 'too-deep') break;
        links += 1;
        posted = {
          ...posted,
          personalityId: speakers[turn % 2]!,
          chain: { depth: decision.chain.depth, rootMessageId: decision.chain.rootMessageId },
        };
      }
      expect(links).toBe(3);
    });
  });
});
