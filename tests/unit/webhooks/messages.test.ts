import { describe, expect, it } from 'vitest';
import { buildUnavailableNotice, WebhookMessages } from '../../../src/webhooks/messages.js';
import { WebhookUnavailableReason } from '../../../src/webhooks/webhook-unavailable-error.js';

describe('buildUnavailableNotice', () => {
  it.each([
    { reason: WebhookUnavailableReason.MissingPermissions, expected: WebhookMessages.missingPermissions },
    { reason: WebhookUnavailableReason.MaxWebhooks, expected: WebhookMessages.maxWebhooks },
    { reason: WebhookUnavailableReason.MissingAccess, expected: null },
    { reason: WebhookUnavailableReason.UnknownChannel, expected: null },
    { reason: WebhookUnavailableReason.Rejected, expected: null },
  ])('tells the channel about $reason only when it can fix it', ({ reason, expected }) => {
    expect(buildUnavailableNotice(reason)).toBe(expected);
  });

  it('names the permission to grant', () => {
    expect(WebhookMessages.missingPermissions).toContain('Manage Webhooks');
  });
});
