import { describe, expect, it } from 'vitest';
import {
  applyJoinOutcomes,
  buildCoalesceSlotValue,
  type CoalesceInput,
  type CoalesceSlot,
  canOpenCoalesceSlot,
  computeCoalesceDelayMs,
  decideCoalescing,
  parseCoalesceSlot,
} from '../../../src/queue/coalescing.js';
import type { ReplyJob, Trigger } from '../../../src/queue/reply-job.js';

const WINDOW = 1500;
const T0 = 1_735_689_600_000;

function slot(personalityId: string, overrides: Partial<CoalesceSlot> = {}): CoalesceSlot {
  return {
    personalityId,
    jobId: `reply-1-${personalityId}`,
    lastAt: T0,
    named: true,
    trigger: 'mention',
    ...overrides,
  };
}

function input(
  addressed: ReadonlyArray<[string, Trigger]>,
  slots: readonly CoalesceSlot[],
  overrides: Partial<CoalesceInput> = {},
): CoalesceInput {
  return {
    addressed: addressed.map(([personalityId, trigger]) => ({ personalityId, trigger })),
    namesSomeone: addressed.some(([, trigger]) => trigger === 'mention' || trigger === 'reply'),
    openSlots: new Map(slots.map((entry) => [entry.personalityId, entry])),
    createdAt: T0 + 500,
    windowMs: WINDOW,
    ...overrides,
  };
}

/** The plan in short: joined personality ids (with `!` when the message does not address it) and admitted ones. */
function summarize(plan: ReturnType<typeof decideCoalescing>) {
  return {
    join: plan.join.map((entry) => (entry.addressed ? entry.personalityId : `${entry.personalityId}!`)),
    admit: plan.admit.map((entry) => entry.personalityId),
  };
}

describe('decideCoalescing', () => {
  it.each<[string, CoalesceInput, { join: string[]; admit: string[] }]>([
    ['no open slot: admits', input([['alice', 'mention']], []), { join: [], admit: ['alice'] }],
    [
      'a mention of the same personality: joins',
      input([['alice', 'mention']], [slot('alice')]),
      { join: ['alice'], admit: [] },
    ],
    [
      'a reply to its message: joins',
      input([['alice', 'reply']], [slot('alice')]),
      { join: ['alice'], admit: [] },
    ],
    [
      'the channel’s activation addressing it again: joins',
      input([['alice', 'activation']], [slot('alice', { named: false, trigger: 'activation' })]),
      { join: ['alice'], admit: [] },
    ],
    [
      'the DM’s sticky personality again: joins',
      input([['alice', 'dm']], [slot('alice', { named: false, trigger: 'dm' })]),
      { join: ['alice'], admit: [] },
    ],
    [
      'naming another personality: starts its own reply',
      input([['bob', 'mention']], [slot('alice')]),
      { join: [], admit: ['bob'] },
    ],
    [
      'naming both: joins the first’s group and starts the other’s reply',
      input(
        [
          ['bob', 'mention'],
          ['alice', 'mention'],
        ],
        [slot('alice')],
      ),
      { join: ['alice'], admit: ['bob'] },
    ],
    [
      'naming no one right after a message that named the personality: follows it',
      input([], [slot('alice')]),
      { join: ['alice!'], admit: [] },
    ],
    [
      'naming no one in a channel activated for another: follows the named one, not the activation',
      input([['carol', 'activation']], [slot('alice')]),
      { join: ['alice!'], admit: [] },
    ],
    [
      'naming no one after a group nobody named, in a channel with no activation: nothing',
      input([], [slot('alice', { named: false, trigger: 'activation' })]),
      { join: [], admit: [] },
    ],
    [
      'naming no one right after a message that named two: follows both',
      input([], [slot('alice'), slot('bob')]),
      { join: ['alice!', 'bob!'], admit: [] },
    ],
    [
      'more than the window after the group’s latest message: admits',
      input([['alice', 'mention']], [slot('alice')], { createdAt: T0 + WINDOW + 1 }),
      { join: [], admit: ['alice'] },
    ],
    [
      'exactly the window after: joins',
      input([['alice', 'mention']], [slot('alice')], { createdAt: T0 + WINDOW }),
      { join: ['alice'], admit: [] },
    ],
    [
      'naming no one, more than the window after: nothing',
      input([], [slot('alice')], { createdAt: T0 + WINDOW + 1 }),
      { join: [], admit: [] },
    ],
    [
      'a refused mention (names someone, addresses nobody): does not follow',
      input([], [slot('alice')], { namesSomeone: true }),
      { join: [], admit: [] },
    ],
    [
      'coalescing off: admits',
      input([['alice', 'mention']], [slot('alice')], { windowMs: 0 }),
      { join: [], admit: ['alice'] },
    ],
  ])('%s', (_name, given, expected) => {
    expect(summarize(decideCoalescing(given))).toEqual(expected);
  });

  it('joins with the group’s job id and marks a naming follow-up as named', () => {
    const plan = decideCoalescing(input([['alice', 'reply']], [slot('alice', { jobId: 'reply-9-alice' })]));
    expect(plan.join).toEqual([
      { personalityId: 'alice', jobId: 'reply-9-alice', trigger: 'reply', addressed: true, named: true },
    ]);
  });

  it('reports a follow-up’s join with the trigger of the group it follows', () => {
    const plan = decideCoalescing(input([], [slot('alice', { trigger: 'reply' })]));
    expect(plan.join[0]).toMatchObject({ trigger: 'reply', addressed: false, named: false });
  });
});

const job: ReplyJob = {
  kind: 'reply',
  version: 1,
  correlationId: 'c',
  messageId: '400000000000000001',
  channelId: '200000000000000001',
  parentChannelId: null,
  guildId: '300000000000000001',
  authorId: '100000000000000001',
  authorName: 'Olive',
  content: 'hi',
  trigger: 'mention',
  personalityId: 'alicepersona',
  messageCreatedAt: T0,
  enqueuedAt: T0,
};

describe('canOpenCoalesceSlot', () => {
  it.each<[string, ReplyJob, boolean]>([
    ['a person’s message', job, true],
    ['a regeneration', { ...job, answersMessageId: '400000000000000000' }, false],
    [
      'a link of a personality chain',
      { ...job, chain: { depth: 1, speakerPersonalityId: 'bobpersona1', rootMessageId: job.messageId } },
      false,
    ],
    ['a proxy bot’s copy', { ...job, proxiedFromMessageId: '400000000000000000' }, false],
  ])('%s: %s', (_name, given, expected) => {
    expect(canOpenCoalesceSlot(given)).toBe(expected);
  });
});

describe('computeCoalesceDelayMs', () => {
  it.each([
    ['just written', T0, WINDOW],
    ['half the window ago', T0 + 750, 750],
    ['the window ago', T0 + WINDOW, 0],
    ['long ago', T0 + 60_000, 0],
    ['in the future (the gateway’s clock behind Discord’s)', T0 - 5000, WINDOW],
  ])('%s', (_name, now, expected) => {
    expect(computeCoalesceDelayMs(T0, WINDOW, now)).toBe(expected);
  });
});

describe('parseCoalesceSlot', () => {
  it('reads back what admission stores, for its own channel only', () => {
    const value = buildCoalesceSlotValue(job, 'reply-1-alicepersona');
    expect(parseCoalesceSlot(`${job.channelId}:alicepersona`, value, job.channelId)).toEqual({
      personalityId: 'alicepersona',
      jobId: 'reply-1-alicepersona',
      lastAt: T0,
      named: true,
      trigger: 'mention',
    });
    expect(parseCoalesceSlot(`200000000000000009:alicepersona`, value, job.channelId)).toBeNull();
  });

  it.each([
    'not json',
    '{}',
    '{"jobId":"j","lastAt":"soon","trigger":"mention"}',
    '{"jobId":"j","lastAt":1,"trigger":"x"}',
  ])('ignores %j', (value) => {
    expect(parseCoalesceSlot(`${job.channelId}:alicepersona`, value, job.channelId)).toBeNull();
  });

  it('reads an activation’s slot as not named', () => {
    const value = buildCoalesceSlotValue({ ...job, trigger: 'activation' }, 'reply-1-alicepersona');
    expect(parseCoalesceSlot(`${job.channelId}:alicepersona`, value, job.channelId)?.named).toBe(false);
  });
});

describe('applyJoinOutcomes', () => {
  const plan = decideCoalescing(
    input(
      [
        ['bob', 'mention'],
        ['alice', 'mention'],
        ['carol', 'mention'],
      ],
      [slot('alice'), slot('carol')],
    ),
  );

  it('keeps the joined groups and admits the rest in the decision’s order', () => {
    expect(applyJoinOutcomes(plan, ['joined', 'duplicate'], ['bob', 'alice', 'carol'])).toEqual({
      joined: [
        { personalityId: 'alice', trigger: 'mention', jobId: 'reply-1-alice', outcome: 'joined' },
        { personalityId: 'carol', trigger: 'mention', jobId: 'reply-1-carol', outcome: 'duplicate' },
      ],
      admit: [{ personalityId: 'bob', trigger: 'mention' }],
    });
  });

  it('admits a personality the message addresses when its group refused it, in its place', () => {
    const { joined, admit } = applyJoinOutcomes(plan, ['started', 'full'], ['bob', 'alice', 'carol']);
    expect(joined).toEqual([]);
    expect(admit.map((entry) => entry.personalityId)).toEqual(['bob', 'alice', 'carol']);
  });

  it('drops a group the message only followed when it refused it', () => {
    const followUp = decideCoalescing(input([], [slot('alice')]));
    expect(applyJoinOutcomes(followUp, ['started'], [])).toEqual({ joined: [], admit: [] });
  });
});
