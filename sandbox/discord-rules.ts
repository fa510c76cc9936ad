/**
 * Discord's validation rules for message and webhook payloads, as pure functions. The sandbox runs them before
 * accepting a request so that anything real Discord would refuse is refused here too, with the same body.
 *
 * The limits live here rather than in `src/discord` on purpose: the sandbox is the oracle the bot is tested
 * against, so it must not move when the bot's own copy of the numbers does.
 * @see https://discord.com/developers/docs/resources/message#create-message
 * @see https://discord.com/developers/docs/resources/webhook#execute-webhook
 */
import { parseSnowflakeTimestamp } from '../src/discord/index.js';
import {
  addFieldError,
  DiscordErrors,
  type DiscordErrorTree,
  type DiscordFieldError,
  DiscordFieldErrors,
  type DiscordFieldPath,
  type DiscordHttpError,
} from './discord-errors.js';

/** Discord's numeric limits enforced by these rules. */
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

/** Words Discord refuses anywhere in a webhook name or username override, compared case-insensitively. */
const forbiddenNameWords = ['clyde', 'discord'] as const;

const allowedMentionTypes = ['roles', 'users', 'everyone'] as const;
type AllowedMentionType = (typeof allowedMentionTypes)[number];

const buttonStyles = [1, 2, 3, 4, 5, 6] as const;
const linkButtonStyle = 5;
const premiumButtonStyle = 6;
const actionRowType = 1;
const buttonType = 2;
/** String, user, role, mentionable and channel selects: each fills a whole action row. */
const selectTypes: ReadonlySet<number> = new Set([3, 5, 6, 7, 8]);

const snowflakePattern = /^\d{1,20}$/;

/** Where a message payload comes from; webhook executes accept `username`/`avatar_url` overrides. */
export interface MessagePayloadContext {
  readonly isWebhook: boolean;
  /**
   * An edit (PATCH): absent fields keep their stored value, so the empty-message rule (50006) is left to the
   * caller, which must apply it to the merged message.
   */
  readonly isEdit?: boolean;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Discord measures string lengths in code points, not UTF-16 units. */
function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length += 1;
  return length;
}

/** Collects field errors into one tree, so one answer reports every bad field as Discord does. */
class FieldErrorCollector {
  readonly tree: DiscordErrorTree = {};
  #count = 0;
  add(path: DiscordFieldPath, error: DiscordFieldError): void {
    addFieldError(this.tree, path, error);
    this.#count += 1;
  }
  get empty(): boolean {
    return this.#count === 0;
  }
  /** The 50035 answer, or `null` when nothing was collected. */
  toError(): DiscordHttpError | null {
    return this.empty ? null : DiscordErrors.invalidFormBody(this.tree);
  }
}

/**
 * Checks an optional string field: `null`/absent passes; otherwise it must be a string within `max` code points.
 * Returns the string (or `undefined`) so callers can go on measuring it.
 */
function checkOptionalString(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  max: number,
): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    errors.add(path, DiscordFieldErrors.notString(value));
    return undefined;
  }
  if (codePointLength(value) > max) errors.add(path, DiscordFieldErrors.maxLength(max));
  return value;
}

/** Like {@link checkOptionalString} but the field must be present. */
function checkRequiredString(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  max: number,
): string | undefined {
  if (value === undefined || value === null) {
    errors.add(path, DiscordFieldErrors.required());
    return undefined;
  }
  return checkOptionalString(errors, path, value, max);
}

/** Checks an optional http(s) URL field. */
function checkOptionalUrl(errors: FieldErrorCollector, path: DiscordFieldPath, value: unknown): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') {
    errors.add(path, DiscordFieldErrors.notString(value));
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    errors.add(path, DiscordFieldErrors.invalidUrl());
    return;
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== 'http' && scheme !== 'https') errors.add(path, DiscordFieldErrors.invalidUrlScheme(scheme));
}

/** Returns the array at `value`, or `undefined` (recording an error when it is present but not an array). */
function checkOptionalArray(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
): readonly unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    errors.add(path, DiscordFieldErrors.notArray());
    return undefined;
  }
  return value;
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

/** Sum of the characters of one embed that count towards the 6000 total. */
interface EmbedMeasure {
  readonly characters: number;
}

function checkEmbed(errors: FieldErrorCollector, path: DiscordFieldPath, embed: unknown): EmbedMeasure {
  if (!isObject(embed)) {
    errors.add(path, DiscordFieldErrors.notObject());
    return { characters: 0 };
  }
  const counted: (string | undefined)[] = [];
  counted.push(
    checkOptionalString(errors, [...path, 'title'], embed['title'], DiscordPayloadLimits.embedTitle),
  );
  counted.push(
    checkOptionalString(
      errors,
      [...path, 'description'],
      embed['description'],
      DiscordPayloadLimits.embedDescription,
    ),
  );
  checkOptionalUrl(errors, [...path, 'url'], embed['url']);
  const footer = embed['footer'];
  if (footer !== undefined && footer !== null) {
    if (isObject(footer)) {
      counted.push(
        checkRequiredString(
          errors,
          [...path, 'footer', 'text'],
          footer['text'],
          DiscordPayloadLimits.embedFooterText,
        ),
      );
    } else {
      errors.add([...path, 'footer'], DiscordFieldErrors.notObject());
    }
  }
  const author = embed['author'];
  if (author !== undefined && author !== null) {
    if (isObject(author)) {
      counted.push(
        checkRequiredString(
          errors,
          [...path, 'author', 'name'],
          author['name'],
          DiscordPayloadLimits.embedAuthorName,
        ),
      );
      checkOptionalUrl(errors, [...path, 'author', 'url'], author['url']);
    } else {
      errors.add([...path, 'author'], DiscordFieldErrors.notObject());
    }
  }
  for (const media of ['image', 'thumbnail'] as const) {
    const value = embed[media];
    if (value === undefined || value === null) continue;
    if (isObject(value)) checkOptionalUrl(errors, [...path, media, 'url'], value['url']);
    else errors.add([...path, media], DiscordFieldErrors.notObject());
  }
  const fields = checkOptionalArray(errors, [...path, 'fields'], embed['fields']);
  if (fields !== undefined) {
    if (fields.length > DiscordPayloadLimits.embedFields) {
      errors.add([...path, 'fields'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.embedFields));
    }
    fields.forEach((field, index) => {
      const fieldPath = [...path, 'fields', index];
      if (!isObject(field)) {
        errors.add(fieldPath, DiscordFieldErrors.notObject());
        return;
      }
      counted.push(
        checkRequiredString(
          errors,
          [...fieldPath, 'name'],
          field['name'],
          DiscordPayloadLimits.embedFieldName,
        ),
      );
      counted.push(
        checkRequiredString(
          errors,
          [...fieldPath, 'value'],
          field['value'],
          DiscordPayloadLimits.embedFieldValue,
        ),
      );
      const inline = field['inline'];
      if (inline !== undefined && inline !== null && typeof inline !== 'boolean') {
        errors.add([...fieldPath, 'inline'], DiscordFieldErrors.notBoolean(inline));
      }
    });
  }
  return {
    characters: counted.reduce((sum, text) => sum + (text === undefined ? 0 : codePointLength(text)), 0),
  };
}

function checkEmbeds(errors: FieldErrorCollector, value: unknown): number {
  const embeds = checkOptionalArray(errors, ['embeds'], value);
  if (embeds === undefined) return 0;
  if (embeds.length > DiscordPayloadLimits.embeds) {
    errors.add(['embeds'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.embeds));
  }
  const total = embeds.reduce<number>(
    (sum, embed, index) => sum + checkEmbed(errors, ['embeds', index], embed).characters,
    0,
  );
  if (total > DiscordPayloadLimits.embedTotal) {
    errors.add(['embeds'], DiscordFieldErrors.embedSizeExceeded(DiscordPayloadLimits.embedTotal));
  }
  return embeds.length;
}

function checkButton(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  button: JsonObject,
  seenCustomIds: Set<string>,
): void {
  const style = button['style'];
  if (!buttonStyles.some((allowed) => allowed === style)) {
    errors.add([...path, 'style'], DiscordFieldErrors.choices(buttonStyles));
    return;
  }
  checkOptionalString(errors, [...path, 'label'], button['label'], DiscordPayloadLimits.buttonLabel);
  const hasCustomId = button['custom_id'] !== undefined && button['custom_id'] !== null;
  const hasUrl = button['url'] !== undefined && button['url'] !== null;
  if (style === linkButtonStyle) {
    if (hasCustomId) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
    if (hasUrl) checkOptionalUrl(errors, [...path, 'url'], button['url']);
    else errors.add([...path, 'url'], DiscordFieldErrors.buttonUrlRequired());
    return;
  }
  if (style === premiumButtonStyle) {
    // Premium buttons point at a SKU; they carry neither a custom id nor a url.
    const skuId = button['sku_id'];
    if (skuId === undefined || skuId === null) errors.add([...path, 'sku_id'], DiscordFieldErrors.required());
    else if (typeof skuId !== 'string' || !snowflakePattern.test(skuId)) {
      errors.add([...path, 'sku_id'], DiscordFieldErrors.notSnowflake(skuId));
    }
    if (hasCustomId || hasUrl) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
    return;
  }
  if (hasUrl) errors.add(path, DiscordFieldErrors.buttonCustomIdAndUrl());
  if (!hasCustomId) {
    errors.add([...path, 'custom_id'], DiscordFieldErrors.buttonCustomIdRequired());
    return;
  }
  checkCustomId(errors, [...path, 'custom_id'], button['custom_id'], seenCustomIds);
}

function checkCustomId(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
  seenCustomIds: Set<string>,
): void {
  const customId = checkRequiredString(errors, path, value, DiscordPayloadLimits.customId);
  if (customId === undefined) return;
  if (seenCustomIds.has(customId)) errors.add(path, DiscordFieldErrors.customIdDuplicated());
  seenCustomIds.add(customId);
}

function checkComponents(errors: FieldErrorCollector, value: unknown): number {
  const rows = checkOptionalArray(errors, ['components'], value);
  if (rows === undefined) return 0;
  if (rows.length > DiscordPayloadLimits.actionRows) {
    errors.add(['components'], DiscordFieldErrors.maxLength(DiscordPayloadLimits.actionRows));
  }
  const seenCustomIds = new Set<string>();
  rows.forEach((row, rowIndex) => {
    const rowPath = ['components', rowIndex];
    if (!isObject(row)) {
      errors.add(rowPath, DiscordFieldErrors.notObject());
      return;
    }
    if (row['type'] !== actionRowType) {
      errors.add([...rowPath, 'type'], DiscordFieldErrors.choices([actionRowType]));
      return;
    }
    const children = checkOptionalArray(errors, [...rowPath, 'components'], row['components']);
    if (children === undefined) {
      errors.add([...rowPath, 'components'], DiscordFieldErrors.required());
      return;
    }
    if (children.length < 1 || children.length > DiscordPayloadLimits.actionRowComponents) {
      errors.add(
        [...rowPath, 'components'],
        DiscordFieldErrors.badLength(1, DiscordPayloadLimits.actionRowComponents),
      );
    }
    children.forEach((child, childIndex) => {
      const childPath = [...rowPath, 'components', childIndex];
      if (!isObject(child)) {
        errors.add(childPath, DiscordFieldErrors.notObject());
        return;
      }
      const type = child['type'];
      if (type === buttonType) {
        checkButton(errors, childPath, child, seenCustomIds);
      } else if (typeof type === 'number' && selectTypes.has(type)) {
        if (children.length > 1) errors.add(childPath, DiscordFieldErrors.componentWidthExceeded());
        checkCustomId(errors, [...childPath, 'custom_id'], child['custom_id'], seenCustomIds);
      } else {
        errors.add([...childPath, 'type'], DiscordFieldErrors.choices([buttonType, ...selectTypes]));
      }
    });
  });
  return rows.length;
}

function checkIdList(
  errors: FieldErrorCollector,
  path: DiscordFieldPath,
  value: unknown,
): readonly unknown[] {
  const ids = checkOptionalArray(errors, path, value);
  if (ids === undefined) return [];
  if (ids.length > DiscordPayloadLimits.allowedMentionIds) {
    errors.add(path, DiscordFieldErrors.maxLength(DiscordPayloadLimits.allowedMentionIds));
  }
  ids.forEach((id, index) => {
    if (typeof id !== 'string' || !snowflakePattern.test(id)) {
      errors.add([...path, index], DiscordFieldErrors.notSnowflake(id));
    }
  });
  return ids;
}

/** @see https://discord.com/developers/docs/resources/message#allowed-mentions-object */
function checkAllowedMentions(errors: FieldErrorCollector, value: unknown): void {
  if (value === undefined || value === null) return;
  const path = ['allowed_mentions'];
  if (!isObject(value)) {
    errors.add(path, DiscordFieldErrors.notObject());
    return;
  }
  const parse = checkOptionalArray(errors, [...path, 'parse'], value['parse']) ?? [];
  parse.forEach((type, index) => {
    if (!allowedMentionTypes.some((allowed) => allowed === type)) {
      errors.add([...path, 'parse', index], DiscordFieldErrors.choices(allowedMentionTypes));
    }
  });
  const lists = {
    users: checkIdList(errors, [...path, 'users'], value['users']),
    roles: checkIdList(errors, [...path, 'roles'], value['roles']),
  };
  // Listing ids next to parse:[type] is ambiguous, so Discord refuses it; an empty list is not a conflict.
  for (const type of ['users', 'roles'] as const) {
    if (parse.includes(type) && lists[type].length > 0) {
      errors.add(path, DiscordFieldErrors.allowedMentionsParseExclusive(type));
    }
  }
  const repliedUser = value['replied_user'];
  if (repliedUser !== undefined && repliedUser !== null && typeof repliedUser !== 'boolean') {
    errors.add([...path, 'replied_user'], DiscordFieldErrors.notBoolean(repliedUser));
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

/** Who a message notifies. */
export interface WouldPing {
  readonly users: string[];
  readonly roles: string[];
  /** `@everyone` or `@here` notifies. */
  readonly everyone: boolean;
}

/** What decides who a message may notify, besides its content and `allowed_mentions`. */
export interface WouldPingContext {
  /** Webhook executes and interaction responses default to parsing user mentions only. */
  readonly isWebhook: boolean;
  /** Roles whose `mentionable` flag is set; others notify only when the author may mention everyone. */
  readonly mentionableRoleIds: ReadonlySet<string>;
  /**
   * The author holds MENTION_EVERYONE: needed for `@everyone`/`@here` and for non-mentionable roles.
   * @defaultValue `isWebhook` — webhook messages are not checked against a member's permissions
   */
  readonly canMentionEveryone?: boolean;
  /** Author of the message this one replies to; notified when `replied_user` allows it. */
  readonly repliedUserId?: string;
}

interface ResolvedAllowedMentions {
  readonly parse: ReadonlySet<string>;
  readonly users: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly repliedUser: boolean;
}

/**
 * Discord's defaults when `allowed_mentions` is absent: everything for regular messages, users only for
 * webhooks and interactions; a reply then notifies its author.
 * @see https://discord.com/developers/docs/resources/message#allowed-mentions-object-default-settings-for-allowed-mentions
 */
function resolveAllowedMentions(allowedMentions: unknown, isWebhook: boolean): ResolvedAllowedMentions {
  if (!isObject(allowedMentions)) {
    const parse: readonly AllowedMentionType[] = isWebhook ? ['users'] : allowedMentionTypes;
    return { parse: new Set(parse), users: new Set(), roles: new Set(), repliedUser: true };
  }
  const strings = (value: unknown): Set<string> =>
    new Set(Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  return {
    parse: strings(allowedMentions['parse']),
    users: strings(allowedMentions['users']),
    roles: strings(allowedMentions['roles']),
    repliedUser: allowedMentions['replied_user'] === true,
  };
}

/**
 * Discord renders code blocks and inline code verbatim, so mentions inside them notify nobody. Fenced blocks go
 * first so their backticks do not pair up as inline spans.
 */
function stripCode(content: string): string {
  return content.replace(/```[\s\S]*?```/g, ' ').replace(/``[\s\S]*?``|`[^`]*`/g, ' ');
}

function unique(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}

/**
 * Who a message would notify, per Discord's rules: mentions are taken from the content outside code, then
 * filtered by `allowed_mentions` (or its per-context default) and by permission to mention roles/everyone.
 * Ids listed in `allowed_mentions` but absent from the content notify nobody, as on Discord.
 * @see https://discord.com/developers/docs/resources/message#allowed-mentions-object
 */
export function computeWouldPing(
  content: string,
  allowedMentions: unknown,
  ctx: WouldPingContext,
): WouldPing {
  const text = stripCode(content);
  const allowed = resolveAllowedMentions(allowedMentions, ctx.isWebhook);
  const canMentionEveryone = ctx.canMentionEveryone ?? ctx.isWebhook;
  const users = [...text.matchAll(/<@!?(\d{1,20})>/g)]
    .map((match) => match[1]!)
    .filter((id) => allowed.parse.has('users') || allowed.users.has(id));
  if (ctx.repliedUserId !== undefined && allowed.repliedUser) users.push(ctx.repliedUserId);
  const roles = [...text.matchAll(/<@&(\d{1,20})>/g)]
    .map((match) => match[1]!)
    .filter((id) => allowed.parse.has('roles') || allowed.roles.has(id))
    .filter((id) => canMentionEveryone || ctx.mentionableRoleIds.has(id));
  const everyone = /@(?:everyone|here)/.test(text) && allowed.parse.has('everyone') && canMentionEveryone;
  return { users: unique(users), roles: unique(roles), everyone };
}

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
