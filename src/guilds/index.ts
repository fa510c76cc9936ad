export {
  ChannelMode,
  DefaultGuildSettings,
  type GuildSettings,
  GuildSettingsCaps,
  GuildSettingsSchema,
  PersonalityMode,
} from './guild-settings.js';
export {
  type GuildSettingsChange,
  GuildSettingsConflictError,
  GuildSettingsRepository,
  type GuildSettingsRepositoryOptions,
} from './guild-settings-repository.js';
export { buildGuildSettingsKey, buildGuildTag } from './keys.js';
