import { z } from 'zod';

/** How a server treats public personalities: all may answer (minus blocks), or only the listed ones. */
export const PersonalityMode = z.enum(['allow-all', 'allowlist']);
export type PersonalityMode = z.infer<typeof PersonalityMode>;

/** Where personalities answer: everywhere, only in the listed channels, or everywhere but them. Threads follow their parent. */
export const ChannelMode = z.enum(['everywhere', 'only', 'except']);
export type ChannelMode = z.infer<typeof ChannelMode>;

const Snowflake = z.string().regex(/^\d{17,20}$/u);

/** The most entries each of a server's lists (and its aliases) may hold. */
export const GuildSettingsCaps = {
  allowedPersonalityIds: 200,
  blockedPersonalityIds: 200,
  blockedNames: 200,
  aliases: 200,
  channelIds: 500,
} as const;

/**
 * What a server decided about personalities (`/server`). Absent settings mean {@link DefaultGuildSettings}:
 * every usable personality answers everywhere, as before servers could choose. `version` grows by one with every
 * change, so concurrent admins never overwrite each other silently.
 */
export const GuildSettingsSchema = z.object({
  version: z.number().int().min(0),
  personalityMode: PersonalityMode,
  /** Personality ids that answer in `allowlist` mode. */
  allowedPersonalityIds: z.array(z.string().min(1)).max(GuildSettingsCaps.allowedPersonalityIds),
  /** Personality ids that never answer here (public ones of others, or anyone's: rules apply to all). */
  blockedPersonalityIds: z.array(z.string().min(1)).max(GuildSettingsCaps.blockedPersonalityIds),
  /** Normalized names: every public personality of such a name is blocked here. */
  blockedNames: z.array(z.string().min(1).max(80)).max(GuildSettingsCaps.blockedNames),
  /** Normalized server-local alias → personality id (`@Guide` → Alice here only). */
  aliases: z
    .record(z.string().min(1).max(80), z.string().min(1))
    .refine((aliases) => Object.keys(aliases).length <= GuildSettingsCaps.aliases, {
      message: `at most ${GuildSettingsCaps.aliases} aliases`,
    }),
  channelMode: ChannelMode,
  /** The channels `only` or `except` lists (parents; a thread follows its parent). */
  channelIds: z.array(Snowflake).max(GuildSettingsCaps.channelIds),
  /** A role a member must have to talk to personalities; null = anyone. */
  requiredRoleId: Snowflake.nullable(),
  /** A role that may `/activate`, besides Manage Channels; null = none. */
  activatorRoleId: Snowflake.nullable(),
  /** Stricter per-user limits in this server (never looser than the operator's); null = the operator's. */
  userMaxPending: z.number().int().min(1).nullable(),
  userRatePerMinute: z.number().int().min(1).nullable(),
  /** Whether personalities marked NSFW may answer here (and then only in age-restricted channels). */
  allowNsfw: z.boolean(),
});
export type GuildSettings = z.infer<typeof GuildSettingsSchema>;

export const DefaultGuildSettings: GuildSettings = Object.freeze({
  version: 0,
  personalityMode: 'allow-all',
  allowedPersonalityIds: [],
  blockedPersonalityIds: [],
  blockedNames: [],
  aliases: {},
  channelMode: 'everywhere',
  channelIds: [],
  requiredRoleId: null,
  activatorRoleId: null,
  userMaxPending: null,
  userRatePerMinute: null,
  allowNsfw: false,
}) as GuildSettings;
