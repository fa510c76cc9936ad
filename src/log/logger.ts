import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { currentCorrelation } from './correlation.js';
import { REDACT_PATHS, scrubValue } from './redaction.js';

export type { Logger } from 'pino';

/** What the mixin returns outside any correlation scope: one shared object, so such lines allocate nothing. */
const NO_CORRELATION: object = Object.freeze({});

/** Options for {@link createLogger}. */
export interface LoggerSettings {
  /** pino level. @defaultValue 'info' */
  level: string;
  /** Process role, stamped on every line (`gateway`, `worker`, …). */
  service: string;
  /** Human-readable output; only when stdout is a terminal. @defaultValue process.stdout.isTTY */
  pretty: boolean;
}

/**
 * The root logger. Child loggers use fixed field names (`userId`, `guildId`, `channelId`, `threadId`,
 * `jobId`, `personalityId`, `webhookId`, `discordCode`, `bucket`, `retryAfterMs`, `breaker`).
 * Secrets are removed twice: by key (`redact`) and by pattern inside strings (`scrubValue`).
 * Inside `runWithCorrelation()` every line also carries the current correlation fields (`correlationId`, …).
 */
export function createLogger(
  settings: Partial<LoggerSettings> = {},
  destination?: DestinationStream,
): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service ?? 'chorus' },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
    serializers: { err: (error: unknown) => scrubValue(error), error: (error: unknown) => scrubValue(error) },
    formatters: { log: (object) => scrubValue(object, 3) as Record<string, unknown> },
    mixin: () => currentCorrelation() ?? NO_CORRELATION,
    // pino's default strategy Object.assign()s the line's fields INTO the mixin result, but ours is the
    // frozen correlation context itself (shared, not copied per line): merge into a new object instead, and
    // not at all outside a correlation scope. Fields of the log call still win.
    mixinMergeStrategy: (mergeObject, mixinObject) =>
      mixinObject === NO_CORRELATION ? mergeObject : { ...mixinObject, ...mergeObject },
    hooks: {
      logMethod(args, method) {
        // Scrub the message text and printf arguments too, not only the merged object.
        method.apply(this, args.map((arg) => scrubValue(arg, 3)) as Parameters<typeof method>);
      },
    },
  };
  if (destination) return pino(options, destination);
  const pretty = settings.pretty ?? (process.stdout.isTTY === true && isPrettyPrinterInstalled());
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } },
    });
  }
  return pino(options);
}

/** pino-pretty is a dev dependency: production images lack it, so a TTY there still gets JSON. */
function isPrettyPrinterInstalled(): boolean {
  try {
    import.meta.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}
