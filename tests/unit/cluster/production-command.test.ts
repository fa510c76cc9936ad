import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readNodeScriptArguments } from '../../../scripts/cluster/production-command.js';

describe('readNodeScriptArguments', () => {
  const folder = mkdtempSync(join(tmpdir(), 'chorus-scripts-'));
  const packageJson = (scripts: Record<string, string>) => {
    const path = join(folder, `${Object.keys(scripts).join('-') || 'none'}.json`);
    writeFileSync(path, JSON.stringify({ scripts }));
    return path;
  };

  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("reads the repository's own worker command, heap flags and entry", () => {
    expect(readNodeScriptArguments('package.json', 'start:worker:prod')).toEqual([
      '--max-old-space-size=512',
      '--max-semi-space-size=16',
      '--heap-growing-percent=25',
      'dist/workers/reply-worker.js',
    ]);
  });

  it('keeps the arguments of a plain node command, whatever the spacing', () => {
    expect(readNodeScriptArguments(packageJson({ a: '  node   --flag  dist/a.js ' }), 'a')).toEqual([
      '--flag',
      'dist/a.js',
    ]);
  });

  it.each([
    ['a missing script', {}],
    ['another program', { a: 'tsx src/a.ts' }],
    ['node alone', { a: 'node' }],
    ['shell syntax', { a: 'node dist/a.js && rm -rf /' }],
    ['a variable', { a: 'node $FLAGS dist/a.js' }],
  ])('refuses %s', (_case, scripts) => {
    expect(() => readNodeScriptArguments(packageJson(scripts), 'a')).toThrow(/not a plain/);
  });
});
