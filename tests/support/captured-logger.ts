import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/index.js';

/** A logger whose output stays in memory, for tests that check what was logged. */
export interface CapturedLogger {
  readonly logger: Logger;
  /** Each line as written: the JSON text, redaction already applied. */
  readonly lines: string[];
  /** The same lines, parsed. */
  readonly records: Record<string, unknown>[];
}

/** A `service: 'test'` logger at `level` that keeps every line it writes. */
export function createCapturedLogger(level = 'debug'): CapturedLogger {
  const lines: string[] = [];
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString();
      lines.push(line);
      records.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ level, service: 'test' }, stream), lines, records };
}
