export type { RecentMessage } from './discord-webhook-client.js';
export {
  cutFirstMessage,
  DefaultSplitMessageOptions,
  type FirstMessageCut,
  type SplitMessageOptions,
  splitMessage,
} from './message-splitter.js';
export { WebhookMessages } from './messages.js';
export {
  buildDmPrefixedContent,
  escapeDisplayName,
  FALLBACK_PERSONA_USERNAME,
  sanitizePersonaUsername,
} from './persona-username.js';
export {
  type BucketDefaults,
  type ChannelBudget,
  type ChannelBusyDetails,
  ChannelBusyError,
  type ChannelWaiter,
  DefaultBucketDefaults,
  DefaultFleetRateLimiterOptions,
  DiscordChannelBudget,
  FleetRateLimiter,
  type FleetRateLimiterOptionalOptions,
  type FleetRateLimiterOptions,
  type FleetRateLimiterRequiredOptions,
  type FleetRateLimiterStats,
  type GrantedSendSlot,
  type RateLimitedResponse,
  type RateLimitObservation,
  type RateLimitScope,
  type SendSlotRequest,
} from './rate-limiter/index.js';
export type { PersonaMessage, PostedMessage, PostTarget, ReplyPoster } from './reply-poster.js';
export {
  buildReplyQuote,
  needsReplyQuote,
  REPLY_QUOTE_EXCERPT_LENGTH,
  type ReplyQuoteInput,
  stripReplyQuote,
} from './reply-quote.js';
export type { WebhookCacheStats } from './webhook-cache-service.js';
export { type RecentMessagesQuery, WebhookManager, type WebhookManagerStats } from './webhook-manager.js';
export {
  DefaultWebhookManagerOptions,
  type WebhookManagerOptionalOptions,
  type WebhookManagerOptions,
  type WebhookManagerRequiredOptions,
} from './webhook-manager-options.js';
export { WebhookUnavailableError, WebhookUnavailableReason } from './webhook-unavailable-error.js';
