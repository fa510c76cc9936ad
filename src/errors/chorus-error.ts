/** Machine-readable reasons a Chorus operation failed. */
export enum ChorusErrorCode {
  InvalidInput = 'InvalidInput',
  NotFound = 'NotFound',
  Forbidden = 'Forbidden',
  Conflict = 'Conflict',
  RateLimited = 'RateLimited',
  ProviderUnavailable = 'ProviderUnavailable',
  ProviderRejected = 'ProviderRejected',
  /** A streamed AI reply broke after part of it was shown (not retried). */
  ProviderStreamBroken = 'ProviderStreamBroken',
  DiscordRejected = 'DiscordRejected',
  WebhookUnavailable = 'WebhookUnavailable',
  Cancelled = 'Cancelled',
  Internal = 'Internal',
}

/** Context that travels with an error into logs (ids only, never secrets or content). */
export interface ChorusErrorContext {
  readonly userId?: string;
  readonly guildId?: string;
  readonly channelId?: string;
  readonly personalityId?: string;
  readonly jobId?: string;
  /** Discord's numeric JSON error code when Discord caused this. */
  readonly discordCode?: number;
  readonly cause?: unknown;
}

/** Base of every error Chorus throws on purpose; its name renders as `ChorusError[Code]`. */
export class ChorusError extends Error {
  readonly context: Omit<ChorusErrorContext, 'cause'>;
  constructor(
    readonly code: ChorusErrorCode,
    message: string,
    { cause, ...context }: ChorusErrorContext = {},
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.context = context;
  }
  override get name(): string {
    return `ChorusError[${this.code}]`;
  }
}

/**
 * An error whose message is written for the Discord user who caused it. Only these messages reach Discord;
 * their wording comes from `messages.ts` of the area that throws them.
 */
export class UserFacingError extends ChorusError {
  override get name(): string {
    return `UserFacingError[${this.code}]`;
  }
}
