/**
 * How the fleet-wide limiter treats one request `@discordjs/rest` is about to send:
 * - `limited`: a bot-token request; it waits for a fleet slot.
 * - `typing`: a typing indicator; it goes only if a slot is free now, else it is skipped.
 * - `exempt`: not bound by the bot's global limit: no bot token, an interaction callback, or a webhook-token
 *   route (https://discord.com/developers/docs/topics/rate-limits#global-rate-limit).
 */
export type BotRequestKind = 'limited' | 'typing' | 'exempt';

/** Interaction callbacks: `/interactions/{id}/{token}/callback`. */
const INTERACTION_ROUTE = /^\/interactions\//;
/** A webhook's own token routes (`/webhooks/{id}/{token}…`, interaction follow-ups included). */
const WEBHOOK_TOKEN_ROUTE = /^\/webhooks\/\d+\/[^/]+/;
const TYPING_ROUTE = /^\/channels\/\d+\/typing$/;
/** The route follows the API's version segment (`https://discord.com/api/v10/channels/…`). */
const VERSIONED_ROUTE = /\/v\d+(\/.*)$/;

/** Classifies a request from its URL and `Authorization` header (pure). */
export function classifyBotRequest(
  url: string,
  method: string,
  authorization: string | null,
): BotRequestKind {
  if (authorization === null || !authorization.startsWith('Bot ')) return 'exempt';
  const route = VERSIONED_ROUTE.exec(new URL(url).pathname)?.[1] ?? '';
  if (INTERACTION_ROUTE.test(route) || WEBHOOK_TOKEN_ROUTE.test(route)) return 'exempt';
  if (method.toUpperCase() === 'POST' && TYPING_ROUTE.test(route)) return 'typing';
  return 'limited';
}
