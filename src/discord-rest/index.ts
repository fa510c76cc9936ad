export {
  BotRateLimiter,
  type BotRateLimiterOptions,
  DefaultBotRateLimiterOptions,
} from './bot-rate-limiter.js';
export { type BotRequestKind, classifyBotRequest } from './bot-request-kind.js';
export { type BotRestOptions, createBotRest } from './bot-rest.js';
export {
  createFleetLimitedMakeRequest,
  type FleetLimitedRequestOptions,
  type MakeRequest,
  TypingSkippedError,
} from './fleet-limited-request.js';
