import { buildSnowflake } from '../../../src/discord/index.js';
import type { AdmissionLimits, ReplyJob } from '../../../src/queue/index.js';

/** Snowflake epoch-ms base for test messages; each call to {@link buildTestJob} takes the next snowflake. */
const BASE_MS = Date.UTC(2025, 0, 1);
let sequence = 0;

/** A valid reply job; messages get increasing snowflakes in call order. */
export function buildTestJob(overrides: Partial<ReplyJob> = {}): ReplyJob {
  sequence += 1;
  const messageId = buildSnowflake(BASE_MS + sequence, BigInt(sequence));
  return {
    kind: 'reply',
    version: 1,
    correlationId: `corr-${sequence}`,
    messageId,
    channelId: '200000000000000001',
    parentChannelId: null,
    guildId: '300000000000000001',
    authorId: '100000000000000001',
    authorName: 'Tester',
    content: 'hello',
    trigger: 'mention',
    personalityId: 'alicepersona',
    messageCreatedAt: BASE_MS + sequence,
    enqueuedAt: BASE_MS + sequence,
    ...overrides,
  };
}

/** A user id per index, all distinct. */
export function buildTestUserId(index: number): string {
  return (100_000_000_000_000_000n + BigInt(index)).toString();
}

/**
 * A channel id per index, all distinct and none the default one: jobs of one user in different channels are
 * different conversations.
 */
export function buildTestChannelId(index: number): string {
  return (210_000_000_000_000_000n + BigInt(index)).toString();
}

/** Admission limits no test's traffic reaches, with the fair queue on: for tests about something else. */
export const ROOMY_LIMITS: AdmissionLimits = {
  userMaxPending: 100,
  userRatePerMinute: 100_000,
  userBurst: 100,
  queueMaxDepth: 100_000,
  fairQueue: true,
};
