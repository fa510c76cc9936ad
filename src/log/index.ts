export {
  type CorrelationContext,
  currentCorrelation,
  newCorrelationId,
  runWithCorrelation,
} from './correlation.js';
export { createLogger, type Logger, type LoggerSettings } from './logger.js';
export { REDACT_PATHS, scrubSecrets, scrubValue } from './redaction.js';
