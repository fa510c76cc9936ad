export type { BucketExpectation } from './bucket-expectation.js';
export { type BucketDefaults, DefaultBucketDefaults } from './bucket-state.js';
export { type ChannelBudget, DiscordChannelBudget } from './channel-budget.js';
export { type ChannelBusyDetails, ChannelBusyError } from './channel-busy-error.js';
export {
  DefaultFleetRateLimiterOptions,
  FleetRateLimiter,
  type FleetRateLimiterOptionalOptions,
  type FleetRateLimiterOptions,
  type FleetRateLimiterRequiredOptions,
  type FleetRateLimiterStats,
  type GrantedSendSlot,
  type RateLimitedResponse,
  type SendSlotRequest,
} from './fleet-rate-limiter.js';
export {
  type HeaderSource,
  parseRateLimitHeaders,
  type RateLimitObservation,
  type RateLimitScope,
} from './rate-limit-headers.js';
export type { ChannelWaiter } from './rate-limit-repository.js';
