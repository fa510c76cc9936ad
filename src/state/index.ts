export {
  type Activation,
  ActivationRepository,
  type ActivationRepositoryOptions,
} from './activation-repository.js';
export { buildApiKeyAad, buildApiKeyFingerprint } from './api-key-record.js';
export {
  ApiKeyRepository,
  type ApiKeyRepositoryOptions,
  type ApiKeyring,
  type ApiKeySummary,
} from './api-key-repository.js';
export {
  ChannelActivityRepository,
  type ChannelActivityRepositoryOptions,
  type ChannelLatestRecord,
} from './channel-activity-repository.js';
export {
  type AppendGuard,
  type AppendResult,
  type ConversationRef,
  ConversationRepository,
  type ConversationRepositoryOptions,
  type ConversationTurn,
  ConversationTurnSchema,
  DefaultConversationRepositoryOptions,
  type TurnHandOver,
} from './conversation-repository.js';
export { DmStickyRepository, type DmStickyRepositoryOptions } from './dm-sticky-repository.js';
export {
  DefaultGreetingRepositoryOptions,
  GreetingRepository,
  type GreetingRepositoryOptions,
} from './greeting-repository.js';
export { buildCancelChannel, buildRoutingChangesChannel } from './keys.js';
export {
  DefaultMessageEventRepositoryOptions,
  MessageEventRepository,
  type MessageEventRepositoryOptions,
} from './message-event-repository.js';
export {
  DefaultMessageIndexRepositoryOptions,
  type HashFieldWrite,
  MessageIndexRepository,
  type MessageIndexRepositoryOptions,
  type PostedChain,
  type PostedMessage,
} from './message-index-repository.js';
export { StateMessages } from './messages.js';
export {
  type ContextMode,
  ContextModeSchema,
  isPersonalityEditableBy,
  isPersonalityUsableBy,
  listPersonalityNameKeys,
  MAX_FALLBACK_MODELS,
  MAX_PERSONALITY_EDITORS,
  type MemoryScope,
  MemoryScopeSchema,
  type ModelRef,
  ModelRefSchema,
  normalizePersonalityName,
  type Personality,
  type PersonalityDraft,
  PersonalitySchema,
  type Visibility,
  VisibilitySchema,
} from './personality.js';
export {
  DefaultPersonalityCacheOptions,
  PersonalityCache,
  type PersonalityCacheOptions,
} from './personality-cache.js';
export { describePersonalityChanges } from './personality-changes.js';
export { buildPersonalityId, tryParsePersonalityOwner } from './personality-id.js';
export { pickNamedPersonality } from './personality-names.js';
export type { PersonalityEditOptions, PersonalityPatch } from './personality-patch.js';
export {
  DefaultPersonalityRepositoryOptions,
  PersonalityRepository,
  type PersonalityRepositoryOptions,
} from './personality-repository.js';
export {
  findNoticedPersonalityId,
  listenToRoutingChanges,
  publishRoutingChange,
  type RoutingChange,
  type RoutingChangeListener,
} from './routing-changes.js';
export { type ErasedUserData, UserDataEraser, type UserDataEraserOptions } from './user-data-eraser.js';
