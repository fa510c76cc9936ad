/**
 * Discord's validation rules for message and webhook payloads, as pure functions. The sandbox runs them before
 * accepting a request so that anything real Discord would refuse is refused here too, with the same body.
 *
 * This file holds the entry points; `rules/` holds the checks by topic (fields, embeds, components,
 * mentions, bulk delete) and the limits. The limits live in the sandbox rather than in `src/discord` on
 * purpose: the sandbox is the oracle the bot is tested against, so it must not move when the bot's own copy
 * of the numbers does.
 * @see https://discord.com/developers/docs/resources/message#create-message
 * @see https://discord.com/developers/docs/resources/webhook#execute-webhook
 */
import {
  DiscordErrors,
  DiscordFieldErrors,
  type DiscordFieldPath,
  type DiscordHttpError,
} from './discord-errors.js';
import { checkComponents } from './rules/component-rules.js';
import { checkEmbeds } from './rules/embed-rules.js';
import {
  checkOptionalString,
  checkOptionalUrl,
  codePointLength,
  FieldErrorCollector,
  isObject,
} from './rules/field-checks.js';
import { checkAllowedMentions } from './rules/mention-rules.js';
import { DiscordPayloadLimits } from './rules/payload-limits.js';

export { validateBulkDelete } from './rules/bulk-delete-rules.js';
export { computeWouldPing, type WouldPing, type WouldPingContext } from './rules/mention-rules.js';
export { DiscordPayloadLimits } from './rules/payload-limits.js';

/** Words Discord refuses anywhere in a webhook name or username override, compared case-insensitively. */
const forbiddenNameWords = ['clyde', 'discord'] as const;

/** Where a message payload comes from; webhook executes accept `username`/`avatar_url` overrides. */
export interface MessagePayloadContext {
  readonly isWebhook: boolean;
  /**
   * An edit (PATCH): absent fields keep their stored value, so the empty-message rule (50006) is left to the
   * caller, which must apply it to the merged message.
   */
  readonly isEdit?: boolean;
}

/**
 * Validates a webhook name (create/modify webhook) or a username override (execute webhook): 1–80 code points
 * after trimming, and none of Discord's reserved words in any case.
 * @see https://discord.com/developers/docs/resources/webhook#create-webhook
 */
function checkWebhookName(errors: FieldErrorCollector, path: DiscordFieldPath, value: unknown): void {
  if (typeof value !== 'string') {
    errors.add(path, DiscordFieldErrors.notString(value));
    return;
  }
  // Discord trims names before measuring them, so whitespace-only names are too short.
  const length = codePointLength(value.trim());
  if (length < DiscordPayloadLimits.webhookNameMin || length > DiscordPayloadLimits.webhookNameMax) {
    errors.add(
      path,
      DiscordFieldErrors.badLength(DiscordPayloadLimits.webhookNameMin, DiscordPayloadLimits.webhookNameMax),
    );
  }
  const lower = value.toLowerCase();
  for (const word of forbiddenNameWords) {
    if (lower.includes(word)) errors.add(path, DiscordFieldErrors.usernameContains(word));
  }
}

function nonEmptyArrayLength(value: unknown): number {
  return Array.isArray(value) ? value.length : 0;
}

/**
 * Validates a create/edit message or execute-webhook body. Returns Discord's 50035 answer listing every bad field,
 * 50006 when the message would carry nothing, or `null` when Discord would accept it.
 */
export function validateMessagePayload(
  payload: unknown,
  ctx: MessagePayloadContext,
): DiscordHttpError | null {
  const errors = new FieldErrorCollector();
  if (!isObject(payload)) {
    errors.add([], DiscordFieldErrors.notObject());
    return errors.toError();
  }
  const content = checkOptionalString(errors, ['content'], payload['content'], DiscordPayloadLimits.content);
  const embedCount = checkEmbeds(errors, payload['embeds']);
  const componentCount = checkComponents(errors, payload['components']);
  checkAllowedMentions(errors, payload['allowed_mentions']);
  const flags = payload['flags'];
  if (flags !== undefined && flags !== null && !Number.isSafeInteger(flags)) {
    errors.add(['flags'], DiscordFieldErrors.notInteger(flags));
  }
  const tts = payload['tts'];
  if (tts !== undefined && tts !== null && typeof tts !== 'boolean') {
    errors.add(['tts'], DiscordFieldErrors.notBoolean(tts));
  }
  if (ctx.isWebhook) {
    const username = payload['username'];
    if (username !== undefined && username !== null) checkWebhookName(errors, ['username'], username);
    checkOptionalUrl(errors, ['avatar_url'], payload['avatar_url']);
  }
  if (!errors.empty) return errors.toError();
  if (ctx.isEdit === true) return null;
  const carriesSomething =
    (content !== undefined && content.trim().length > 0) ||
    embedCount > 0 ||
    componentCount > 0 ||
    nonEmptyArrayLength(payload['attachments']) > 0 ||
    nonEmptyArrayLength(payload['sticker_ids']) > 0 ||
    isObject(payload['poll']);
  return carriesSomething ? null : DiscordErrors.cannotSendEmptyMessage();
}

/**
 * Validates the `name` of a create/modify webhook body: required, 1–80 code points after trimming, and free of
 * "clyde"/"discord" in any case. Returns Discord's 50035 answer or `null`.
 * @see https://discord.com/developers/docs/resources/webhook#create-webhook
 */
export function validateWebhookName(name: unknown): DiscordHttpError | null {
  const errors = new FieldErrorCollector();
  if (name === undefined || name === null) errors.add(['name'], DiscordFieldErrors.required());
  else checkWebhookName(errors, ['name'], name);
  return errors.toError();
}
