import { DiscordAPIError } from '@discordjs/rest';
import { describe, expect, it } from 'vitest';
import { type DiscordMessageReader, ReplyChainWalker } from '../../../src/context/reply-chain.js';
import type { WindowLine } from '../../../src/context/window-line.js';
import type { ChannelWindowReader } from '../../../src/context/window-reader.js';
import type { PostedMessage } from '../../../src/state/index.js';
import { createCapturedLogger } from '../../support/captured-logger.js';

const CHANNEL = '300000000000000001';
const PERSON = '200000000000000001';
const T0 = Date.UTC(2026, 5, 1, 12);

function id(n: number): string {
  return String(500_000_000_000_000_000n + BigInt(n));
}

function line(n: number, replyTo: number | null, overrides: Partial<WindowLine> = {}): WindowLine {
  return {
    id: id(n),
    at: T0 + n * 1000,
    name: `Person ${n}`,
    content: `message ${n}`,
    replyToId: replyTo === null ? null : id(replyTo),
    personalityId: null,
    userId: PERSON,
    ...overrides,
  };
}

/** A channel window in memory: what the real repository holds in Redis, for unit tests of the walker. */
class MemoryChannelWindow implements ChannelWindowReader {
  readonly lines = new Map<string, WindowLine>();
  readonly cached = new Map<string, WindowLine>();
  lookups = 0;

  constructor(lines: readonly WindowLine[] = []) {
    for (const windowLine of lines) this.lines.set(windowLine.id, windowLine);
  }

  async fetchRecent(): Promise<WindowLine[]> {
    return [...this.lines.values()];
  }

  async fetchLines(_channelId: string, messageIds: readonly string[]): Promise<Map<string, WindowLine>> {
    this.lookups += 1;
    const found = new Map<string, WindowLine>();
    for (const messageId of messageIds) {
      const hit = this.lines.get(messageId) ?? this.cached.get(messageId);
      if (hit) found.set(messageId, hit);
    }
    return found;
  }

  async cacheFetchedLines(_channelId: string, lines: readonly WindowLine[]): Promise<void> {
    for (const fetched of lines) this.cached.set(fetched.id, fetched);
  }
}

interface ApiMessageInput {
  readonly n: number;
  readonly replyTo?: number;
  readonly author?: { id: string; username: string; global_name?: string | null; bot?: boolean };
  readonly webhookId?: string;
  readonly content?: string;
}

/** Discord's REST in memory: messages by id, each answer with one level of `referenced_message`; counts GETs. */
class FakeDiscord implements DiscordMessageReader {
  readonly messages = new Map<string, Record<string, unknown>>();
  readonly routes: string[] = [];
  failure: ((route: string) => Error | null) | null = null;

  add(input: ApiMessageInput): void {
    this.messages.set(id(input.n), {
      id: id(input.n),
      channel_id: CHANNEL,
      content: input.content ?? `message ${input.n}`,
      timestamp: new Date(T0 + input.n * 1000).toISOString(),
      author: input.author ?? { id: PERSON, username: `user${input.n}`, global_name: `Person ${input.n}` },
      attachments: [],
      ...(input.webhookId === undefined ? {} : { webhook_id: input.webhookId }),
      ...(input.replyTo === undefined
        ? {}
        : { message_reference: { type: 0, message_id: id(input.replyTo), channel_id: CHANNEL } }),
    });
  }

  async get(route: `/${string}`): Promise<unknown> {
    this.routes.push(route);
    const failure = this.failure?.(route) ?? null;
    if (failure) throw failure;
    const messageId = route.split('/').at(-1) ?? '';
    const message = this.messages.get(messageId);
    if (!message) throw discordError(10008, 404);
    const reference = message['message_reference'] as { message_id: string } | undefined;
    if (reference === undefined) return message;
    return { ...message, referenced_message: this.messages.get(reference.message_id) ?? null };
  }
}

function discordError(code: number, status: number): DiscordAPIError {
  return new DiscordAPIError({ code, message: `code ${code}` }, code, status, 'GET', '/x', {});
}

function setup(windowLines: readonly WindowLine[] = [], posted: Record<string, PostedMessage> = {}) {
  const window = new MemoryChannelWindow(windowLines);
  const discord = new FakeDiscord();
  const captured = createCapturedLogger();
  const walker = new ReplyChainWalker({
    window,
    rest: discord,
    postedMessages: {
      fetchPersonalityForMessage: async (_channelId, messageId) => posted[messageId] ?? null,
    },
    logger: captured.logger,
  });
  return { window, discord, walker, logs: captured.records };
}

const idsOf = (lines: readonly WindowLine[]) => lines.map((chainLine) => chainLine.id);

describe('ReplyChainWalker', () => {
  describe('when the window holds the chain', () => {
    it('returns the replied-to message and its ancestors, oldest first, without Discord', async () => {
      const { walker, discord } = setup([line(1, null), line(2, 1), line(3, 2)]);
      const chain = await walker.walk(CHANNEL, id(3));
      expect(idsOf(chain.lines)).toEqual([id(1), id(2), id(3)]);
      expect(chain.fetched).toBe(0);
      expect(discord.routes).toEqual([]);
    });

    it('stops at five ancestors above the replied-to message', async () => {
      const lines = Array.from({ length: 10 }, (_, n) => line(n + 1, n === 0 ? null : n));
      const { walker } = setup(lines);
      const chain = await walker.walk(CHANNEL, id(10));
      expect(idsOf(chain.lines)).toEqual([5, 6, 7, 8, 9, 10].map(id));
    });

    it('looks nothing up for lines it was given', async () => {
      const { walker, window } = setup([line(1, null), line(2, 1)]);
      await walker.walk(CHANNEL, id(2), [line(1, null), line(2, 1)]);
      expect(window.lookups).toBe(0);
    });
  });

  describe('when ancestors are missing from the window', () => {
    it('fetches them from Discord, parents coming along, at most five fetches', async () => {
      const { walker, discord, window } = setup([line(20, 19)]);
      for (let n = 1; n <= 19; n += 1) discord.add(n === 1 ? { n } : { n, replyTo: n - 1 });
      // Each answer carries its parent: five GETs would cover ten messages, but the chain wants only five more.
      const chain = await walker.walk(CHANNEL, id(20));
      expect(idsOf(chain.lines)).toEqual([15, 16, 17, 18, 19, 20].map(id));
      expect(discord.routes).toEqual([
        `/channels/${CHANNEL}/messages/${id(19)}`,
        `/channels/${CHANNEL}/messages/${id(17)}`,
        `/channels/${CHANNEL}/messages/${id(15)}`,
      ]);
      expect(chain.fetched).toBe(3);
      expect([...window.cached.keys()].sort()).toEqual([14, 15, 16, 17, 18, 19].map(id));
    });

    it('never makes more than five fetches', async () => {
      const { walker, discord } = setup();
      // Messages whose parents Discord does not send along (as when it omits `referenced_message`).
      discord.get = async function (route) {
        this.routes.push(route);
        const n = Number(BigInt(route.split('/').at(-1) ?? '0') - 500_000_000_000_000_000n);
        return {
          id: id(n),
          channel_id: CHANNEL,
          content: `message ${n}`,
          timestamp: new Date(T0).toISOString(),
          author: { id: PERSON, username: 'someone' },
          message_reference: { message_id: id(n - 1) },
        };
      };
      const chain = await walker.walk(CHANNEL, id(100));
      expect(discord.routes).toHaveLength(5);
      expect(idsOf(chain.lines)).toEqual([96, 97, 98, 99, 100].map(id));
    });

    it('reuses what an earlier walk fetched', async () => {
      const { walker, discord } = setup([line(5, 4)]);
      discord.add({ n: 1 });
      discord.add({ n: 2, replyTo: 1 });
      discord.add({ n: 3, replyTo: 2 });
      discord.add({ n: 4, replyTo: 3 });
      await walker.walk(CHANNEL, id(5));
      const before = discord.routes.length;
      const again = await walker.walk(CHANNEL, id(5));
      expect(idsOf(again.lines)).toEqual([1, 2, 3, 4, 5].map(id));
      expect(discord.routes.length).toBe(before);
      expect(again.fetched).toBe(0);
    });

    it('names people by their global name, bots and webhooks by their username, and attributes them', async () => {
      const { walker, discord } = setup([line(4, 3)]);
      discord.add({ n: 1, author: { id: PERSON, username: 'sam', global_name: 'Sam' } });
      discord.add({ n: 2, replyTo: 1, author: { id: '600000000000000001', username: 'Helper', bot: true } });
      discord.add({
        n: 3,
        replyTo: 2,
        author: { id: '700000000000000001', username: 'Member (proxied)' },
        webhookId: '700000000000000001',
      });
      const chain = await walker.walk(CHANNEL, id(4));
      expect(chain.lines.slice(0, 3)).toEqual([
        expect.objectContaining({ name: 'Sam', userId: PERSON, personalityId: null }),
        expect.objectContaining({ name: 'Helper', userId: null, personalityId: null }),
        expect.objectContaining({ name: 'Member (proxied)', userId: null, personalityId: null }),
      ]);
    });

    it('knows our own personalities’ messages, and what they answered', async () => {
      const { walker, discord } = setup([line(3, 2)], {
        [id(2)]: {
          personalityId: 'alicepersona1',
          userId: PERSON,
          channelId: CHANNEL,
          sourceMessageId: id(1),
        },
      });
      discord.add({ n: 1 });
      discord.add({
        n: 2,
        author: { id: '800000000000000001', username: 'Alice' },
        webhookId: '800000000000000001',
      });
      const chain = await walker.walk(CHANNEL, id(3));
      expect(idsOf(chain.lines)).toEqual([1, 2, 3].map(id));
      expect(chain.lines[1]).toMatchObject({
        name: 'Alice',
        personalityId: 'alicepersona1',
        userId: PERSON,
        replyToId: id(1),
      });
    });
  });

  describe('when Discord cannot show a message', () => {
    it.each([
      ['deleted (10008)', 10008, 404],
      ['forbidden (50001)', 50001, 403],
    ])('ends the chain quietly when %s', async (_case, code, status) => {
      const { walker, discord, logs } = setup([line(3, 2)]);
      discord.failure = () => discordError(code, status);
      const chain = await walker.walk(CHANNEL, id(3));
      expect(idsOf(chain.lines)).toEqual([id(3)]);
      expect(discord.routes).toHaveLength(1);
      const ended = logs.find((record) => record['msg'] === 'reply chain ends at an unreadable message');
      expect(ended).toMatchObject({ level: 20 /* debug */, discordCode: code });
    });

    it('does not ask for a parent Discord reported deleted', async () => {
      const { walker, discord } = setup([line(3, 2)]);
      discord.add({ n: 2, replyTo: 1 });
      const chain = await walker.walk(CHANNEL, id(3));
      expect(idsOf(chain.lines)).toEqual([id(2), id(3)]);
      expect(discord.routes).toHaveLength(1);
    });

    it('returns nothing when the replied-to message itself is gone', async () => {
      const { walker } = setup();
      expect((await walker.walk(CHANNEL, id(9))).lines).toEqual([]);
    });

    it('ends the chain on any other failure too, with a warning', async () => {
      const { walker, discord, logs } = setup([line(3, 2)]);
      discord.failure = () => new Error('socket hang up');
      const chain = await walker.walk(CHANNEL, id(3));
      expect(idsOf(chain.lines)).toEqual([id(3)]);
      expect(logs.find((record) => record['msg'] === 'reply chain message fetch failed')).toMatchObject({
        level: 40 /* warn */,
      });
    });
  });
});
