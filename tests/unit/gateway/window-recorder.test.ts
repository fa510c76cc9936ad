import { type Message, MessageReferenceType } from 'discord.js';
import { describe, expect, it, vi } from 'vitest';
import type { LiveAppend, WindowLine } from '../../../src/context/index.js';
import {
  buildWindowContent,
  buildWindowLine,
  type OwnIdentity,
  WindowRecorder,
} from '../../../src/gateway/window-recorder.js';
import { createLogger } from '../../../src/log/index.js';

const OWN: OwnIdentity = { applicationId: '900000000000000001', botUserId: '900000000000000001' };
const GUILD = '800000000000000001';
const CHANNEL = '700000000000000001';
const AT = 1_750_000_000_000;

interface FakeMessage {
  id?: string;
  guildId?: string | null;
  channelId?: string;
  system?: boolean;
  webhookId?: string | null;
  applicationId?: string | null;
  content?: string;
  cleanContent?: string;
  author?: { id: string; bot: boolean; username: string; globalName: string | null };
  member?: { displayName: string } | null;
  attachments?: Array<{ name: string; url: string }>;
  stickers?: Array<{ name: string }>;
  reference?: { messageId?: string; channelId: string; type: MessageReferenceType } | null;
  partial?: boolean;
}

const alice = { id: '100000000000000001', bot: false, username: 'alice_99', globalName: 'Alice' };

/** The parts of a discord.js Message the recorder reads. */
function fakeMessage(overrides: FakeMessage = {}): Message {
  const { attachments = [], stickers = [], content = 'hello', ...rest } = overrides;
  return {
    id: '600000000000000001',
    guildId: GUILD,
    channelId: CHANNEL,
    system: false,
    webhookId: null,
    applicationId: null,
    content,
    cleanContent: content,
    author: alice,
    member: { displayName: 'Ali (server nick)' },
    reference: null,
    createdTimestamp: AT,
    partial: false,
    ...rest,
    attachments: new Map(attachments.map((attachment, index) => [String(index), attachment])),
    stickers: new Map(stickers.map((sticker, index) => [String(index), sticker])),
  } as unknown as Message;
}

describe('buildWindowLine', () => {
  describe('for a person', () => {
    it('names them as the server shows them and makes the line theirs', () => {
      expect(buildWindowLine(fakeMessage(), OWN)).toEqual<WindowLine>({
        id: '600000000000000001',
        at: AT,
        name: 'Ali (server nick)',
        content: 'hello',
        replyToId: null,
        personalityId: null,
        userId: alice.id,
      });
    });

    it.each<[string, FakeMessage['member'], FakeMessage['author'], string]>([
      ['no member: the global name', null, alice, 'Alice'],
      ['no global name: the username', null, { ...alice, globalName: null }, 'alice_99'],
    ])('falls back to %s', (_case, member, author, expected) => {
      expect(buildWindowLine(fakeMessage({ member, author }), OWN)?.name).toBe(expected);
    });
  });

  describe('for other bots and webhooks', () => {
    it.each<[string, FakeMessage]>([
      [
        'a bot',
        { author: { id: '500000000000000001', bot: true, username: 'MusicBot', globalName: 'Music' } },
      ],
      [
        'another application’s webhook (a proxy bot’s member)',
        {
          webhookId: '400000000000000001',
          applicationId: '466378653216014359',
          author: { id: '400000000000000001', bot: true, username: 'Sparkle 🌟', globalName: null },
        },
      ],
      [
        'a webhook of no application',
        {
          webhookId: '400000000000000002',
          author: { id: '400000000000000002', bot: true, username: 'RSS feed', globalName: null },
        },
      ],
    ])('keeps %s under its username, owned by nobody', (_case, overrides) => {
      const line = buildWindowLine(fakeMessage(overrides), OWN);
      expect(line?.name).toBe(overrides.author!.username);
      expect(line?.userId).toBeNull();
    });
  });

  describe('when the window does not keep the message', () => {
    it.each<[string, FakeMessage]>([
      ['a DM', { guildId: null }],
      ['a system message', { system: true }],
      [
        'our personality’s webhook post (the worker records it)',
        {
          webhookId: '400000000000000003',
          applicationId: OWN.applicationId,
          author: { id: '400000000000000003', bot: true, username: 'Dr Who', globalName: null },
        },
      ],
      [
        'our bot’s own notice',
        { author: { id: OWN.botUserId!, bot: true, username: 'Chorus', globalName: null } },
      ],
      ['a message with nothing to read (an embed alone)', { content: '' }],
    ])('answers null for %s', (_case, overrides) => {
      expect(buildWindowLine(fakeMessage(overrides), OWN)).toBeNull();
    });
  });

  describe('the text', () => {
    it('names attachments and stickers without their URLs', () => {
      const message = fakeMessage({
        content: 'look',
        attachments: [{ name: 'cat.png', url: 'https://cdn.discordapp.com/attachments/1/2/cat.png?ex=1' }],
        stickers: [{ name: 'wave' }],
      });
      expect(buildWindowContent(message)).toBe('look\n[attachment: cat.png]\n[sticker: wave]');
      expect(
        buildWindowLine(fakeMessage({ content: '', attachments: [{ name: 'a.txt', url: 'u' }] }), OWN)
          ?.content,
      ).toBe('[attachment: a.txt]');
    });

    it('shows mentions as the names people see', () => {
      const message = fakeMessage({ content: 'hi <@100000000000000002>', cleanContent: 'hi @Sam' });
      expect(buildWindowLine(message, OWN)?.content).toBe('hi @Sam');
    });
  });

  describe('the message it replies to', () => {
    it.each<[string, FakeMessage['reference'], string | null]>([
      [
        'a reply',
        { messageId: '600000000000000000', channelId: CHANNEL, type: MessageReferenceType.Default },
        '600000000000000000',
      ],
      [
        'a forward',
        { messageId: '600000000000000000', channelId: CHANNEL, type: MessageReferenceType.Forward },
        null,
      ],
      [
        'a crosspost from another channel',
        {
          messageId: '600000000000000000',
          channelId: '700000000000000009',
          type: MessageReferenceType.Default,
        },
        null,
      ],
      ['no reference', null, null],
    ])('is kept for %s only', (_case, reference, expected) => {
      expect(buildWindowLine(fakeMessage({ reference }), OWN)?.replyToId).toBe(expected);
    });
  });
});

describe('WindowRecorder', () => {
  const AUTHOR = alice.id;
  const logger = createLogger({ level: 'silent', service: 'test' });

  function createRecorder(live: boolean) {
    const windows = {
      appendIfLive: vi.fn(async (): Promise<LiveAppend> => ({ live, userIndex: null })),
      markLiveAndAppend: vi.fn(async () => undefined),
      recordEdit: vi.fn(async () => undefined),
      removeMessages: vi.fn(async () => undefined),
      writeUserIndex: vi.fn(async () => undefined),
    };
    return { windows, recorder: new WindowRecorder({ windows, ownIdentity: () => OWN, logger }) };
  }

  describe('when routing addressed a personality in a quiet channel', () => {
    it('opens the window with the message', async () => {
      const { windows, recorder } = createRecorder(false);
      const pending = recorder.append(fakeMessage());
      await recorder.afterRouting(pending, true);
      expect(windows.markLiveAndAppend).toHaveBeenCalledWith(CHANNEL, pending!.line);
    });
  });

  describe('when the channel is live already, or nobody was addressed', () => {
    it.each([
      [true, true],
      [true, false],
      [false, false],
    ])('writes nothing more (live %s, addressed %s)', async (live, addressed) => {
      const { windows, recorder } = createRecorder(live);
      await recorder.afterRouting(recorder.append(fakeMessage()), addressed);
      expect(windows.markLiveAndAppend).not.toHaveBeenCalled();
    });
  });

  describe('when given the message’s channel-latest record', () => {
    it('hands it to the append (one script writes both) and the line to a proxied person', async () => {
      const { windows, recorder } = createRecorder(true);
      const latest = {
        keys: ['latest', 'latest-human'] as const,
        messageId: '1',
        ttlSeconds: 60,
        human: true,
      };
      const pending = recorder.append(fakeMessage(), undefined, { latest, proxiedFor: '100000000000000009' });
      expect(pending?.line.userId).toBe('100000000000000009');
      expect(windows.appendIfLive).toHaveBeenCalledWith(CHANNEL, pending!.line, undefined, latest);
    });
  });

  describe('when the append makes the person’s index entry due', () => {
    const step = { keys: ['windows'], args: [1, 2, 3, CHANNEL], finish: async () => undefined };

    function createDueRecorder() {
      const created = createRecorder(true);
      created.windows.appendIfLive.mockResolvedValueOnce({ live: true, userIndex: step });
      return created;
    }

    it('hands it to the author’s first admission, and writes nothing more after routing', async () => {
      const { windows, recorder } = createDueRecorder();
      const pending = recorder.append(fakeMessage());
      const admit = vi.fn(async (_step?: unknown) => 'admitted');
      expect(await pending?.userIndex?.writeWith(AUTHOR, admit)).toBe('admitted');
      await pending?.userIndex?.writeWith(AUTHOR, admit);
      expect(admit.mock.calls).toEqual([[step], []]);
      await recorder.afterRouting(pending, true);
      expect(windows.writeUserIndex).not.toHaveBeenCalled();
    });

    it.each<[string, string | null, () => Promise<string>]>([
      ['nothing was admitted', null, async () => 'unused'],
      ['only another user’s admission ran', '100000000000000099', async () => 'admitted'],
      ['the author’s admission failed', AUTHOR, async () => Promise.reject(new Error('redis down'))],
    ])('writes it on its own after routing when %s', async (_case, userId, admit) => {
      const { windows, recorder } = createDueRecorder();
      const pending = recorder.append(fakeMessage());
      if (userId !== null) await pending?.userIndex?.writeWith(userId, admit).catch(() => undefined);
      await recorder.afterRouting(pending, true);
      expect(windows.writeUserIndex).toHaveBeenCalledWith(step);
    });
  });

  describe('when the message is not kept', () => {
    it('writes nothing, even when it addressed a personality', async () => {
      const { windows, recorder } = createRecorder(false);
      const pending = recorder.append(fakeMessage({ guildId: null }));
      expect(pending).toBeNull();
      await recorder.afterRouting(pending, true);
      expect(windows.appendIfLive).not.toHaveBeenCalled();
      expect(windows.markLiveAndAppend).not.toHaveBeenCalled();
    });
  });

  describe('when the append fails', () => {
    it('logs it and does not try again', async () => {
      const { windows, recorder } = createRecorder(false);
      windows.appendIfLive.mockRejectedValueOnce(new Error('redis down'));
      await recorder.afterRouting(recorder.append(fakeMessage()), true);
      expect(windows.markLiveAndAppend).not.toHaveBeenCalled();
    });
  });

  it('records edits of kept messages with their new text, not of ours or partial ones', async () => {
    const { windows, recorder } = createRecorder(true);
    await recorder.recordEdit(fakeMessage({ content: 'edited', attachments: [{ name: 'x.png', url: 'u' }] }));
    await recorder.recordEdit(fakeMessage({ partial: true }));
    await recorder.recordEdit(
      fakeMessage({ webhookId: '400000000000000003', applicationId: OWN.applicationId }),
    );
    expect(windows.recordEdit.mock.calls).toEqual([
      [CHANNEL, '600000000000000001', 'edited\n[attachment: x.png]'],
    ]);
  });

  it('removes deleted guild messages, and nothing for DMs', async () => {
    const { windows, recorder } = createRecorder(true);
    await recorder.removeMessages(GUILD, CHANNEL, ['1', '2']);
    await recorder.removeMessages(null, CHANNEL, ['3']);
    expect(windows.removeMessages.mock.calls).toEqual([[CHANNEL, ['1', '2']]]);
  });
});
