import { DiscordErrors } from './discord-errors.js';
import { validateWebhookName } from './discord-rules.js';
import {
  type ChannelRecord,
  generateSecretToken,
  type SandboxStore,
  type WebhookRecord,
} from './sandbox-store.js';

/** Discord's cap on webhooks in one channel. */
const MAX_WEBHOOKS_PER_CHANNEL = 15;

/** What a new webhook is made from. */
export interface WebhookDraft {
  readonly channel: ChannelRecord;
  /** As given (validated with Discord's name rules, then trimmed). */
  readonly name: unknown;
  readonly avatar: string | null;
  readonly creatorId: string;
  readonly applicationId: string | null;
}

/**
 * Creates a channel webhook as Discord does: its name rules and the 15-per-channel cap, as Discord's errors. The
 * caller dispatches WEBHOOKS_UPDATE.
 */
export function createWebhook(store: SandboxStore, draft: WebhookDraft): WebhookRecord {
  const invalid = validateWebhookName(draft.name);
  if (invalid) throw invalid;
  const { channel } = draft;
  const existing = [...store.webhooks.values()].filter((webhook) => webhook.channelId === channel.id);
  if (existing.length >= MAX_WEBHOOKS_PER_CHANNEL) throw DiscordErrors.maxWebhooks();
  const webhook: WebhookRecord = {
    id: store.nextId(),
    token: generateSecretToken(),
    channelId: channel.id,
    guildId: channel.guildId ?? '',
    name: String(draft.name).trim(),
    avatar: draft.avatar,
    creatorId: draft.creatorId,
    applicationId: draft.applicationId,
  };
  store.webhooks.set(webhook.id, webhook);
  return webhook;
}
