import { ChorusError, ChorusErrorCode, UserFacingError } from '../errors/index.js';
import {
  loadScripts,
  type RedisBatch,
  type RedisClient,
  registerScripts,
  runScript,
} from '../redis/index.js';
import { StateMessages } from './messages.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const STATE_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Names of the state area's scripts (`<name>-<keys>.lua` in `./lua/`). */
export const StateScript = {
  writePersonality: 'writePersonality',
  deletePersonality: 'deletePersonality',
  resolveOwnNames: 'resolveOwnNames',
  resolvePublicNames: 'resolvePublicNames',
  upsertCatalogEntry: 'upsertCatalogEntry',
  removeCatalogEntry: 'removeCatalogEntry',
  listCatalog: 'listCatalog',
  searchOwnNames: 'searchOwnNames',
  searchCatalog: 'searchCatalog',
  deleteActivationIf: 'deleteActivationIf',
  clearActivatedBy: 'clearActivatedBy',
  appendConversationTurns: 'appendConversationTurns',
  resetConversations: 'resetConversations',
  recordChannelLatest: 'recordChannelLatest',
  recordEdit: 'recordEdit',
  indexUserPosted: 'indexUserPosted',
  recordPosted: 'recordPosted',
} as const;
export type StateScriptName = (typeof StateScript)[keyof typeof StateScript];

/** Runs one of this area's scripts (in `batch` when given), registering them on the client on first use. */
export function runStateScript<T>(
  redis: RedisClient,
  name: StateScriptName,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  batch?: RedisBatch,
): Promise<T> {
  registerScripts(redis, STATE_SCRIPTS);
  return runScript<T>(redis, name, keys, args, batch);
}

/** Negative codes the state scripts return. */
export enum StateScriptCode {
  /** The id exists already (create picks another). */
  IdTaken = -1,
  /** A name or alias is held by another personality of the owner; the detail is the name. */
  NameTaken = -2,
  NotFound = -3,
  /** The record changed between read and write (the caller re-reads and retries). */
  Changed = -4,
  /** The owner already has as many personalities as they may (create only). */
  OwnerFull = -5,
}

/** What the caller knows about a failed script call, to word the error. */
export interface ScriptErrorContext {
  readonly personalityId?: string;
  readonly userId?: string;
  /** Maps a normalized name back to how the user wrote it. */
  readonly displayName?: (normalized: string) => string;
  /** The most personalities one owner may have, for {@link StateScriptCode.OwnerFull}. */
  readonly maxPerOwner?: number;
}

/** The one place a negative script code becomes an error. */
export function fromScriptCode(
  code: number,
  detail: string | undefined,
  context: ScriptErrorContext,
): ChorusError {
  const ids = { personalityId: context.personalityId, userId: context.userId };
  switch (code) {
    case StateScriptCode.NameTaken: {
      const name = detail === undefined ? '' : (context.displayName?.(detail) ?? detail);
      return new UserFacingError(ChorusErrorCode.Conflict, StateMessages.nameTaken(name), ids);
    }
    case StateScriptCode.NotFound:
      return new UserFacingError(ChorusErrorCode.NotFound, StateMessages.notFound(), ids);
    case StateScriptCode.OwnerFull:
      return new UserFacingError(
        ChorusErrorCode.Conflict,
        StateMessages.tooManyPersonalities(context.maxPerOwner ?? 0),
        ids,
      );
    case StateScriptCode.IdTaken:
      return new ChorusError(ChorusErrorCode.Internal, 'no free personality id after several attempts', ids);
    case StateScriptCode.Changed:
      return new ChorusError(ChorusErrorCode.Conflict, 'personality kept changing during the update', ids);
    default:
      return new ChorusError(ChorusErrorCode.Internal, `state script returned unknown code ${code}`, ids);
  }
}
