import { WebhookUnavailableReason } from './webhook-unavailable-error.js';

/**
 * Everything the webhook manager says to Discord users, in one place. Posted by the bot itself (no webhook)
 * with mentions disabled.
 */
export const WebhookMessages = {
  missingPermissions:
    "I can't post personality replies in this channel: I need the **Manage Webhooks** permission here, so each " +
    'personality can speak with its own name and avatar. Ask a server admin to grant it, then try again.',
  maxWebhooks:
    "I can't post personality replies in this channel: it already has 15 webhooks, Discord's maximum, and " +
    'none of them is mine. Ask a server admin to delete one (Edit Channel → Integrations → Webhooks), then ' +
    'try again.',
} as const;

/** The notice a channel gets, once, for a reason worth telling; `null` when the reason is not the channel's to fix. */
export function buildUnavailableNotice(reason: WebhookUnavailableReason): string | null {
  switch (reason) {
    case WebhookUnavailableReason.MissingPermissions:
      return WebhookMessages.missingPermissions;
    case WebhookUnavailableReason.MaxWebhooks:
      return WebhookMessages.maxWebhooks;
    default:
      return null;
  }
}
