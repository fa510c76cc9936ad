import {
  addFieldError,
  DiscordErrors,
  type DiscordErrorTree,
  DiscordFieldErrors,
  type DiscordFieldPath,
  DiscordHttpError,
} from '../discord-errors.js';
import type { RestRouter } from '../rest-router.js';
import type { CommandRecord } from '../sandbox-store.js';
import { isObject, type RouteContext } from './route-context.js';

/** Discord's command-name rule for chat-input commands and options (lower case where a case exists). */
const CHAT_INPUT_NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;
/** Commands of each type an application may register per scope. */
const COMMAND_LIMITS: Record<number, number> = { 1: 100, 2: 15, 3: 15 };
const OPTION_TYPES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);

function invalidName(): { code: string; message: string } {
  return { code: 'APPLICATION_COMMAND_INVALID_NAME', message: 'Command name is invalid' };
}

function checkName(
  errors: DiscordErrorTree,
  path: DiscordFieldPath,
  name: unknown,
  chatInput: boolean,
): void {
  if (typeof name !== 'string') {
    addFieldError(
      errors,
      [...path, 'name'],
      name === undefined ? DiscordFieldErrors.required() : DiscordFieldErrors.notString(name),
    );
    return;
  }
  const length = [...name].length;
  if (length < 1 || length > 32)
    addFieldError(errors, [...path, 'name'], DiscordFieldErrors.badLength(1, 32));
  else if (chatInput && (!CHAT_INPUT_NAME.test(name) || name !== name.toLowerCase())) {
    addFieldError(errors, [...path, 'name'], invalidName());
  }
}

function checkDescription(errors: DiscordErrorTree, path: DiscordFieldPath, description: unknown): void {
  if (typeof description !== 'string') {
    addFieldError(
      errors,
      [...path, 'description'],
      description === undefined ? DiscordFieldErrors.required() : DiscordFieldErrors.notString(description),
    );
    return;
  }
  const length = [...description].length;
  if (length < 1 || length > 100)
    addFieldError(errors, [...path, 'description'], DiscordFieldErrors.badLength(1, 100));
}

function checkOptions(
  errors: DiscordErrorTree,
  path: DiscordFieldPath,
  options: unknown,
  depth: number,
): void {
  if (options === undefined || options === null) return;
  if (!Array.isArray(options)) {
    addFieldError(errors, path, DiscordFieldErrors.notArray());
    return;
  }
  if (options.length > 25) addFieldError(errors, path, DiscordFieldErrors.maxLength(25));
  let sawOptional = false;
  const names = new Set<string>();
  options.forEach((option: unknown, index) => {
    const at = [...path, index];
    if (!isObject(option)) {
      addFieldError(errors, at, DiscordFieldErrors.notObject());
      return;
    }
    const type = option['type'];
    if (typeof type !== 'number' || !OPTION_TYPES.has(type)) {
      addFieldError(errors, [...at, 'type'], DiscordFieldErrors.choices([...OPTION_TYPES]));
      return;
    }
    checkName(errors, at, option['name'], true);
    checkDescription(errors, at, option['description']);
    if (typeof option['name'] === 'string') {
      if (names.has(option['name'])) {
        addFieldError(errors, [...at, 'name'], {
          code: 'APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS',
          message: 'Option names must be unique',
        });
      }
      names.add(option['name']);
    }
    if (type === 1 || type === 2) {
      // Subcommands sit at depth 0 (or 1 under a group); groups only at depth 0.
      if ((type === 2 && depth > 0) || depth > 1) {
        addFieldError(errors, [...at, 'type'], {
          code: 'APPLICATION_COMMAND_OPTIONS_TYPE_INVALID',
          message: 'Sub-command and sub-command group option types are mutually exclusive to all other types',
        });
      }
      checkOptions(errors, [...at, 'options'], option['options'], depth + 1);
      return;
    }
    if (option['required'] === true && sawOptional) {
      addFieldError(errors, [...at, 'required'], {
        code: 'APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID',
        message: 'Required options must be placed before non-required options',
      });
    }
    if (option['required'] !== true) sawOptional = true;
    const choices = option['choices'];
    if (Array.isArray(choices) && choices.length > 25) {
      addFieldError(errors, [...at, 'choices'], DiscordFieldErrors.maxLength(25));
    }
  });
}

/** Validates one command body; problems land in `errors` under `path`. */
function checkCommand(errors: DiscordErrorTree, path: DiscordFieldPath, body: unknown): void {
  if (!isObject(body)) {
    addFieldError(errors, path, DiscordFieldErrors.notObject());
    return;
  }
  const type = body['type'] ?? 1;
  if (type !== 1 && type !== 2 && type !== 3) {
    addFieldError(errors, [...path, 'type'], DiscordFieldErrors.choices([1, 2, 3]));
    return;
  }
  checkName(errors, path, body['name'], type === 1);
  if (type === 1) {
    checkDescription(errors, path, body['description']);
    checkOptions(errors, [...path, 'options'], body['options'], 0);
  }
}

function isEmpty(tree: DiscordErrorTree): boolean {
  return Object.keys(tree).length === 0;
}

/** The stored body: what was sent plus Discord's defaults. */
function normalise(body: Record<string, unknown>): Record<string, unknown> {
  const type = typeof body['type'] === 'number' ? body['type'] : 1;
  return {
    default_member_permissions: null,
    nsfw: false,
    contexts: null,
    integration_types: [0],
    name_localizations: null,
    description_localizations: null,
    ...body,
    description: type === 1 ? body['description'] : '',
    ...(type === 1 ? { options: Array.isArray(body['options']) ? body['options'] : [] } : {}),
  };
}

/** Application commands (global and guild) and the interaction callback endpoint. */
export function registerApplicationRoutes(router: RestRouter, context: RouteContext): void {
  const { store, serializer } = context;

  const requireApplication = (applicationId: string): void => {
    if (applicationId !== context.applicationId) throw DiscordErrors.missingAccess();
  };

  /** Guild scope: the bot must be in the guild (else Discord answers Missing Access). */
  const scope = (params: Readonly<Record<string, string>>): string | null => {
    requireApplication(params['applicationId'] ?? '');
    const guildId = params['guildId'];
    if (guildId === undefined) return null;
    if (!store.guilds.get(guildId)?.members.has(context.botUserId)) throw DiscordErrors.missingAccess();
    return guildId;
  };

  const commandsIn = (guildId: string | null): CommandRecord[] =>
    [...store.commands.values()].filter((command) => command.guildId === guildId);

  const checkLimits = (commands: readonly { type: number }[]): void => {
    for (const [type, limit] of Object.entries(COMMAND_LIMITS)) {
      if (commands.filter((command) => command.type === Number(type)).length > limit) {
        throw new DiscordHttpError(400, {
          message: `Maximum number of application commands reached (${limit})`,
          code: 30032,
        });
      }
    }
  };

  const upsert = (
    guildId: string | null,
    body: Record<string, unknown>,
    existing: CommandRecord | undefined,
  ): CommandRecord => {
    const type = typeof body['type'] === 'number' ? body['type'] : 1;
    const command: CommandRecord = {
      id: existing?.id ?? store.nextId(),
      guildId,
      type,
      name: String(body['name']),
      version: store.nextId(),
      body: normalise(body),
    };
    store.commands.set(command.id, command);
    return command;
  };

  const requireCommand = (guildId: string | null, commandId: string): CommandRecord => {
    const command = store.commands.get(commandId);
    if (!command || command.guildId !== guildId) {
      throw new DiscordHttpError(404, { message: 'Unknown application command', code: 10063 });
    }
    return command;
  };

  for (const base of [
    '/applications/:applicationId/commands',
    '/applications/:applicationId/guilds/:guildId/commands',
  ]) {
    router.add({
      method: 'GET',
      template: base,
      auth: 'bot',
      handler: ({ params }) => ({
        status: 200,
        body: commandsIn(scope(params)).map((command) => serializer.command(command)),
      }),
    });

    router.add({
      method: 'PUT',
      template: base,
      auth: 'bot',
      handler: ({ params, body }) => {
        const guildId = scope(params);
        if (!Array.isArray(body))
          throw DiscordErrors.invalidFormBody({ _errors: [DiscordFieldErrors.notArray()] });
        const errors: DiscordErrorTree = {};
        for (const [index, command] of body.entries()) checkCommand(errors, [index], command);
        const keys = new Set<string>();
        body.forEach((command: unknown, index) => {
          if (!isObject(command)) return;
          const key = `${command['type'] ?? 1}:${String(command['name'])}`;
          if (keys.has(key)) {
            addFieldError(errors, [index, 'name'], {
              code: 'APPLICATION_COMMANDS_DUPLICATE_NAME',
              message: `Application command names must be unique`,
            });
          }
          keys.add(key);
        });
        if (!isEmpty(errors)) throw DiscordErrors.invalidFormBody(errors);
        const bodies = body as Record<string, unknown>[];
        checkLimits(
          bodies.map((command) => ({ type: typeof command['type'] === 'number' ? command['type'] : 1 })),
        );
        // Bulk overwrite keeps the id of a command whose name and type already exist, and drops the rest.
        const previous = commandsIn(guildId);
        for (const command of previous) store.commands.delete(command.id);
        const saved = bodies.map((command) =>
          upsert(
            guildId,
            command,
            previous.find((old) => old.name === command['name'] && old.type === (command['type'] ?? 1)),
          ),
        );
        return { status: 200, body: saved.map((command) => serializer.command(command)) };
      },
    });

    router.add({
      method: 'POST',
      template: base,
      auth: 'bot',
      handler: ({ params, body }) => {
        const guildId = scope(params);
        const errors: DiscordErrorTree = {};
        checkCommand(errors, [], body);
        if (!isEmpty(errors)) throw DiscordErrors.invalidFormBody(errors);
        const command = body as Record<string, unknown>;
        const type = typeof command['type'] === 'number' ? command['type'] : 1;
        const existing = commandsIn(guildId).find((old) => old.name === command['name'] && old.type === type);
        if (!existing) checkLimits([...commandsIn(guildId), { type }]);
        const saved = upsert(guildId, command, existing);
        return { status: existing ? 200 : 201, body: serializer.command(saved) };
      },
    });

    router.add({
      method: 'GET',
      template: `${base}/:commandId`,
      auth: 'bot',
      handler: ({ params }) => ({
        status: 200,
        body: serializer.command(requireCommand(scope(params), params['commandId'] ?? '')),
      }),
    });

    router.add({
      method: 'PATCH',
      template: `${base}/:commandId`,
      auth: 'bot',
      handler: ({ params, body }) => {
        const guildId = scope(params);
        const command = requireCommand(guildId, params['commandId'] ?? '');
        const merged = {
          ...command.body,
          type: command.type,
          name: command.name,
          ...(isObject(body) ? body : {}),
        };
        const errors: DiscordErrorTree = {};
        checkCommand(errors, [], merged);
        if (!isEmpty(errors)) throw DiscordErrors.invalidFormBody(errors);
        store.commands.delete(command.id);
        return { status: 200, body: serializer.command(upsert(guildId, merged, command)) };
      },
    });

    router.add({
      method: 'DELETE',
      template: `${base}/:commandId`,
      auth: 'bot',
      handler: ({ params }) => {
        const command = requireCommand(scope(params), params['commandId'] ?? '');
        store.commands.delete(command.id);
        return { status: 204 };
      },
    });
  }

  router.add({
    method: 'POST',
    template: '/interactions/:interactionId/:token/callback',
    auth: 'none',
    handler: ({ params, body, files, query }) =>
      context.interactions.callback(
        params['interactionId'] ?? '',
        params['token'] ?? '',
        body,
        files,
        query.get('with_response') === 'true',
      ),
  });
}
