export {
  type ChainLinkClaim,
  type ChainLinkClaimInput,
  ChainLinkRepository,
  type ChainLinkRepositoryOptions,
  DefaultChainLinkRepositoryOptions,
} from './chain-link-repository.js';
export {
  applyJoinOutcomes,
  type CoalesceInput,
  type CoalesceJoin,
  type CoalesceJoined,
  type CoalescePlan,
  type CoalesceSlot,
  canOpenCoalesceSlot,
  decideCoalescing,
  type JoinOutcome,
} from './coalescing.js';
export {
  ConversationGate,
  type ConversationGateOptions,
  DefaultConversationGateOptions,
} from './conversation-gate.js';
export {
  buildAdmittedKey,
  buildBucketKey,
  buildBullJobKey,
  buildBullPrefix,
  buildPendingKey,
  buildUserQueueKeys,
  QUEUE_NAME,
  REFUSAL_REASONS,
  type RefusalReason,
} from './keys.js';
export { buildLimitNotice } from './messages.js';
export { DefaultPriorityAgingOptions, PriorityAging, type PriorityAgingOptions } from './priority-aging.js';
export { type BullErrorSource, logQueueErrors } from './queue-errors.js';
export {
  type AdmissionLimits,
  type AdmissionResult,
  DEFAULT_LEASE_MS,
  DefaultReplyAdmissionOptions,
  MAX_BULLMQ_PRIORITY,
  ReplyAdmission,
  type ReplyAdmissionOptions,
  SERVER_RATE_WINDOW_MS,
  type ServerLimits,
} from './reply-admission.js';
export {
  type CoalescedPart,
  type CoalesceFollowUp,
  type CoalesceTarget,
  DefaultReplyCoalescerOptions,
  deleteJoinedMessageIndex,
  ReplyCoalescer,
  type ReplyCoalescerOptions,
} from './reply-coalescer.js';
export { buildReplyJobId, type ReplyJob, ReplyJobSchema, type Trigger, TriggerSchema } from './reply-job.js';
export {
  createReplyQueue,
  DefaultReplyQueueOptions,
  KEPT_COMPLETED_SWEEP_MS,
  REPLY_JOB_NAME,
  type ReplyQueue,
  type ReplyQueueOptions,
  removeKeptCompletedJobs,
} from './reply-queue.js';
export { ReplyQueueShards } from './reply-queue-shards.js';
export {
  buildReplyShardPrefixes,
  findReplyShard,
  splitConcurrency,
} from './reply-shards.js';
