/**
 * Discord's hard limits, in one place. Truncation and splitting happen only at the send edge, against these.
 * @see https://discord.com/developers/docs/resources/message#create-message
 * @see https://discord.com/developers/docs/resources/webhook#create-webhook
 */
export const DiscordLimits = {
  /** Characters in a message's `content`. */
  messageContent: 2000,
  /** Characters in a webhook (or webhook-execute override) username. */
  webhookUsername: 80,
  /** Webhooks a single channel may hold (error 30007 past it). */
  webhooksPerChannel: 15,
  /** Choices an autocomplete response may carry. */
  autocompleteChoices: 25,
  /** Characters in a string option of a slash command. */
  stringOption: 6000,
  /** Characters in an embed description. */
  embedDescription: 4096,
  /** Characters of an embed field value. */
  embedFieldValue: 1024,
  /** Milliseconds an interaction may wait before its first acknowledgement. */
  interactionAckMs: 3000,
  /** Messages `GET /channels/{id}/messages` returns at most per call. */
  messagesPerFetch: 100,
  /** Files one message may carry. */
  attachmentsPerMessage: 10,
} as const;

/** Discord JSON error codes Chorus reacts to. @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#json */
export const DiscordErrorCode = {
  UnknownChannel: 10003,
  UnknownMessage: 10008,
  UnknownWebhook: 10015,
  UnknownInteraction: 10062,
  MaxWebhooksReached: 30007,
  MissingAccess: 50001,
  MissingPermissions: 50013,
  InvalidFormBody: 50035,
  InteractionAlreadyAcknowledged: 40060,
} as const;
