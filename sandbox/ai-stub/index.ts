export {
  AiStub,
  type AiStubOptions,
  DefaultAiStubOptions,
  type StubRequestOutcome,
  type StubRequestRecord,
} from './ai-stub.js';
export type { LatencyDistribution, LatencySetting } from './seeded-random.js';
export {
  type ContextLimit,
  DefaultStubBehaviour,
  type StubBehaviour,
  type StubScriptRule,
} from './stub-behaviour.js';
export { describeStubImage, readStubImage, type StubImage } from './stub-images.js';
export { buildLongReply, buildStubReply, MAX_LONG_REPLY_CHARS, type StubMessage } from './stub-reply.js';
