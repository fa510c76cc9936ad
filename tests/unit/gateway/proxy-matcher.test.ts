import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../../src/gateway/inbound-message.js';
import { isProxiedCopyOf, normalizeProxyText, ProxyMatcher } from '../../../src/gateway/proxy-matcher.js';
import type { RoutingOutcome } from '../../../src/gateway/routing-outcome.js';

const PLURALKIT = '466378653216014359';
const CHANNEL = '200000000000000001';
const OTHER_CHANNEL = '200000000000000002';

const ADDRESSED: RoutingOutcome = {
  addressed: [
    {
      personalityId: 'alice0000001',
      trigger: 'mention',
      admission: { outcome: 'enqueued', jobId: 'j', priority: 1 },
    },
  ],
  notices: [],
  policyNotice: null,
};
const NOBODY: RoutingOutcome = { addressed: [], notices: [], policyNotice: null };

let nextId = 0;
function buildMessage(content: string, overrides: Partial<InboundMessage> = {}): InboundMessage {
  nextId += 1;
  return {
    id: String(400_000_000_000_000_000n + BigInt(nextId)),
    channelId: CHANNEL,
    parentChannelId: null,
    guildId: '300000000000000001',
    authorId: '100000000000000001',
    authorName: 'Pat',
    content,
    replyToMessageId: null,
    createdAt: 0,
    memberRoleIds: [],
    channelNsfw: false,
    ...overrides,
  };
}

function buildMatcher(clock: { now: number }, options: { maxEntries?: number } = {}) {
  return new ProxyMatcher({ applicationIds: new Set([PLURALKIT]), now: () => clock.now, ...options });
}

/** Lets the `then` of a resolved routing promise run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('normalizeProxyText', () => {
  it.each([
    ['  @Alice   hi\n\nthere ', '@Alice hi there'],
    ['\t', ''],
    ['already clean', 'already clean'],
  ])('%j → %j', (text, expected) => {
    expect(normalizeProxyText(text)).toBe(expected);
  });
});

describe('isProxiedCopyOf', () => {
  it.each([
    ['PluralKit brackets', '@Alice hi', '[@Alice hi]', true],
    ['a prefix tag', '@Alice hi', 'a: @Alice hi', true],
    ['autoproxy (no tags)', '@Alice hi', '@Alice hi', true],
    ['other text', '@Alice bye', '[@Alice hi]', false],
    ['an empty copy', '', '[@Alice hi]', false],
    ['a copy longer than the original', '@Alice hi there', '@Alice hi', false],
  ])('%s → %s', (_case, copy, original, expected) => {
    expect(isProxiedCopyOf(copy, original)).toBe(expected);
  });
});

describe('ProxyMatcher', () => {
  describe('when a proxy bot reposts a remembered message', () => {
    it('finds the original by the copy’s text, once', async () => {
      const clock = { now: 1000 };
      const matcher = buildMatcher(clock);
      const original = buildMessage('[@Alice  hello there]');
      matcher.remember(original, original.content, Promise.resolve(ADDRESSED));
      await settle();
      clock.now += 1500;
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hello there' })).toBe(original);
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hello there' })).toBeNull();
    });

    it('matches while the original is still being routed', () => {
      const matcher = buildMatcher({ now: 0 });
      const original = buildMessage('[@Alice hi]');
      matcher.remember(original, original.content, new Promise<RoutingOutcome>(() => undefined));
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hi' })).toBe(original);
    });

    it('still matches after the original was deleted (the copy may come second)', async () => {
      const matcher = buildMatcher({ now: 0 });
      const original = buildMessage('[@Alice hi]');
      matcher.remember(original, original.content, Promise.resolve(ADDRESSED));
      await settle();
      matcher.markDeleted(original.id);
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hi' })).toBe(original);
    });
  });

  describe('when two remembered messages hold the copy’s text', () => {
    it('prefers the newest', async () => {
      const matcher = buildMatcher({ now: 0 });
      const first = buildMessage('@Alice hi');
      const second = buildMessage('[@Alice hi]', { authorId: '100000000000000002' });
      matcher.remember(first, first.content, Promise.resolve(ADDRESSED));
      matcher.remember(second, second.content, Promise.resolve(ADDRESSED));
      await settle();
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hi' })).toBe(second);
    });

    it('prefers the one deleted since (the proxy bot deletes what it reposts)', async () => {
      const matcher = buildMatcher({ now: 0 });
      const proxied = buildMessage('[@Alice hi]');
      const plain = buildMessage('@Alice hi', { authorId: '100000000000000002' });
      matcher.remember(proxied, proxied.content, Promise.resolve(ADDRESSED));
      matcher.remember(plain, plain.content, Promise.resolve(ADDRESSED));
      await settle();
      matcher.markDeleted(proxied.id);
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice hi' })).toBe(proxied);
    });
  });

  describe('when nothing remembered fits', () => {
    it.each([
      ['another channel', { channelId: OTHER_CHANNEL, content: '@Alice hi' }, 0],
      ['other text', { channelId: CHANNEL, content: '@Alice bye' }, 0],
      ['a copy after the window', { channelId: CHANNEL, content: '@Alice hi' }, 5001],
      ['an empty copy (attachments only)', { channelId: CHANNEL, content: '  ' }, 0],
    ])('matches nothing: %s', async (_case, copy, laterMs) => {
      const clock = { now: 0 };
      const matcher = buildMatcher(clock);
      const original = buildMessage('[@Alice hi]');
      matcher.remember(original, original.content, Promise.resolve(ADDRESSED));
      await settle();
      clock.now += laterMs;
      expect(matcher.match(copy)).toBeNull();
    });
  });

  describe('what it keeps', () => {
    it('forgets a message whose routing addressed nobody', async () => {
      const matcher = buildMatcher({ now: 0 });
      const original = buildMessage('[just chatting]');
      matcher.remember(original, original.content, Promise.resolve(NOBODY));
      await settle();
      expect(matcher.size).toBe(0);
    });

    it('forgets a message whose routing failed', async () => {
      const matcher = buildMatcher({ now: 0 });
      const original = buildMessage('[@Alice hi]');
      matcher.remember(original, original.content, Promise.reject(new Error('redis down')));
      await settle();
      expect(matcher.size).toBe(0);
    });

    it('drops messages past the window when it remembers the next', async () => {
      const clock = { now: 0 };
      const matcher = buildMatcher(clock);
      matcher.remember(buildMessage('[@Alice a]'), '[@Alice a]', Promise.resolve(ADDRESSED));
      clock.now = 6000;
      matcher.remember(buildMessage('[@Alice b]'), '[@Alice b]', Promise.resolve(ADDRESSED));
      await settle();
      expect(matcher.size).toBe(1);
    });

    it('keeps at most maxEntries, dropping the oldest', async () => {
      const matcher = buildMatcher({ now: 0 }, { maxEntries: 3 });
      const messages = ['a', 'b', 'c', 'd'].map((word) => buildMessage(`[@Alice ${word}]`));
      for (const message of messages) matcher.remember(message, message.content, Promise.resolve(ADDRESSED));
      await settle();
      expect(matcher.size).toBe(3);
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice a' })).toBeNull();
      expect(matcher.match({ channelId: CHANNEL, content: '@Alice d' })).toBe(messages[3]);
    });

    it('remembers nothing without proxy bots, nor in DMs', () => {
      const none = new ProxyMatcher({ applicationIds: new Set() });
      none.remember(buildMessage('[@Alice hi]'), '[@Alice hi]', Promise.resolve(ADDRESSED));
      const matcher = buildMatcher({ now: 0 });
      matcher.remember(
        buildMessage('[@Alice hi]', { guildId: null }),
        '[@Alice hi]',
        Promise.resolve(ADDRESSED),
      );
      expect([none.size, matcher.size]).toEqual([0, 0]);
    });
  });

  describe('isProxyBot', () => {
    it.each([
      [PLURALKIT, true],
      ['431544605209788416', false],
      [null, false],
    ])('%s → %s', (applicationId, expected) => {
      expect(buildMatcher({ now: 0 }).isProxyBot(applicationId)).toBe(expected);
    });
  });
});
