import { describe, expect, it } from 'vitest';
import { createSeededRandom, sampleLatencyMs } from '../../../sandbox/ai-stub/seeded-random.js';
import {
  DefaultStubBehaviour,
  decideStubOutcome,
  type StubBehaviour,
} from '../../../sandbox/ai-stub/stub-behaviour.js';
import {
  buildLongReply,
  buildStubReply,
  MAX_LONG_REPLY_CHARS,
  MAX_WAIT_MS,
  readDeliveryDirectives,
  readWaitDirective,
} from '../../../sandbox/ai-stub/stub-reply.js';

describe('buildStubReply', () => {
  it.each([
    [
      'a plain conversation',
      [
        { role: 'system', content: 'You are Alice, a cheerful pirate who loves maps.' },
        { role: 'user', content: 'Bob: hello' },
        { role: 'assistant', content: 'Ahoy!' },
        { role: 'user', content: 'Bob: where is the treasure?' },
      ],
      '[stub:stub-small] system="You are Alice, a cheerful" turns=4 last="Bob: where is the treasure?"',
    ],
    ['no system prompt', [{ role: 'user', content: 'hi' }], '[stub:stub-small] system="" turns=1 last="hi"'],
    ['!say', [{ role: 'user', content: 'Bob: !say exactly this, please' }], 'exactly this, please'],
    [
      '!say at the start, multi-line',
      [{ role: 'user', content: '!say line one\nline two' }],
      'line one\nline two',
    ],
    [
      "the last !say of a room turn (the channel's earlier lines, then the message answered)",
      [{ role: 'user', content: 'Ann: !say first\nBob: hi\nCid: !say last, please' }],
      'last, please',
    ],
  ])('answers %s', (_name, messages, expected) => {
    expect(buildStubReply('stub-small', messages)).toBe(expected);
  });

  it('truncates the echoed last message to 200 characters', () => {
    const reply = buildStubReply('m', [{ role: 'user', content: 'x'.repeat(500) }]);
    expect(reply).toBe(`[stub:m] system="" turns=1 last="${'x'.repeat(200)}"`);
  });

  it('does not take "!sayer" for a directive', () => {
    expect(buildStubReply('m', [{ role: 'user', content: 'hello!say nothing' }])).toContain('turns=1');
  });
});

describe('buildLongReply', () => {
  it.each([500, 2_000, 8_000])(
    'is about %i characters, with paragraphs and a ts block in the middle',
    (target) => {
      const reply = buildLongReply(target);
      expect(reply.length).toBeGreaterThan(target * 0.9);
      expect(reply.length).toBeLessThanOrEqual(target);
      const fence = reply.indexOf('```ts\n');
      expect(fence).toBeGreaterThan(reply.length * 0.2);
      expect(fence).toBeLessThan(reply.length * 0.8);
      expect(reply.indexOf('\n```', fence + 6)).toBeGreaterThan(fence);
      expect(reply.split('\n\n').length).toBeGreaterThanOrEqual(3);
      expect(reply).toMatch(/^[A-Z][^.]*\./);
    },
  );

  it('is deterministic', () => {
    expect(buildLongReply(3_000)).toBe(buildLongReply(3_000));
  });

  it('is what !long answers', () => {
    expect(buildStubReply('m', [{ role: 'user', content: 'Bob: !long 1200' }])).toBe(buildLongReply(1_200));
  });

  it('caps huge requests', () => {
    expect(buildLongReply(10_000_000).length).toBeLessThanOrEqual(MAX_LONG_REPLY_CHARS);
  });
});

describe('createSeededRandom', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, createSeededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    for (const value of draw(42)) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
    }
  });
});

describe('sampleLatencyMs', () => {
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const sample = (setting: Parameters<typeof sampleLatencyMs>[0]) => {
    const random = createSeededRandom(1);
    return Array.from({ length: 2_000 }, () => sampleLatencyMs(setting, random));
  };

  it.each([
    ['fixed', 120, 120],
    ['uniform', { kind: 'uniform', minMs: 100, maxMs: 300 } as const, 200],
    ['normal', { kind: 'normal', meanMs: 500, stdDevMs: 50 } as const, 500],
    ['exponential', { kind: 'exponential', meanMs: 200 } as const, 200],
  ])('%s draws around its mean', (_name, setting, expectedMean) => {
    expect(Math.abs(mean(sample(setting)) - expectedMean)).toBeLessThan(expectedMean * 0.1);
  });

  it('never draws a negative latency', () => {
    expect(Math.min(...sample({ kind: 'normal', meanMs: 10, stdDevMs: 100 }))).toBeGreaterThanOrEqual(0);
  });
});

describe('decideStubOutcome', () => {
  const size = { messageCount: 5, charCount: 400 };
  const behaviour = (overrides: Partial<StubBehaviour>): StubBehaviour => ({
    ...DefaultStubBehaviour,
    ...overrides,
  });
  const never = () => {
    throw new Error('no randomness expected');
  };

  it.each([
    ['the defaults', {}, { kind: 'answer', latencyMs: 0 }],
    ['a rejected key (before anything else)', { rejectKey: true, hangRate: 1 }, { kind: 'unauthorized' }],
    ['a hang', { hangRate: 1, errorRate: 1 }, { kind: 'hang' }],
    [
      'an error with latency',
      { errorRate: 1, errorStatus: 429, latency: 30 },
      { kind: 'error', status: 429, latencyMs: 30 },
    ],
    ['context limit always', { contextLimit: 'always' }, { kind: 'context-length', latencyMs: 0 }],
    ['too many messages', { contextLimit: { maxMessages: 4 } }, { kind: 'context-length', latencyMs: 0 }],
    ['enough room for the messages', { contextLimit: { maxMessages: 5 } }, { kind: 'answer', latencyMs: 0 }],
    ['too many characters', { contextLimit: { maxChars: 399 } }, { kind: 'context-length', latencyMs: 0 }],
  ] as const)('decides %s without drawing', (_name, overrides, expected) => {
    expect(decideStubOutcome(behaviour(overrides), size, never)).toEqual(expected);
  });

  it('applies fractional rates with the seeded draws', () => {
    const random = createSeededRandom(3);
    const kinds = Array.from(
      { length: 1_000 },
      () => decideStubOutcome(behaviour({ errorRate: 0.3 }), size, random).kind,
    );
    const errors = kinds.filter((kind) => kind === 'error').length;
    expect(errors).toBeGreaterThan(240);
    expect(errors).toBeLessThan(360);
  });
});

describe('readWaitDirective', () => {
  it.each([
    ['no directive', 'Bob: hello', 0],
    ['a wait before !say', 'Bob: !wait 1500 !say first', 1500],
    ['a wait inside the !say text (said, not obeyed)', 'Bob: !say !wait 1500', 0],
    ['a wait past the cap', '!wait 99999999', MAX_WAIT_MS],
  ])('%s → %i ms', (_case, content, expected) => {
    expect(readWaitDirective([{ role: 'user', content }])).toBe(expected);
  });

  it('leaves the directive out of the !say answer', () => {
    expect(buildStubReply('m', [{ role: 'user', content: 'Bob: !wait 10 !say first' }])).toBe('first');
  });
});

describe('a scripted answer', () => {
  const script = [
    { systemIncludes: 'You are Alice', reply: '@Bob over to you' },
    { systemIncludes: 'You are', reply: 'anyone else' },
  ];

  it('answers the first rule matching the system prompt', () => {
    const messages = [
      { role: 'system', content: 'You are Alice the librarian.' },
      { role: 'user', content: 'Olive: hi' },
    ];
    expect(buildStubReply('m', messages, script)).toBe('@Bob over to you');
    expect(buildStubReply('m', [{ ...messages[0]!, content: 'You are Bob.' }, messages[1]!], script)).toBe(
      'anyone else',
    );
  });

  it('gives way to a directive, and to the echo when no rule matches', () => {
    const system = { role: 'system', content: 'You are Alice.' };
    expect(buildStubReply('m', [system, { role: 'user', content: 'Olive: !say this' }], script)).toBe('this');
    expect(
      buildStubReply(
        'm',
        [
          { role: 'system', content: 'Bot.' },
          { role: 'user', content: 'hi' },
        ],
        script,
      ),
    ).toContain('[stub:m]');
  });
});

describe('readDeliveryDirectives', () => {
  const user = (content: string) => [{ role: 'user', content }];
  const none = {
    think: null,
    thinkOnly: false,
    breakAfterChars: null,
    streamErrorAfterChars: null,
    noFinish: false,
    noDone: false,
  };

  it.each([
    ['no directive', 'hello', none],
    ['!think up to the next directive', '!think deep thoughts !say Hi', { ...none, think: 'deep thoughts' }],
    ['!think to the end', 'well !think deep thoughts', { ...none, think: 'deep thoughts' }],
    ['!think-only', '!think-only just this', { ...none, think: 'just this', thinkOnly: true }],
    ['!break', '!break 40 !say Hi', { ...none, breakAfterChars: 40 }],
    ['!stream-error', '!stream-error !say Hi', { ...none, streamErrorAfterChars: 0 }],
    ['!stream-error with chars', '!stream-error 12 !say Hi', { ...none, streamErrorAfterChars: 12 }],
    ['!no-finish and !no-done', '!no-finish !no-done', { ...none, noFinish: true, noDone: true }],
    ['directives inside !say text', '!say please !break 3 and !think', none],
  ])('reads %s', (_name, content, expected) => {
    expect(readDeliveryDirectives(user(content))).toEqual(expected);
  });
});
