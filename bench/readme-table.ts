/**
 * `npx tsx bench/readme-table.ts [results.json]`: renders a run's `bench/results.json` as the README's table of
 * targets (date, commit and machine on top), to paste over the README's current one.
 */
import { readFile } from 'node:fs/promises';
import { parseBenchResults } from './results-file.js';
import { formatReadmeTable } from './results-table.js';

const file = process.argv[2] ?? new URL('./results.json', import.meta.url);
console.log(formatReadmeTable(parseBenchResults(await readFile(file, 'utf8'))));
