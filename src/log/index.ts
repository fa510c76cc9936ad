export {
  type CorrelationContext,
  currentCorrelation,
  newCorrelationId,
  runWithCorrelation,
} from './correlation.js';
export { exitWithFatalError } from './fatal-error.js';
export { createLogger, type Logger, type LoggerSettings } from './logger.js';
export { REDACT_PATHS, scrubSecrets, scrubValue } from './redaction.js';
