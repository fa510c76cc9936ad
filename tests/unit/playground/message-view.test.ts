import { describe, expect, it } from 'vitest';
import {
  buildButtonViews,
  buildInitials,
  buildMessageView,
  isVisibleTo,
  tryParseTypingChannel,
} from '../../../playground/server/message-view.js';
import type { RequestLogEntry, TranscriptEntry } from '../../../sandbox/index.js';

const MAYA = '100000000000000001';
const SAM = '100000000000000002';
const BOT = '100000000000000009';

function entry(overrides: Partial<TranscriptEntry> = {}): TranscriptEntry {
  return {
    id: '200000000000000001',
    channelId: '300000000000000001',
    authorId: MAYA,
    authorName: 'Maya',
    avatarUrl: null,
    webhookId: null,
    content: 'hello',
    embeds: [],
    components: [],
    attachments: [],
    flags: 0,
    wouldPing: { users: [], roles: [], everyone: false },
    threadId: null,
    referencedMessageId: null,
    interactionUserId: null,
    createdAt: 1_000,
    editedAt: null,
    edits: [],
    ...overrides,
  };
}

function request(overrides: Partial<RequestLogEntry>): RequestLogEntry {
  return {
    method: 'POST',
    path: '/channels/300000000000000001/typing',
    route: 'POST /channels/:id/typing',
    status: 204,
    code: null,
    at: 5_000,
    durationMs: 1,
    ...overrides,
  };
}

describe('buildInitials', () => {
  it.each([
    ['Alice', 'A'],
    ['Dr Who', 'DW'],
    ['maya the great', 'MT'],
    ['  élodie  ', 'É'],
    ['🙂', '?'],
  ])('turns %j into %j', (name, initials) => {
    expect(buildInitials(name)).toBe(initials);
  });
});

describe('buildMessageView', () => {
  describe('when a person writes', () => {
    it('shows them without the APP tag, to everyone', () => {
      const view = buildMessageView(entry(), BOT);
      expect(view).toMatchObject({ authorName: 'Maya', initials: 'M', isApp: false, visibleTo: null });
      expect(isVisibleTo(view, SAM)).toBe(true);
    });
  });

  describe('when a personality answers through a webhook', () => {
    it('shows its webhook name and avatar with the APP tag, and counts its edits', () => {
      const view = buildMessageView(
        entry({
          authorId: '400000000000000001',
          authorName: 'Alice',
          avatarUrl: 'https://cdn.example.com/alice.png',
          webhookId: '400000000000000001',
          editedAt: 3_000,
          edits: [
            { at: 2_000, content: 'hel' },
            { at: 3_000, content: 'hello' },
          ],
        }),
        BOT,
      );
      expect(view).toMatchObject({
        authorName: 'Alice',
        avatarUrl: 'https://cdn.example.com/alice.png',
        initials: 'A',
        isApp: true,
        editCount: 2,
      });
    });
  });

  describe('when a personality answers in a DM, as the bot itself', () => {
    it('shows the APP tag on the bot user’s message', () => {
      const view = buildMessageView(
        entry({ authorId: BOT, authorName: 'Chorus', content: '**Alice:** hi' }),
        BOT,
      );
      expect(view.isApp).toBe(true);
    });
  });

  describe('when the bot answers a slash command ephemerally', () => {
    const view = buildMessageView(
      entry({ authorName: 'Chorus', webhookId: '500', flags: 64, interactionUserId: MAYA }),
      BOT,
    );

    it('shows it only to the person who ran the command', () => {
      expect(view.visibleTo).toBe(MAYA);
      expect(isVisibleTo(view, MAYA)).toBe(true);
      expect(isVisibleTo(view, SAM)).toBe(false);
    });
  });

  describe('when a command answer is public or still loading', () => {
    it('shows it to everyone, marked loading while deferred', () => {
      const view = buildMessageView(entry({ webhookId: '500', flags: 128, interactionUserId: MAYA }), BOT);
      expect(view).toMatchObject({ visibleTo: null, loading: true, interactionUserId: MAYA });
    });
  });
});

describe('buildButtonViews', () => {
  it('finds buttons in action rows and section accessories, leaving out link buttons', () => {
    const components = [
      {
        type: 1,
        components: [
          { type: 2, style: 4, custom_id: 'remove:1', label: 'Delete' },
          { type: 2, style: 2, custom_id: 'cancel:1', label: 'Cancel', disabled: true },
          { type: 2, style: 5, url: 'https://example.com', label: 'Docs' },
        ],
      },
      { type: 9, components: [], accessory: { type: 2, style: 1, custom_id: 'more', label: 'More' } },
    ];
    expect(buildButtonViews(components)).toEqual([
      { customId: 'remove:1', label: 'Delete', style: 4, disabled: false },
      { customId: 'cancel:1', label: 'Cancel', style: 2, disabled: true },
      { customId: 'more', label: 'More', style: 1, disabled: false },
    ]);
  });
});

describe('tryParseTypingChannel', () => {
  it('finds the channel of a typing request the sandbox accepted', () => {
    expect(tryParseTypingChannel(request({}))).toBe('300000000000000001');
  });

  it.each([
    ['a refused typing request', { status: 403 }],
    ['another route', { route: 'POST /channels/:id/messages', path: '/channels/3/messages' }],
    ['an unknown route', { route: null }],
  ])('ignores %s', (_, overrides: Partial<RequestLogEntry>) => {
    expect(tryParseTypingChannel(request(overrides))).toBeNull();
  });
});
