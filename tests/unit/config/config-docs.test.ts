// Keeps the three descriptions of the environment in step: the schema, `.env.example` and the README table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EnvSchema } from '../../../src/config/index.js';

const root = new URL('../../../', import.meta.url);
const schemaNames = Object.keys(EnvSchema.shape);
const shape: Record<string, (typeof EnvSchema.shape)[keyof typeof EnvSchema.shape]> = EnvSchema.shape;

/** `NAME=value` lines of `.env.example`; `# NAME=value` counts too (documented, left unset on purpose). */
function parseEnvExample(text: string): Array<{ name: string; value: string; commented: boolean }> {
  return [...text.matchAll(/^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/gm)].map((match) => ({
    name: match[2]!,
    value: match[3]!,
    commented: match[1] !== undefined,
  }));
}

/** Rows of the README table between the config-table markers: `| \`NAME\` | default | meaning |`. */
function parseReadmeTable(text: string): Array<{ name: string; defaultCell: string }> {
  const start = text.indexOf('<!-- config-table:start -->');
  const end = text.indexOf('<!-- config-table:end -->');
  expect(start, 'README has the config-table markers').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(start);
  const rows = text
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .slice(2); // header and separator
  return rows.map((row) => {
    const cells = row.split('|').map((cell) => cell.trim());
    return { name: (cells[1] ?? '').replace(/`/g, ''), defaultCell: cells[2] ?? '' };
  });
}

/** What the README's Default column must say for a variable, derived from the schema itself. */
function expectedDefaultCell(name: string): string {
  const parsed = shape[name]!.safeParse(undefined);
  if (!parsed.success) return '**required**';
  return parsed.data === undefined ? 'unset' : `\`${String(parsed.data)}\``;
}

describe('.env.example', () => {
  const entries = parseEnvExample(readFileSync(new URL('.env.example', root), 'utf8'));

  it('lists every schema variable once, in schema order, and nothing else', () => {
    expect(entries.map((entry) => entry.name)).toEqual(schemaNames);
  });

  it('sets only values the schema accepts, apart from required ones left blank to fill in', () => {
    const invalid = entries
      .filter((entry) => !entry.commented)
      .filter((entry) => !(entry.value === '' && expectedDefaultCell(entry.name) === '**required**'))
      .filter((entry) => !shape[entry.name]!.safeParse(entry.value).success)
      .map((entry) => `${entry.name}=${entry.value}`);
    expect(invalid).toEqual([]);
  });
});

describe('README configuration table', () => {
  const rows = parseReadmeTable(readFileSync(new URL('README.md', root), 'utf8'));

  it('has one row per schema variable, in schema order, and nothing else', () => {
    expect(rows.map((row) => row.name)).toEqual(schemaNames);
  });

  it('states each default exactly as the schema applies it', () => {
    expect(rows.map((row) => [row.name, row.defaultCell])).toEqual(
      schemaNames.map((name) => [name, expectedDefaultCell(name)]),
    );
  });
});
