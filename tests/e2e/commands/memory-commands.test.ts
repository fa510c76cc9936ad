/**
 * `/memory add|show|forget` through the Discord sandbox, with `/reset` clearing summaries too. The summary is
 * written the way the worker writes it (a hand-over from the conversation append, then a fold under its claim).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_NOTE_CHARS, MemoryRepository } from '../../../src/memory/index.js';
import { ConversationRepository, type Personality } from '../../../src/state/index.js';
import { CommandHarness, isEphemeral } from './command-harness.js';

describe('/memory', () => {
  let harness: CommandHarness;
  let memory: MemoryRepository;
  let conversations: ConversationRepository;
  let member: string;
  let alice: Personality;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    const { redis, prefix } = harness;
    memory = new MemoryRepository(redis, { prefix, ttlSeconds: 3600 });
    conversations = new ConversationRepository(redis, {
      prefix,
      maxTurns: 2,
      maxChars: 24_000,
      ttlSeconds: 3600,
    });
    member = harness.addUser('member');
    alice = await harness.createPersonality({
      ownerId: member,
      name: 'Alice',
      visibility: 'public',
    });
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  /** A summary of the member's conversation with Alice in `channel`, as the summarization task writes it. */
  async function remember(channel: string, summary: string): Promise<void> {
    const suffix = `c:${channel}:${alice.id}`;
    const handOver = memory.buildHandOver(member, suffix);
    const turns = [0, 1, 2, 3].map((index) => ({
      role: index % 2 === 0 ? ('user' as const) : ('assistant' as const),
      content: `turn ${index}`,
      messageId: `150000000000000000${index}`,
      at: 1_700_000_000_000 + index,
    }));
    const result = await conversations.appendTurns(member, channel, alice.id, turns, undefined, handOver);
    expect(result.claimed).toBe(true);
    const pending = await memory.fetchPending(member, suffix);
    expect(await memory.fold(member, suffix, handOver.claimToken, summary, pending)).not.toBeNull();
  }

  const run = (channel: string, subcommand: string, options: Record<string, string> = {}) =>
    harness.run(member, channel, 'memory', options, { subcommand });

  it('shows, adds and forgets', async () => {
    const channel = harness.channel('memory');
    const empty = await run(channel, 'show');
    expect(isEphemeral(empty)).toBe(true);
    expect(empty.content).toBe('Nothing is remembered about you.');

    const added = await run(channel, 'add', { personality: 'Alice', text: '  I am vegetarian ' });
    expect(isEphemeral(added)).toBe(true);
    expect(added.content).toBe('**Alice** will keep that in mind (1 of 20 notes).');
    const tooLong = await run(channel, 'add', { personality: 'Alice', text: 'x'.repeat(MAX_NOTE_CHARS + 1) });
    expect(tooLong.content).toBe(`Note: at most 500 characters (this one has ${MAX_NOTE_CHARS + 1}).`);
    for (let index = 2; index <= 20; index += 1)
      await run(channel, 'add', { personality: 'Alice', text: `note ${index}` });
    const full = await run(channel, 'add', { personality: 'Alice', text: 'one more' });
    expect(full.content).toBe(
      '**Alice** already keeps 20 notes for you, the most it may. Forget some with /memory forget.',
    );

    await remember(channel, 'fact: likes long walks');
    const shown = await run(channel, 'show', { personality: 'Alice' });
    expect(isEphemeral(shown)).toBe(true);
    expect(shown.content).toContain('**What **Alice** remembers**');
    expect(shown.content).toContain('__Summary of your conversation here__\nfact: likes long walks');
    expect(shown.content).toContain('__Your notes__\n- I am vegetarian\n- note 2');

    const forgotten = await run(channel, 'forget', { personality: 'Alice' });
    expect(forgotten.content).toBe('Forgot 1 summary and the notes of 1 personality (**Alice**).');
    expect((await run(channel, 'show')).content).toBe('Nothing is remembered about you.');
    expect(await memory.fetchNotes(member, alice.id)).toEqual([]);
  });

  it('goes with /reset of the conversation', async () => {
    const channel = harness.channel('memory-reset');
    await remember(channel, 'fact: plays the cello');
    const reset = await harness.run(member, channel, 'reset', { personality: 'Alice' });
    expect(reset.content).toBe('Forgot 1 conversation with **Alice** in this channel.');
    expect(await memory.fetchSummary(member, `c:${channel}:${alice.id}`)).toBeNull();
    expect(await memory.fetchPending(member, `c:${channel}:${alice.id}`)).toEqual([]);
  });

  it('keeps the notes on a reset of one channel, and clears them on a reset everywhere', async () => {
    const channel = harness.channel('memory-reset-notes');
    await run(channel, 'add', { personality: 'Alice', text: 'I am left-handed' });
    await harness.run(member, channel, 'reset', { personality: 'Alice' });
    expect(await memory.fetchNotes(member, alice.id)).toEqual(['I am left-handed']);
    const everywhere = await harness.run(member, channel, 'reset', {
      personality: 'Alice',
      everywhere: true,
    });
    expect(everywhere.content).toContain('and your notes for 1 personality');
    expect(await memory.fetchNotes(member, alice.id)).toEqual([]);
  });
});
