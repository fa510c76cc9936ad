/**
 * Discord's hidden per-channel limit: about 30 webhook messages per 60 s in one channel, whichever of its webhooks
 * posts them ("the 30/60 was added as a limit to the channel itself", discord-api-docs #367). No header announces
 * it; past it Discord answers 429 with a Retry-After of 40–45 s (discord-api-docs #1454), so a pool of webhooks
 * does not raise a channel's ceiling and the fleet must never send the request that would draw the penalty.
 */

/** Sends one channel takes in any window (a sliding window: Discord's alignment is unknown, so the strictest). */
export interface ChannelBudget {
  /** @defaultValue 30 */
  readonly limit: number;
  /** @defaultValue 60_000 */
  readonly windowMs: number;
}

/** The limit as Discord's engineers described it. */
export const DiscordChannelBudget = { limit: 30, windowMs: 60_000 } as const satisfies ChannelBudget;
