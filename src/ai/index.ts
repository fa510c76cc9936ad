export {
  type AiCallEvent,
  AiService,
  type AiServiceOptions,
  DefaultAiServiceOptions,
  type KeyTestResult,
  type OptionalAiServiceOptions,
  type RequiredAiServiceOptions,
} from './ai-service.js';
export type { BreakerState } from './breaker-entry.js';
export { BreakerFleet, type BreakerFleetOptions } from './breaker-fleet.js';
export { buildBreakerKey, OPERATOR_KEY_FINGERPRINT } from './breaker-key.js';
export type { BreakerSnapshot, BreakerStateChange } from './breaker-registry.js';
export type { CallOutcome, ProviderCallStats } from './call-stats-window.js';
export type {
  ChatCompletionRequest,
  ChatCompletionResult,
  ChatMessage,
  UserApiKey,
} from './chat-completion.js';
export { fetchFleetStats } from './fetch-fleet-stats.js';
export {
  buildBreakerOpenKey,
  buildBreakerProbeKey,
  buildWorkerIndexKey,
  buildWorkerStatsKey,
} from './keys.js';
export { buildProviderNotice, formatRetryAfter } from './messages.js';
export {
  type KeyOwner,
  ProviderRejectedError,
  type ProviderRejectedReason,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from './provider-errors.js';
export type { ProviderFailure } from './provider-failure.js';
export {
  type AiStreamEvent,
  type AiStreamSource,
  ProviderStreamBrokenError,
  type TokenUsage,
} from './stream-events.js';
export type { FleetBreaker, FleetStats, FleetWorker, WorkerStats } from './worker-stats.js';
export {
  DefaultWorkerStatsPublisherOptions,
  type OptionalWorkerStatsPublisherOptions,
  type RequiredWorkerStatsPublisherOptions,
  WorkerStatsPublisher,
  type WorkerStatsPublisherOptions,
  type WorkerStatsSource,
} from './worker-stats-publisher.js';
