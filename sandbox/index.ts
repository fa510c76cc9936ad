export type { CommandOptionValue, CommandPath } from './build-interaction-options.js';
export { PermissionFlags } from './channel-permissions.js';
export {
  type AddMemberOptions,
  type CreateChannelOptions,
  DEFAULT_BOT_PERMISSIONS,
  DiscordSandbox,
  type OverwriteInput,
  type SandboxFaults,
  type SandboxStats,
  type SlashCommandValue,
  type UserAttachment,
  type UserSaysOptions,
} from './discord-sandbox.js';
export { GatewayIntents } from './gateway-intents.js';
export {
  InteractionHandle,
  type InteractionResponse,
  type InteractionResponseFile,
} from './interaction-handle.js';
export { PLURALKIT_APPLICATION_ID, type PlayProxyBotOptions, PROXY_BOT_PERMISSIONS } from './proxy-bot.js';
export { DefaultRateLimitSettings, type RateLimitSettings } from './rate-limits.js';
export type { RequestLogEntry } from './rest-server.js';
export type { RouteFault, RouteFaultHandle } from './route-faults.js';
export { type SandboxEventMap, SandboxEvents, type TranscriptEntry } from './sandbox-events.js';
export { DefaultSandboxOptions, type SandboxOptions } from './sandbox-options.js';
