/**
 * What the sandbox's control API takes and reports: the shapes tests, demos and benchmarks hand to
 * {@link DiscordSandbox} to play the humans and the faults.
 */
import type { CommandOptionValue } from './build-interaction-options.js';
import type { RouteFault, RouteFaultHandle } from './route-faults.js';

/** A channel permission overwrite as the control API takes it. */
export interface OverwriteInput {
  readonly id: string;
  readonly type: 'role' | 'member';
  readonly allow?: bigint;
  readonly deny?: bigint;
}

/** Options of {@link DiscordSandbox.createChannel}. */
export interface CreateChannelOptions {
  readonly name: string;
  /** @defaultValue 'text' */
  readonly type?: 'text' | 'forum';
  /**
   * Age-restricted (Discord's `nsfw`). Threads have no flag of their own: they are age-restricted when their
   * parent is (discord.js reads `thread.parent.nsfw`). @defaultValue false
   */
  readonly nsfw?: boolean;
  /** A member overwrite for the bot in this channel. */
  readonly botPermissions?: { readonly allow?: bigint; readonly deny?: bigint };
  readonly permissionOverwrites?: readonly OverwriteInput[];
}

/** Options of {@link DiscordSandbox.addMember}. */
export interface AddMemberOptions {
  /** Grants these permissions through a role made for this member. */
  readonly permissions?: bigint;
  /** Existing role ids to give. */
  readonly roles?: readonly string[];
}

/** A file a user attaches. */
export interface UserAttachment {
  readonly filename: string;
  readonly data?: Buffer | string;
  readonly contentType?: string;
}

/** A slash command option's value: what a user types, or a file for an ATTACHMENT option. */
export type SlashCommandValue = CommandOptionValue | UserAttachment;

/** Options of {@link DiscordSandbox.userSays}. */
export interface UserSaysOptions {
  /** Message id to reply to (same channel). */
  readonly replyTo?: string;
  readonly attachments?: readonly UserAttachment[];
}

/** Counters over every REST request the sandbox answered. */
export interface SandboxStats {
  readonly requests: number;
  /** 429 answers. */
  readonly rateLimited: number;
  /** 401, 403 and 429 answers: what Discord counts towards its invalid-request ban (10,000 per 10 minutes). */
  readonly invalidRequests: number;
  /** Requests per `METHOD /route/:id`. */
  readonly routes: Readonly<Record<string, number>>;
  /** Answers per status code. */
  readonly statuses: Readonly<Record<number, number>>;
}

/** Things that go wrong on Discord's side, on demand. */
export interface SandboxFaults {
  /** Deletes a webhook behind the bot's back (as a server admin would) and dispatches WEBHOOKS_UPDATE. */
  deleteWebhook(webhookId: string): void;
  /** Makes matching REST requests fail, stall or hang. */
  injectRoute(fault: RouteFault): RouteFaultHandle;
  /** Closes every gateway socket abnormally (no close frame): clients RESUME. */
  dropSessions(): void;
  /** Sends op 7 Reconnect: clients reconnect and RESUME. */
  requestReconnect(): void;
  /** Sends op 9 Invalid Session with `d: resumable`. */
  invalidateSessions(resumable: boolean): void;
}
