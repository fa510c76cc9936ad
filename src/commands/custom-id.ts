/**
 * Button custom ids. Each encodes what the button does, what it acts on and who may press it, so a click
 * can be handled by any gateway replica without server-side state: `chorus:<code>:<userId>[:<arg>…]`.
 * @see https://discord.com/developers/docs/components/reference#anatomy-of-a-component-custom-id
 */

/** Which page of which list a paging button shows. */
export type ListScope = 'mine' | 'public';

/** What a button of ours does, with its target. `userId` is the user who invoked the command. */
export type ButtonTarget =
  | {
      readonly action: 'list-page';
      readonly userId: string;
      readonly scope: ListScope;
      readonly page: number;
    }
  | { readonly action: 'remove-confirm'; readonly userId: string; readonly personalityId: string }
  | { readonly action: 'remove-cancel'; readonly userId: string; readonly personalityId: string }
  | { readonly action: 'forget-confirm'; readonly userId: string }
  | { readonly action: 'forget-cancel'; readonly userId: string };

export type ButtonAction = ButtonTarget['action'];

const NAMESPACE = 'chorus';
/** Discord's limit on a custom id's length. */
const MAX_CUSTOM_ID_LENGTH = 100;

/** Short wire codes keep ids well under Discord's 100 characters. */
const ACTION_CODES = {
  'list-page': 'lp',
  'remove-confirm': 'rm',
  'remove-cancel': 'rmx',
  'forget-confirm': 'fm',
  'forget-cancel': 'fmx',
} as const satisfies Record<ButtonAction, string>;

const ACTIONS_BY_CODE = new Map<string, ButtonAction>(
  Object.entries(ACTION_CODES).map(([action, code]) => [code, action as ButtonAction]),
);

const USER_ID = /^\d{1,20}$/;
const PERSONALITY_ID = /^[a-z0-9]{8,32}$/;
const PAGE = /^\d{1,6}$/;

/** Encodes a button target as a custom id. Throws when an argument could not round-trip. */
export function buildCustomId(target: ButtonTarget): string {
  const parts: string[] = [NAMESPACE, ACTION_CODES[target.action], target.userId];
  switch (target.action) {
    case 'list-page':
      parts.push(target.scope, String(target.page));
      break;
    case 'remove-confirm':
    case 'remove-cancel':
      parts.push(target.personalityId);
      break;
    case 'forget-confirm':
    case 'forget-cancel':
      break;
  }
  const id = parts.join(':');
  if (parseCustomId(id) === null || id.length > MAX_CUSTOM_ID_LENGTH) {
    throw new RangeError(`button target cannot be encoded as a custom id: ${id}`);
  }
  return id;
}

/** Decodes a custom id; `null` when it is not one of ours or is malformed (never trust a click's payload). */
export function parseCustomId(customId: string): ButtonTarget | null {
  const [namespace, code, userId, ...args] = customId.split(':');
  if (namespace !== NAMESPACE || code === undefined || userId === undefined || !USER_ID.test(userId))
    return null;
  const action = ACTIONS_BY_CODE.get(code);
  switch (action) {
    case 'list-page': {
      const [scope, page] = args;
      if (
        args.length !== 2 ||
        (scope !== 'mine' && scope !== 'public') ||
        page === undefined ||
        !PAGE.test(page)
      ) {
        return null;
      }
      return { action, userId, scope, page: Number(page) };
    }
    case 'remove-confirm':
    case 'remove-cancel': {
      const [personalityId] = args;
      if (args.length !== 1 || personalityId === undefined || !PERSONALITY_ID.test(personalityId))
        return null;
      return { action, userId, personalityId };
    }
    case 'forget-confirm':
    case 'forget-cancel':
      return args.length === 0 ? { action, userId } : null;
    default:
      return null;
  }
}
