export { answerAutocomplete, buildPersonalityChoice, rankChoices } from './autocomplete.js';
export type { CommandConfig, CommandContext, CommandDependencies } from './command-context.js';
export {
  CommandHandler,
  type CommandHandlerOptions,
  type CommandHandlerSettings,
  createCommandHandler,
} from './command-handler.js';
export { CommandReplies } from './command-replies.js';
export {
  type ButtonAction,
  type ButtonTarget,
  buildCustomId,
  type ListScope,
  parseCustomId,
} from './custom-id.js';
export {
  buildCommandDefinitions,
  CommandName,
  OptionName,
  PERSONALITY_OPTIONS,
  SubcommandName,
} from './definitions.js';
export { type DeployTarget, deployCommands } from './deploy-commands.js';
export {
  DefaultInteractionClaimsOptions,
  InteractionClaims,
  type InteractionClaimsOptions,
} from './interaction-claims.js';
export { isInteractionGone } from './interaction-response.js';
export { PersonalityRuleMessages } from './messages.js';
export { buildPageWindow, type PageWindow } from './page-window.js';
export {
  AVATAR_URL_MAX_LENGTH,
  buildInvalidInputError,
  type FieldError,
  MAX_ALIASES,
  PERSONALITY_NAME_MAX_LENGTH,
  type PersonalityField,
  type PersonalityInput,
  type PersonalityRulesContext,
  type ProviderChoice,
  SYSTEM_PROMPT_MAX_LENGTH,
  type ValidationResult,
  type ValidPersonalityInput,
  validateAlias,
  validateAvatarUrl,
  validatePersonalityInput,
  validatePersonalityName,
  validateProviderModel,
  validateSystemPrompt,
  validateTemperature,
  validateVisibility,
} from './personality-rules.js';
export {
  buildPersonalityInfoEmbed,
  buildPersonalityListView,
  LIST_PAGE_SIZE,
  type MessageView,
  type PersonalityListPage,
} from './personality-views.js';
export {
  DefaultRegenerationRepositoryOptions,
  RegenerationRepository,
  type RegenerationRepositoryOptions,
} from './regeneration-repository.js';
export { findAnsweredMessageId, stripPersonalityMentions } from './reply-source.js';
export { buildStatusEmbed, type StatusSnapshot } from './status-view.js';
export { buildUserLimitState, type RawUserLimitFields, type UserLimitState } from './user-limit-state.js';
