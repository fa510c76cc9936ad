export { AiStub, type AiStubOptions, DefaultAiStubOptions } from './ai-stub.js';
export type { LatencyDistribution, LatencySetting } from './seeded-random.js';
export {
  type ContextLimit,
  DefaultStubBehaviour,
  type ReasoningStyle,
  type StubBehaviour,
  type StubScriptRule,
} from './stub-behaviour.js';
export { describeStubImage, readStubImage, type StubImage } from './stub-images.js';
export type { StubRequestOutcome, StubRequestRecord } from './stub-records.js';
export {
  buildLongReply,
  buildStubReply,
  type DeliveryDirectives,
  MAX_LONG_REPLY_CHARS,
  readDeliveryDirectives,
  type StubMessage,
} from './stub-reply.js';
