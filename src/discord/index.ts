export {
  type AttachmentKind,
  type AttachmentRef,
  AttachmentRefListSchema,
  AttachmentRefSchema,
  buildAttachmentRefs,
  type ClientAttachment,
  classifyAttachment,
  findMediaType,
  IMAGE_MEDIA_TYPES,
  parseApiAttachments,
} from './attachment-ref.js';
export { DiscordErrorCode, DiscordLimits } from './discord-limits.js';
export { type FencedBlock, type FencedBlockOptions, findFencedBlocks } from './markdown-fences.js';
export { buildSnowflake, DISCORD_EPOCH_MS, parseSnowflakeTimestamp, shardForGuild } from './snowflake.js';
