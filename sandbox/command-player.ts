import type { ApiObject, ApiSerializer } from './api-serializer.js';
import {
  buildInteractionOptions,
  type CommandOptionValue,
  type CommandPath,
} from './build-interaction-options.js';
import { hasPermissions, PermissionFlags } from './channel-permissions.js';
import type { SlashCommandValue } from './control-api-types.js';
import type { InteractionHandle } from './interaction-handle.js';
import { type InteractionService, InteractionType } from './interaction-service.js';
import type { ChannelRecord, CommandRecord, SandboxStore } from './sandbox-store.js';
import { ChannelType } from './sandbox-store.js';

/** A file uploaded with a slash command (Discord keeps it on its CDN under an ephemeral-attachments path). */
interface InteractionAttachment {
  readonly id: string;
  readonly channelId: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly data: Buffer;
}

/** What {@link CommandPlayer} plays through. */
export interface CommandPlayerDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly interactions: InteractionService;
  readonly botUserId: string;
  readonly applicationId: string;
  /** `http://host:port` of the REST server, which serves uploaded files. */
  baseUrl(): string;
}

/**
 * People using the app: slash commands (with autocomplete and file options), message commands and button clicks,
 * each refused as Discord's client would (context, permissions) and dispatched as INTERACTION_CREATE.
 */
export class CommandPlayer {
  readonly #deps: CommandPlayerDeps;
  /** Files uploaded with slash commands, by attachment id (served like message attachments). */
  readonly #uploads = new Map<string, InteractionAttachment>();

  constructor(deps: CommandPlayerDeps) {
    this.#deps = deps;
  }

  /** A file uploaded with a slash command in that channel, as the REST server serves it; undefined if none. */
  uploadedAttachment(
    channelId: string,
    attachmentId: string,
  ): { data: Buffer; contentType: string | null } | undefined {
    const uploaded = this.#uploads.get(attachmentId);
    return uploaded?.channelId === channelId
      ? { data: uploaded.data, contentType: uploaded.contentType }
      : undefined;
  }

  /**
   * A user runs a registered slash command; dispatches INTERACTION_CREATE. A file given for an ATTACHMENT option
   * is uploaded first and arrives as Discord sends it: its id as the option's value, the attachment (with a URL
   * the REST server serves) in `resolved.attachments`.
   */
  runSlashCommand(
    userId: string,
    channelId: string,
    name: string,
    options: Readonly<Record<string, SlashCommandValue>> = {},
    path: CommandPath = {},
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 1, name, userId);
    const values: Record<string, CommandOptionValue> = {};
    for (const [option, value] of Object.entries(options)) {
      if (typeof value !== 'object') {
        values[option] = value;
        continue;
      }
      const id = this.#deps.store.nextId();
      this.#uploads.set(id, {
        id,
        channelId: channel.id,
        filename: value.filename,
        contentType: value.contentType ?? null,
        data: Buffer.isBuffer(value.data) ? value.data : Buffer.from(value.data ?? ''),
      });
      values[option] = id;
    }
    const built = buildInteractionOptions(command.body['options'], values, path);
    return this.#dispatchCommand(InteractionType.ApplicationCommand, userId, channel, command, {
      ...(built.options.length > 0 ? { options: built.options } : {}),
      ...this.#resolved(channel, built.resolve),
    });
  }

  /** A user types into an autocomplete option; dispatches an APPLICATION_COMMAND_AUTOCOMPLETE interaction. */
  autocomplete(
    userId: string,
    channelId: string,
    name: string,
    focusedOption: string,
    options: Readonly<Record<string, CommandOptionValue>>,
    path: CommandPath = {},
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 1, name, userId);
    const built = buildInteractionOptions(command.body['options'], options, path, focusedOption);
    return this.#dispatchCommand(InteractionType.Autocomplete, userId, channel, command, {
      options: built.options,
    });
  }

  /** A user clicks a button the bot put on a message; dispatches a MESSAGE_COMPONENT interaction. */
  clickButton(userId: string, messageId: string, customId: string): InteractionHandle {
    const message = this.#deps.store.requireMessage(messageId);
    const channel = this.#commandChannel(userId, message.channelId);
    if (message.authorId !== this.#deps.botUserId && message.applicationId !== this.#deps.applicationId) {
      throw new Error('sandbox: only messages the app sent carry interactive components');
    }
    const button = findComponent(message.components, customId);
    if (button?.['type'] !== 2) throw new Error(`sandbox: no button "${customId}" on message ${messageId}`);
    if (button['disabled'] === true) throw new Error(`sandbox: button "${customId}" is disabled`);
    return this.#deps.interactions.dispatch({
      type: InteractionType.MessageComponent,
      userId,
      channel,
      data: { custom_id: customId, component_type: 2 },
      commandName: null,
      commandType: null,
      sourceMessage: message,
    });
  }

  /** A user runs a message context-menu command on a message; dispatches INTERACTION_CREATE. */
  runMessageCommand(
    userId: string,
    channelId: string,
    commandName: string,
    targetMessageId: string,
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 3, commandName, userId);
    const target = this.#deps.store.requireMessage(targetMessageId);
    if (target.channelId !== channel.id) throw new Error('sandbox: the target message is in another channel');
    return this.#dispatchCommand(InteractionType.ApplicationCommand, userId, channel, command, {
      target_id: target.id,
      resolved: { messages: { [target.id]: this.#deps.serializer.message(target) } },
    });
  }

  /** Dispatches an interaction of `interactionType` invoking `command`: its data names the command, then `data`. */
  #dispatchCommand(
    interactionType: number,
    userId: string,
    channel: ChannelRecord,
    command: CommandRecord,
    data: ApiObject,
  ): InteractionHandle {
    return this.#deps.interactions.dispatch({
      type: interactionType,
      userId,
      channel,
      data: {
        id: command.id,
        name: command.name,
        type: command.type,
        ...(command.guildId ? { guild_id: command.guildId } : {}),
        ...data,
      },
      commandName: command.name,
      commandType: command.type,
      sourceMessage: null,
    });
  }

  #commandChannel(userId: string, channelId: string): ChannelRecord {
    const channel = this.#deps.store.requireChannel(channelId);
    this.#deps.store.requireUser(userId);
    if (channel.type === ChannelType.DM) {
      if (!channel.recipientIds.includes(userId)) throw new Error('sandbox: that DM is not with this user');
      return channel;
    }
    const permissions = this.#deps.store.channelPermissions(channel, userId);
    if (!hasPermissions(permissions, PermissionFlags.ViewChannel | PermissionFlags.UseApplicationCommands)) {
      throw new Error(`sandbox: user ${userId} cannot use application commands in channel ${channel.id}`);
    }
    return channel;
  }

  #findCommand(channel: ChannelRecord, type: number, name: string, userId: string): CommandRecord {
    const commands = [...this.#deps.store.commands.values()].filter(
      (command) => command.type === type && command.name === name,
    );
    const command =
      commands.find((candidate) => candidate.guildId !== null && candidate.guildId === channel.guildId) ??
      commands.find((candidate) => candidate.guildId === null);
    if (!command) {
      throw new Error(`sandbox: no ${type === 1 ? 'slash' : 'message'} command "${name}" is registered here`);
    }
    // Discord's client hides commands outside their contexts, or needing permissions the user lacks.
    const contexts = command.body['contexts'];
    if (Array.isArray(contexts) && !contexts.includes(channel.guildId === null ? 1 : 0)) {
      throw new Error(`sandbox: command "${name}" is not available in this context`);
    }
    const required = command.body['default_member_permissions'];
    if (typeof required === 'string' && channel.guildId !== null) {
      const permissions = this.#deps.store.channelPermissions(channel, userId);
      // "0" keeps a command for administrators only.
      const allowed =
        required === '0'
          ? hasPermissions(permissions, PermissionFlags.Administrator)
          : hasPermissions(permissions, BigInt(required));
      if (!allowed) {
        throw new Error(`sandbox: user ${userId} lacks the permissions command "${name}" requires`);
      }
    }
    return command;
  }

  #resolved(
    channel: ChannelRecord,
    ids: { users: string[]; channels: string[]; roles: string[]; attachments: string[] },
  ): ApiObject {
    const guild = channel.guildId ? this.#deps.store.guilds.get(channel.guildId) : undefined;
    const resolved: Record<string, Record<string, unknown>> = {};
    for (const userId of ids.users) {
      const user = this.#deps.store.users.get(userId);
      if (!user) continue;
      resolved['users'] = { ...resolved['users'], [userId]: this.#deps.serializer.user(user) };
      const member = guild?.members.get(userId);
      if (guild && member) {
        const { user: _user, ...partial } = this.#deps.serializer.member(guild, member, {
          withUser: false,
          permissions: this.#deps.store.channelPermissions(channel, userId),
        });
        resolved['members'] = { ...resolved['members'], [userId]: partial };
      }
    }
    for (const channelId of ids.channels) {
      const target = this.#deps.store.channels.get(channelId);
      if (!target) continue;
      resolved['channels'] = {
        ...resolved['channels'],
        [channelId]: {
          id: target.id,
          name: target.name,
          type: target.type,
          permissions: this.#deps.store.channelPermissions(target, this.#deps.botUserId).toString(),
          ...(target.parentId ? { parent_id: target.parentId } : {}),
        },
      };
    }
    for (const roleId of ids.roles) {
      const role = guild?.roles.get(roleId);
      if (role) resolved['roles'] = { ...resolved['roles'], [roleId]: this.#deps.serializer.role(role) };
    }
    for (const attachmentId of ids.attachments) {
      const file = this.#uploads.get(attachmentId);
      if (!file) continue;
      // https://discord.com/developers/docs/resources/message#attachment-object
      const url = `${this.#deps.baseUrl()}/attachments/${file.channelId}/${file.id}/${encodeURIComponent(file.filename)}`;
      resolved['attachments'] = {
        ...resolved['attachments'],
        [file.id]: {
          id: file.id,
          filename: file.filename,
          size: file.data.length,
          url,
          proxy_url: url,
          ephemeral: true,
          ...(file.contentType === null ? {} : { content_type: file.contentType }),
        },
      };
    }
    return Object.keys(resolved).length > 0 ? { resolved } : {};
  }
}

/** The component with `customId` anywhere in a message's component tree (rows, sections, containers). */
function findComponent(components: readonly unknown[], customId: string): Record<string, unknown> | null {
  for (const component of components) {
    if (typeof component !== 'object' || component === null) continue;
    const record = component as Record<string, unknown>;
    if (record['custom_id'] === customId) return record;
    for (const key of ['components', 'accessory']) {
      const nested = record[key];
      const children = Array.isArray(nested) ? nested : nested ? [nested] : [];
      const found = findComponent(children, customId);
      if (found) return found;
    }
  }
  return null;
}
