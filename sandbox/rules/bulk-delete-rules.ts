import { parseSnowflakeTimestamp } from '../../src/discord/index.js';
import { DiscordErrors, DiscordFieldErrors, type DiscordHttpError } from '../discord-errors.js';
import { FieldErrorCollector, isObject, snowflakePattern } from './field-checks.js';
import { DiscordPayloadLimits } from './payload-limits.js';

/**
 * Validates a bulk-delete body at `now`: `messages` holds 2–100 distinct snowflakes (ids of messages that do not
 * exist count, and are skipped), none older than 14 days by its timestamp. Returns Discord's 50035 answer for a
 * malformed list, 50034 for an old id, or `null` with the ids to delete.
 * @see https://discord.com/developers/docs/resources/message#bulk-delete-messages
 */
export function validateBulkDelete(
  body: unknown,
  now: number,
): { readonly error: DiscordHttpError } | { readonly error: null; readonly ids: readonly string[] } {
  const errors = new FieldErrorCollector();
  const messages = isObject(body) ? body['messages'] : undefined;
  if (messages === undefined || messages === null) {
    errors.add(['messages'], DiscordFieldErrors.required());
    return { error: errors.toError()! };
  }
  if (!Array.isArray(messages)) {
    errors.add(['messages'], DiscordFieldErrors.notArray());
    return { error: errors.toError()! };
  }
  if (messages.length < DiscordPayloadLimits.bulkDeleteMin) {
    errors.add(['messages'], DiscordFieldErrors.minLength(DiscordPayloadLimits.bulkDeleteMin));
  } else if (messages.length > DiscordPayloadLimits.bulkDeleteMax) {
    errors.add(['messages'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.bulkDeleteMax));
  }
  const ids: string[] = [];
  const seen = new Set<string>();
  messages.forEach((value: unknown, index) => {
    const id = typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : value;
    if (typeof id !== 'string' || !snowflakePattern.test(id)) {
      errors.add(['messages', index], DiscordFieldErrors.notSnowflake(value));
      return;
    }
    if (seen.has(id)) {
      errors.add(['messages', index], DiscordFieldErrors.setContainsValue());
      return;
    }
    seen.add(id);
    ids.push(id);
  });
  const invalid = errors.toError();
  if (invalid) return { error: invalid };
  const oldest = now - DiscordPayloadLimits.bulkDeleteMaxAgeMs;
  if (ids.some((id) => parseSnowflakeTimestamp(id) < oldest))
    return { error: DiscordErrors.bulkDeleteTooOld() };
  return { error: null, ids };
}
