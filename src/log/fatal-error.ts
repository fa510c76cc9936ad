import type { DestinationStream } from 'pino';
import { createLogger } from './logger.js';

/**
 * For process entry points: logs the error that ends the process through pino (so redacted like every line),
 * then exits with code 1. It makes its own logger, as the failure may come before the config that sets the
 * level: JSON, written synchronously, so the line is out before the process exits.
 */
export function exitWithFatalError(
  service: string,
  message: string,
  error: unknown,
  destination?: DestinationStream,
): never {
  createLogger({ service, pretty: false }, destination).fatal({ err: error }, message);
  process.exit(1);
}
