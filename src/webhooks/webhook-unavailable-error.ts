import { UnrecoverableError } from 'bullmq';
import { ChorusErrorCode, type ChorusErrorContext } from '../errors/index.js';

/** Why a channel cannot get personality posts until someone changes something on Discord's side. */
export enum WebhookUnavailableReason {
  /** The bot lacks Manage Webhooks (Discord 50013). The channel is told, once. */
  MissingPermissions = 'MissingPermissions',
  /** The bot cannot see the channel or thread (Discord 50001). Nobody can be told. */
  MissingAccess = 'MissingAccess',
  /** The channel holds 15 webhooks, none of them ours (Discord 30007). The channel is told, once. */
  MaxWebhooks = 'MaxWebhooks',
  /** The channel or thread is gone (Discord 10003). */
  UnknownChannel = 'UnknownChannel',
  /** Discord refused this message itself (another 4xx, e.g. 50035 Invalid Form Body); sending it again fails again. */
  Rejected = 'Rejected',
}

/**
 * A permanent failure to post: BullMQ's {@link UnrecoverableError}, so the reply worker fails the job without
 * retrying. Where the channel should know, the webhook manager has already told it; the worker posts nothing
 * more. Carries the same `code`/`context` shape as `ChorusError` for logs.
 */
export class WebhookUnavailableError extends UnrecoverableError {
  readonly code = ChorusErrorCode.WebhookUnavailable;
  readonly context: Omit<ChorusErrorContext, 'cause'>;

  constructor(
    readonly reason: WebhookUnavailableReason,
    message: string,
    { cause, ...context }: ChorusErrorContext = {},
  ) {
    super(message);
    if (cause !== undefined) this.cause = cause;
    this.context = context;
    // UnrecoverableError stores `name` as an own property; the reason in it shows in every trace.
    this.name = `WebhookUnavailableError[${reason}]`;
  }
}
