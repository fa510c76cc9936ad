export { isAgeRestrictedChannel } from './channel-age.js';
export {
  checkPersonalityPolicy,
  createPolicyLookup,
  type PolicyContext,
  type PolicyPersonality,
  type PolicyRefusal,
  type PolicyVerdict,
} from './guild-policy.js';
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
export { buildGuildSettingsKey, buildGuildTag, buildPolicyNoticeKey } from './keys.js';
export { describePolicyRefusal } from './policy-messages.js';
export { PolicyNoticeRepository, type PolicyNoticeRepositoryOptions } from './policy-notice-repository.js';
