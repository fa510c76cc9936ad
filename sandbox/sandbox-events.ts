import { EventEmitter } from 'node:events';
import type { RequestLogEntry } from './rest-server.js';

/** A message as a person would read it in the channel, plus what it would have notified. */
export interface TranscriptEntry {
  readonly id: string;
  readonly channelId: string;
  /** User id, or the webhook id for webhook messages. */
  readonly authorId: string;
  /** The name Discord shows: the webhook's username override or name, else the user's display name. */
  readonly authorName: string;
  /** The avatar URL a webhook message shows (override or the webhook's own); null otherwise. */
  readonly avatarUrl: string | null;
  readonly webhookId: string | null;
  readonly content: string;
  readonly embeds: readonly unknown[];
  readonly components: readonly unknown[];
  readonly attachments: readonly { readonly filename: string; readonly size: number }[];
  readonly flags: number;
  readonly wouldPing: {
    readonly users: readonly string[];
    readonly roles: readonly string[];
    readonly everyone: boolean;
  };
  /** The thread the message is in; null when it is not in a thread. */
  readonly threadId: string | null;
  readonly referencedMessageId: string | null;
  /** Who ran the interaction this message answers (an ephemeral one shows only to them); null otherwise. */
  readonly interactionUserId: string | null;
  /** Unix ms. */
  readonly createdAt: number;
  readonly editedAt: number | null;
  /** Every edit, oldest first: when (Unix ms) and the content it left. */
  readonly edits: readonly { readonly at: number; readonly content: string }[];
}

/** Payloads of the sandbox's events, by name. */
export interface SandboxEventMap {
  /** A gateway event was dispatched (once per event, whatever the number of sessions). */
  dispatch: [{ readonly type: string; readonly at: number }];
  /** A REST request was answered. */
  request: [RequestLogEntry];
  /** A message was created (by anyone: users, the bot, webhooks, interaction responses). */
  messageCreated: [{ readonly message: TranscriptEntry; readonly at: number }];
  /**
   * Any message was created, edited or deleted, ephemeral ones included (the gateway never carries those; a
   * view of the channel, like the playground, shows them to the one user who may see them).
   */
  messageChanged: [
    {
      readonly kind: 'created' | 'updated' | 'deleted';
      readonly message: TranscriptEntry;
      readonly at: number;
    },
  ];
}

/** The sandbox's event emitter, typed by {@link SandboxEventMap}. */
export class SandboxEvents extends EventEmitter<SandboxEventMap> {}
