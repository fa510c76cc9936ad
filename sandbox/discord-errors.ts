/**
 * Discord's HTTP error bodies, as the sandbox sends them. Status, numeric code and message text are Discord's own,
 * so discord.js builds the same `DiscordAPIError` it would build against the real API.
 * @see https://discord.com/developers/docs/topics/opcodes-and-status-codes#json
 */

/** One entry of an `_errors` list in an Invalid Form Body tree. */
export interface DiscordFieldError {
  /** Discord's machine code, e.g. `BASE_TYPE_MAX_LENGTH`. */
  readonly code: string;
  /** Discord's human text, e.g. `Must be 2000 or fewer in length.`. */
  readonly message: string;
}

/**
 * Discord's 50035 `errors` tree: nested objects keyed by field name, array items keyed by their index as a
 * string, with `_errors` lists on the failing nodes.
 */
export interface DiscordErrorTree {
  _errors?: DiscordFieldError[];
  [field: string]: DiscordErrorTree | DiscordFieldError[] | undefined;
}

/** A path to a field: object keys and array indexes, outermost first (`['embeds', 0, 'title']`). */
export type DiscordFieldPath = readonly (string | number)[];

/** The JSON body of a Discord error answer. */
export interface DiscordErrorBody {
  readonly code: number;
  readonly message: string;
  readonly errors?: unknown;
}

/** An HTTP answer Discord would give instead of success; the sandbox serialises it as is. */
export class DiscordHttpError extends Error {
  readonly status: number;
  readonly body: DiscordErrorBody;
  readonly headers: Record<string, string>;
  constructor(status: number, body: DiscordErrorBody, headers: Record<string, string> = {}) {
    super(body.message);
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
  override get name(): string {
    return `DiscordHttpError[${this.body.code}]`;
  }
}

/**
 * Adds `error` under `path` in `tree`, creating the intermediate nodes. Array indexes become string keys, as in
 * Discord's answers: `['embeds', 0, 'title']` lands in `tree.embeds['0'].title._errors`.
 */
export function addFieldError(
  tree: DiscordErrorTree,
  path: DiscordFieldPath,
  error: DiscordFieldError,
): void {
  let node = tree;
  for (const segment of path) {
    const key = String(segment);
    const child = node[key];
    if (child === undefined || Array.isArray(child)) {
      const created: DiscordErrorTree = {};
      node[key] = created;
      node = created;
    } else {
      node = child;
    }
  }
  node._errors = [...(node._errors ?? []), error];
}

/** A fresh errors tree holding `errors` under `path`. */
export function buildErrorsTree(path: DiscordFieldPath, ...errors: DiscordFieldError[]): DiscordErrorTree {
  const tree: DiscordErrorTree = {};
  for (const error of errors) addFieldError(tree, path, error);
  return tree;
}

/** Renders a rejected value the way Discord quotes it in messages (`Value "abc" is not snowflake.`). */
function quote(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Discord's field-level validation errors, the leaves of an Invalid Form Body tree. Wording is copied from
 * Discord's answers so tests and clients matching on it behave as against the real API.
 */
export const DiscordFieldErrors = {
  required: (): DiscordFieldError => ({ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }),
  maxLength: (max: number): DiscordFieldError => ({
    code: 'BASE_TYPE_MAX_LENGTH',
    message: `Must be ${max} or fewer in length.`,
  }),
  minLength: (min: number): DiscordFieldError => ({
    code: 'BASE_TYPE_MIN_LENGTH',
    message: `Must be ${min} or more in length.`,
  }),
  /** A list Discord treats as a set (bulk-delete ids) holds a value twice. */
  setContainsValue: (): DiscordFieldError => ({
    code: 'SET_TYPE_ALREADY_CONTAINS_VALUE',
    message: 'The set already contains this value',
  }),
  badLength: (min: number, max: number): DiscordFieldError => ({
    code: 'BASE_TYPE_BAD_LENGTH',
    message: `Must be between ${min} and ${max} in length.`,
  }),
  notString: (value: unknown): DiscordFieldError => ({
    code: 'BASE_TYPE_STRING',
    message: `Could not interpret "${quote(value)}" as string.`,
  }),
  notBoolean: (value: unknown): DiscordFieldError => ({
    code: 'BASE_TYPE_BOOLEAN',
    message: `Could not interpret "${quote(value)}" as boolean.`,
  }),
  notInteger: (value: unknown): DiscordFieldError => ({
    code: 'NUMBER_TYPE_COERCE',
    message: `Value "${quote(value)}" is not int.`,
  }),
  notSnowflake: (value: unknown): DiscordFieldError => ({
    code: 'NUMBER_TYPE_COERCE',
    message: `Value "${quote(value)}" is not snowflake.`,
  }),
  notObject: (): DiscordFieldError => ({
    code: 'MODEL_TYPE_CONVERT',
    message: 'Only dictionaries may be used in a ModelType',
  }),
  notArray: (): DiscordFieldError => ({
    code: 'LIST_TYPE_CONVERT',
    message: 'Only iterables may be used in a ListType',
  }),
  choices: (choices: readonly (string | number)[]): DiscordFieldError => ({
    code: 'BASE_TYPE_CHOICES',
    message: `Value must be one of (${choices.map((c) => (typeof c === 'string' ? `'${c}'` : String(c))).join(', ')}).`,
  }),
  invalidUrl: (): DiscordFieldError => ({ code: 'URL_TYPE_INVALID_URL', message: 'Not a well formed URL.' }),
  invalidUrlScheme: (scheme: string): DiscordFieldError => ({
    code: 'URL_TYPE_INVALID_SCHEME',
    message: `Scheme "${scheme}" is not supported. Scheme must be one of ('http', 'https').`,
  }),
  usernameContains: (word: string): DiscordFieldError => ({
    code: 'USERNAME_INVALID_CONTAINS',
    message: `Username cannot contain "${word}"`,
  }),
  allowedMentionsParseExclusive: (type: 'users' | 'roles'): DiscordFieldError => ({
    code: 'MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE',
    message: `parse:["${type}"] and ${type}: [ids...] are mutually exclusive.`,
  }),
  embedSizeExceeded: (max: number): DiscordFieldError => ({
    code: 'MAX_EMBED_SIZE_EXCEEDED',
    message: `Embed size exceeds maximum size of ${max}`,
  }),
  customIdDuplicated: (): DiscordFieldError => ({
    code: 'COMPONENT_CUSTOM_ID_DUPLICATED',
    message: 'Component custom id cannot be duplicated',
  }),
  componentWidthExceeded: (): DiscordFieldError => ({
    code: 'COMPONENT_LAYOUT_WIDTH_EXCEEDED',
    message: 'The specified component exceeds the maximum width',
  }),
  buttonUrlRequired: (): DiscordFieldError => ({
    code: 'BUTTON_COMPONENT_URL_REQUIRED',
    message: 'A url is required',
  }),
  buttonCustomIdRequired: (): DiscordFieldError => ({
    code: 'BUTTON_COMPONENT_CUSTOM_ID_REQUIRED',
    message: 'A custom id is required',
  }),
  buttonCustomIdAndUrl: (): DiscordFieldError => ({
    code: 'BUTTON_COMPONENT_CUSTOM_ID_URL_MUTUALLY_EXCLUSIVE',
    message: 'A custom id and url cannot both be specified',
  }),
} as const;

/** Discord's error answers the sandbox produces, each with Discord's status, numeric code and message. */
export const DiscordErrors = {
  unknownWebhook: () => new DiscordHttpError(404, { message: 'Unknown Webhook', code: 10015 }),
  unknownChannel: () => new DiscordHttpError(404, { message: 'Unknown Channel', code: 10003 }),
  unknownMessage: () => new DiscordHttpError(404, { message: 'Unknown Message', code: 10008 }),
  unknownInteraction: () => new DiscordHttpError(404, { message: 'Unknown interaction', code: 10062 }),
  missingPermissions: () => new DiscordHttpError(403, { message: 'Missing Permissions', code: 50013 }),
  missingAccess: () => new DiscordHttpError(403, { message: 'Missing Access', code: 50001 }),
  maxWebhooks: () =>
    new DiscordHttpError(400, { message: 'Maximum number of webhooks reached (15)', code: 30007 }),
  interactionAlreadyAcknowledged: () =>
    new DiscordHttpError(400, { message: 'Interaction has already been acknowledged.', code: 40060 }),
  unauthorized: () => new DiscordHttpError(401, { message: '401: Unauthorized', code: 0 }),
  notFound: () => new DiscordHttpError(404, { message: '404: Not Found', code: 0 }),
  invalidFormBody: (errorsTree: unknown) =>
    new DiscordHttpError(400, { message: 'Invalid Form Body', code: 50035, errors: errorsTree }),
  cannotSendEmptyMessage: () =>
    new DiscordHttpError(400, { message: 'Cannot send an empty message', code: 50006 }),
  cannotExecuteOnDm: () =>
    new DiscordHttpError(403, { message: 'Cannot execute action on a DM channel', code: 50003 }),
  bulkDeleteTooOld: () =>
    new DiscordHttpError(400, {
      message: 'You can only bulk delete messages that are under 14 days old.',
      code: 50034,
    }),
  methodNotAllowed: () => new DiscordHttpError(405, { message: '405: Method Not Allowed', code: 0 }),
} as const;
