/** Discord's mention rules: validating `allowed_mentions`, and who a message would notify. */
import { DiscordFieldErrors, type DiscordFieldPath } from '../discord-errors.js';
import { checkOptionalArray, type FieldErrorCollector, isObject, snowflakePattern } from './field-checks.js';
import { DiscordPayloadLimits } from './payload-limits.js';

const allowedMentionTypes = ['roles', 'users', 'everyone'] as const;
type AllowedMentionType = (typeof allowedMentionTypes)[number];

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
export function checkAllowedMentions(errors: FieldErrorCollector, value: unknown): void {
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
