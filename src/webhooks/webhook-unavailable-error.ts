import { ChorusError, ChorusErrorCode, type ChorusErrorContext } from '../errors/index.js';

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
 * A permanent failure to post. Where the channel should know (see `buildUnavailableNotice`), the webhook
 * manager has already told it, once.
 *
 * It is a `ChorusError` (code `WebhookUnavailable`, so the reply worker recognises it) whose `name` is
 * `UnrecoverableError`: BullMQ fails a job without retrying when the error is `instanceof UnrecoverableError`
 * OR its name is `'UnrecoverableError'` (`Job.shouldRetryJob`, bullmq 6.7). JavaScript allows one base class,
 * and the name check is BullMQ's own way to recognise unrecoverable errors from other classes.
 */
export class WebhookUnavailableError extends ChorusError {
  constructor(
    readonly reason: WebhookUnavailableReason,
    message: string,
    context: ChorusErrorContext = {},
  ) {
    super(ChorusErrorCode.WebhookUnavailable, `[${reason}] ${message}`, context);
  }

  override get name(): string {
    return 'UnrecoverableError';
  }
}
