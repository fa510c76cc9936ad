export {
  type Config,
  ConfigError,
  DEFAULT_PROVIDER_NAME,
  loadConfig,
  loadConfigOrExit,
  type ProviderConfig,
} from './config.js';
export { DISCORD_ATTACHMENT_HOSTS, type Env, EnvSchema, SECRET_VARIABLES } from './config-schema.js';
