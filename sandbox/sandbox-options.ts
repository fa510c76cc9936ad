import type { RateLimitSettings } from './rate-limits.js';

/** How a {@link DiscordSandbox} is started. */
export interface SandboxOptions {
  /** Interface to listen on; loopback only. @defaultValue '127.0.0.1' */
  host: string;
  /** TCP port; 0 picks a free one. @defaultValue 0 */
  port: number;
  /** The bot's token (`Authorization: Bot <token>`); a realistic random one when empty. @defaultValue '' */
  botToken: string;
  /** The bot user's username. @defaultValue 'Chorus' */
  botUsername: string;
  /** Rate-limit settings; see {@link RateLimitSettings}. @defaultValue the engine's defaults */
  rateLimits: Partial<RateLimitSettings>;
  /**
   * Privileged intents the application has switched on in the developer portal, as a bitfield of
   * GUILD_PRESENCES (1<<8), GUILD_MEMBERS (1<<1) and MESSAGE_CONTENT (1<<15). Identifying with one not
   * enabled closes the socket with 4014; without MESSAGE_CONTENT, REST reads are content-gated too.
   * @defaultValue all three
   */
  enabledPrivilegedIntents: number;
  /** HELLO's `heartbeat_interval`, in ms. @defaultValue 41250 (Discord's) */
  heartbeatIntervalMs: number;
  /** Dispatches kept per session for RESUME replay. @defaultValue 1000 */
  resumeBufferSize: number;
  /** How long an interaction may wait for its first acknowledgement, in ms. @defaultValue 3000 */
  interactionAckMs: number;
  /** How long an interaction token stays valid for edits and follow-ups, in ms. @defaultValue 900000 (15 min) */
  interactionTokenTtlMs: number;
}

/** The defaults of {@link SandboxOptions}. */
export const DefaultSandboxOptions = {
  host: '127.0.0.1',
  port: 0,
  botToken: '',
  botUsername: 'Chorus',
  rateLimits: {},
  enabledPrivilegedIntents: (1 << 1) | (1 << 8) | (1 << 15),
  heartbeatIntervalMs: 41_250,
  resumeBufferSize: 1000,
  interactionAckMs: 3000,
  interactionTokenTtlMs: 15 * 60 * 1000,
} as const satisfies Required<SandboxOptions>;
