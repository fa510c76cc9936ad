export { AiService, type KeyTestResult } from './ai-service.js';
export {
  type AiCallEvent,
  type AiServiceOptions,
  type CompleteOptions,
  DefaultAiServiceOptions,
  type FallbackAnswerEvent,
  type OptionalAiServiceOptions,
  type RequiredAiServiceOptions,
} from './ai-service-options.js';
export {
  type AttachmentDownloadRefusal,
  AttachmentFetcher,
  type AttachmentFetcherOptions,
  AttachmentLimits,
  buildImageDataUrl,
  DefaultAttachmentFetcherOptions,
  type FetchedImage,
  type FetchedText,
  type RefusedDownload,
  sniffImageType,
} from './attachment-fetcher.js';
export {
  type AttachmentAction,
  type AttachmentLeftOutReason,
  type AttachmentSelectionInput,
  type SelectedAttachment,
  selectAttachments,
} from './attachment-selection.js';
export type { BreakerState } from './breaker-entry.js';
export { BreakerFleet, type BreakerFleetOptions } from './breaker-fleet.js';
export { buildBreakerKey, OPERATOR_KEY_FINGERPRINT } from './breaker-key.js';
export type { BreakerSnapshot, BreakerStateChange } from './breaker-registry.js';
export type { CallOutcome, ProviderCallStats } from './call-stats-window.js';
export type {
  AiStreamEvent,
  AnsweredBy,
  ChatCompletionRequest,
  ChatCompletionResult,
  ChatMessage,
  ContentPart,
  FallbackCompletionRequest,
  FallbackCompletionResult,
  ModelChoice,
  TokenUsage,
  UserApiKey,
  UserKeySource,
} from './chat-completion.js';
export { dropImageParts } from './content-parts.js';
export { fetchFleetStats } from './fetch-fleet-stats.js';
export {
  buildBreakerOpenKey,
  buildBreakerProbeKey,
  buildWorkerIndexKey,
  buildWorkerStatsKey,
} from './keys.js';
export { buildProviderNotice, formatRetryAfter } from './messages.js';
export {
  buildAllDownError,
  type ChainFallThrough,
  type ChainModel,
  decideAfterFailure,
  planModelChain,
  runModelChain,
} from './model-fallback.js';
export {
  type KeyOwner,
  ProviderRejectedError,
  type ProviderRejectedReason,
  type ProviderStreamBrokenDetails,
  ProviderStreamBrokenError,
  ProviderUnavailableError,
  type ProviderUnavailableReason,
} from './provider-errors.js';
export type { ProviderFailure } from './provider-failure.js';
export type { FleetBreaker, FleetStats, FleetWorker, WorkerStats } from './worker-stats.js';
export {
  DefaultWorkerStatsPublisherOptions,
  type OptionalWorkerStatsPublisherOptions,
  type RequiredWorkerStatsPublisherOptions,
  WorkerStatsPublisher,
  type WorkerStatsPublisherOptions,
  type WorkerStatsSource,
} from './worker-stats-publisher.js';
