import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { exitWithFatalError } from '../../../src/log/index.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('exitWithFatalError', () => {
  it('logs the error at fatal through pino, redacted, and exits with code 1', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    const error = new Error(
      'login failed for token Bot MTAxMDEwMTAxMDEwMTAxMDEw.Gabcde.abcdefghijklmnopqrstuvwxyz0123456789',
    );
    exitWithFatalError('worker', 'worker failed to start', error, destination);
    expect(exit).toHaveBeenCalledWith(1);
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({ level: 60, service: 'worker', msg: 'worker failed to start' });
    expect(lines[0]).toContain('login failed');
    expect(lines[0]).not.toContain('abcdefghijklmnopqrstuvwxyz0123456789');
  });
});
