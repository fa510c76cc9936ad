export {
  appendAttachmentLines,
  buildAttachmentLabel,
  buildAttachmentLines,
  buildAttachmentNames,
  type PromptAttachment,
} from './attachment-labels.js';
export {
  ChannelWindowRepository,
  type ChannelWindowRepositoryOptions,
  DefaultChannelWindowRepositoryOptions,
  type LiveAppend,
  type RecentLinesQuery,
} from './channel-window-repository.js';
export {
  buildMemoryBlock,
  type MemoryCut,
  NOTES_HEADING,
  type PromptMemory,
  SUMMARY_CUT_MARKER,
  SUMMARY_HEADING,
} from './memory-block.js';
export {
  type AssembledPrompt,
  assemblePrompt,
  buildMessageLines,
  type CurrentMessage,
  computePromptBudget,
  estimatePromptTokens,
  findContextTokens,
  hasPromptDrops,
  type PromptDrops,
  type PromptInput,
  type PromptSettings,
} from './prompt-assembler.js';
export { type ReplyChain, ReplyChainWalker } from './reply-chain.js';
export { IMAGE_TOKENS } from './token-estimate.js';
export { type WindowLine, WindowLineSchema } from './window-line.js';
export type { ChannelWindowReader } from './window-reader.js';
