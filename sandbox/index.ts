export type { CommandOptionValue, CommandPath } from './build-interaction-options.js';
export { PermissionFlags } from './channel-permissions.js';
export type {
  AddMemberOptions,
  CreateChannelOptions,
  OverwriteInput,
  SandboxFaults,
  SandboxStats,
  SlashCommandValue,
  UserAttachment,
  UserSaysOptions,
} from './control-api-types.js';
export { DiscordSandbox } from './discord-sandbox.js';
export { GatewayIntents } from './gateway-intents.js';
export { DEFAULT_BOT_PERMISSIONS } from './guild-control.js';
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
