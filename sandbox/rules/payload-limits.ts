/** Discord's numeric limits enforced by the sandbox's payload rules (see `discord-rules.ts`). */
export const DiscordPayloadLimits = {
  content: 2000,
  embeds: 10,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  embedFieldName: 256,
  embedFieldValue: 1024,
  embedFooterText: 2048,
  embedAuthorName: 256,
  /** Characters summed over titles, descriptions, field names/values, footer texts and author names of all embeds. */
  embedTotal: 6000,
  actionRows: 5,
  actionRowComponents: 5,
  customId: 100,
  buttonLabel: 80,
  webhookNameMin: 1,
  webhookNameMax: 80,
  allowedMentionIds: 100,
  bulkDeleteMin: 2,
  bulkDeleteMax: 100,
  /** Bulk delete refuses messages older than this (ms), judged by their id's timestamp. */
  bulkDeleteMaxAgeMs: 14 * 24 * 3600 * 1000,
} as const;
