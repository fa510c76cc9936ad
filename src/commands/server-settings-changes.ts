import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { type GuildSettings, GuildSettingsCaps } from '../guilds/index.js';
import { normalizePersonalityName } from '../state/index.js';
import { buildInvalidInputError, validateAlias } from './personality-rules.js';
import { type ServerLimitKind, ServerReplies } from './server-replies.js';

/** A change `/server` makes, and whether it changed anything (running it twice leaves the same settings). */
export interface ServerSettingsEdit {
  readonly settings: GuildSettings;
  readonly changed: boolean;
}

/** The id lists a server keeps, by their field. */
export type ServerListField =
  | 'allowedPersonalityIds'
  | 'blockedPersonalityIds'
  | 'blockedNames'
  | 'channelIds';

/** How each list is named when it is full. */
const LIST_WHAT: Record<ServerListField, string> = {
  allowedPersonalityIds: 'allowed personalities',
  blockedPersonalityIds: 'blocked personalities',
  blockedNames: 'blocked names',
  channelIds: 'listed channels',
};

/** The longest name a server may block or alias: a personality name's limit. */
export const SERVER_NAME_MAX = 80;

function tooMany(what: string, max: number): UserFacingError {
  return new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.tooMany(what, max));
}

/** Adds `value` to a list (once). @throws UserFacingError InvalidInput when the list is full. */
export function addToList(
  settings: GuildSettings,
  field: ServerListField,
  value: string,
): ServerSettingsEdit {
  const list = settings[field];
  if (list.includes(value)) return { settings, changed: false };
  const max = GuildSettingsCaps[field];
  if (list.length >= max) throw tooMany(LIST_WHAT[field], max);
  return { settings: { ...settings, [field]: [...list, value] }, changed: true };
}

/** Removes `value` from a list; unchanged when it was not there. */
export function removeFromList(
  settings: GuildSettings,
  field: ServerListField,
  value: string,
): ServerSettingsEdit {
  const list = settings[field];
  if (!list.includes(value)) return { settings, changed: false };
  return { settings: { ...settings, [field]: list.filter((entry) => entry !== value) }, changed: true };
}

/**
 * A name as the server stores it (blocked names, alias keys): normalized as personality names are, without
 * the `@` people type to address it.
 * @throws UserFacingError InvalidInput when empty or longer than a personality name may be.
 */
export function parseServerName(value: string): string {
  const key = normalizePersonalityName(value).replace(/^@\s*/u, '');
  if (key.length === 0 || Array.from(key).length > SERVER_NAME_MAX)
    throw new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.nameInvalid(SERVER_NAME_MAX));
  return key;
}

/**
 * A new server alias: the rules of a personality's own aliases (it is addressed the same way), typed with or
 * without its `@`. Returns its normalized key. @throws UserFacingError InvalidInput naming the rule.
 */
export function parseServerAlias(value: string): string {
  const result = validateAlias(value.trim().replace(/^@\s*/u, ''), new Set());
  if (!result.ok) throw buildInvalidInputError(result.errors);
  return normalizePersonalityName(result.value);
}

/** Points server alias `aliasKey` (normalized) at a personality; `replacedId` is what it meant before, if anything. */
export function setAlias(
  settings: GuildSettings,
  aliasKey: string,
  personalityId: string,
): ServerSettingsEdit & { replacedId: string | null } {
  const replacedId = settings.aliases[aliasKey] ?? null;
  if (replacedId === personalityId) return { settings, changed: false, replacedId: null };
  if (replacedId === null && Object.keys(settings.aliases).length >= GuildSettingsCaps.aliases)
    throw tooMany('server aliases', GuildSettingsCaps.aliases);
  return {
    settings: { ...settings, aliases: { ...settings.aliases, [aliasKey]: personalityId } },
    changed: true,
    replacedId,
  };
}

/** Removes server alias `aliasKey` (normalized); unchanged when there was none. */
export function removeAlias(settings: GuildSettings, aliasKey: string): ServerSettingsEdit {
  if (!(aliasKey in settings.aliases)) return { settings, changed: false };
  const { [aliasKey]: _removed, ...aliases } = settings.aliases;
  return { settings: { ...settings, aliases }, changed: true };
}

/**
 * A server's stricter per-member limit: a whole number from 1 to the operator's own.
 * @throws UserFacingError InvalidInput naming the rule, or the operator's value when looser.
 */
export function parseServerLimit(kind: ServerLimitKind, value: number, operatorValue: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.limitInvalid(kind));
  if (value > operatorValue)
    throw new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.limitLooser(kind, operatorValue));
  return value;
}
