export {
  ConversationMemory,
  type ConversationMemoryOptions,
  DefaultConversationMemoryOptions,
  type FetchedSummaries,
  type MemoryHandOver,
  type SummaryEnqueueRequest,
} from './conversation-memory.js';
export { buildMemorySuffix, type MemoryScope, parseMemorySuffix } from './keys.js';
export {
  buildTurnId,
  DefaultMemoryRepositoryOptions,
  type FoldResult,
  MAX_NOTE_CHARS,
  MAX_NOTES,
  type MemoryForgetScope,
  MemoryRepository,
  type MemoryRepositoryOptions,
  type PendingTurn,
} from './memory-repository.js';
export {
  buildSummaryMessages,
  MAX_SUMMARY_CHARS,
  MAX_TURNS_PER_FOLD,
  MemorySummarizer,
  type MemorySummarizerDependencies,
  parseSummaryModel,
  resolveSummaryModel,
  SUMMARY_INSTRUCTION_PREFIX,
  type SummaryModel,
  type SummaryModelSetting,
  type SummaryOutcome,
  type SummaryRequest,
} from './summarizer.js';
