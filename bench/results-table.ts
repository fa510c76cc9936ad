import type { RatioCheck } from './ratio-check.js';
import type { BenchResults } from './results-file.js';
import type { ScenarioResult, Target } from './scenario-result.js';

/** Formats a figure for the table: NaN (nothing measured) as n/a, few but enough digits. */
export function formatFigure(value: number | null, unit = ''): string {
  if (value === null) return '';
  if (Number.isNaN(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === '' ? text : ['/s', '%', '×'].includes(unit) ? `${text}${unit}` : `${text} ${unit}`;
}

function formatTarget(target: Target | null, unit: string): string {
  if (target === null) return '';
  const op = { '<=': '≤', '>=': '≥', '==': '=' }[target.op];
  return `${op} ${formatFigure(target.value, unit)}`;
}

function formatPass(pass: boolean | null): string {
  return pass === null ? '' : pass ? 'pass' : 'FAIL';
}

function formatRatio(ratio: number | null): string {
  if (ratio === null) return '';
  if (Number.isNaN(ratio)) return 'n/a';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/**
 * The targets: every ratio against its baseline of the same run, then every other figure with a target (counts,
 * Discord's limits, memory); the README's table is this one (see readme-table.ts).
 */
export function formatTargetsTable(results: readonly ScenarioResult[]): string {
  const header = ['Scenario', 'Figure', 'Chorus', 'Baseline (same run)', 'Ratio', 'Target', 'Result'];
  const rows: string[][] = [];
  for (const result of results) {
    const ratioRows = result.ratios.map((check: RatioCheck) => [
      check.name,
      formatFigure(check.value, check.unit),
      `${formatFigure(check.baseline, check.unit)} (${check.baselineName})`,
      formatRatio(check.ratio),
      formatTarget(check.target, '×'),
      formatPass(check.pass),
    ]);
    const targetRows = result.checks
      .filter((check) => check.target !== null)
      .map((check) => [
        check.name,
        formatFigure(check.value, check.unit),
        '—',
        '',
        formatTarget(check.target, check.unit),
        formatPass(check.pass),
      ]);
    const scenarioRows =
      result.error === null ? [...ratioRows, ...targetRows] : [['scenario broke', '', '', '', '', 'ERROR']];
    scenarioRows.forEach((cells, index) => {
      rows.push([index === 0 ? result.id : '', ...cells]);
    });
  }
  return formatTable(header, rows);
}

/** The README's table: a line saying when, on what and on which commit the run was made, then the targets. */
export function formatReadmeTable(run: BenchResults): string {
  const { machine } = run;
  const when = `${run.startedAt.slice(0, 16).replace('T', ' ')} UTC`;
  const what = `${run.quick ? 'quick run' : 'full run'} of ${run.commit ?? 'an unknown commit'}`;
  const where = `${machine.cores} × ${machine.cpuModel}, ${machine.memoryGb} GB, Node ${machine.node.replace(/^v/, '')}, Redis ${machine.redis}`;
  return `\`npm run bench\`, ${when}, ${what}; ${where}:\n\n${formatTargetsTable(run.scenarios)}`;
}

/**
 * The printed tables: one row per check, with FIFO's figure and the ratio where the scenario has a baseline; then,
 * where scenarios have variants, their plain run beside each variant with the ratio to it.
 */
export function formatResultsTable(results: readonly ScenarioResult[]): string {
  const tables = [formatTargetsTable(results), formatChecksTable(results), formatVariantsTable(results)];
  return tables.filter((table) => table !== null).join('\n\n');
}

function formatChecksTable(results: readonly ScenarioResult[]): string {
  const header = ['Scenario', 'Figure', 'Chorus', 'FIFO', 'Chorus/FIFO', 'Target', 'Result'];
  const rows: string[][] = [];
  for (const result of results) {
    if (result.error !== null) {
      rows.push([result.id, 'scenario broke', '', '', '', result.target, 'ERROR']);
      continue;
    }
    result.checks.forEach((check, index) => {
      rows.push([
        index === 0 ? result.id : '',
        check.name,
        formatFigure(check.value, check.unit),
        formatFigure(check.fifo, check.unit),
        formatRatio(check.ratio),
        formatTarget(check.target, check.unit),
        formatPass(check.pass),
      ]);
    });
  }
  return formatTable(header, rows);
}

/**
 * Each variant row: the plain run's figure (fair queue), then per variant its figure and its ratio to the plain
 * one; null when no scenario has variants.
 */
function formatVariantsTable(results: readonly ScenarioResult[]): string | null {
  const labels = [
    ...new Set(
      results.flatMap((result) => result.variantRows.flatMap((row) => row.variants.map((v) => v.variant))),
    ),
  ];
  if (labels.length === 0) return null;
  const header = [
    'Scenario',
    'Figure (fair queue)',
    'Plain',
    ...labels.flatMap((label) => [label, '÷ plain']),
  ];
  const rows = results.flatMap((result) =>
    result.variantRows.map((row, index) => [
      index === 0 ? result.id : '',
      row.name,
      formatFigure(row.plain, row.unit),
      ...labels.flatMap((label) => {
        const figure = row.variants.find((variant) => variant.variant === label);
        return figure === undefined
          ? ['', '']
          : [formatFigure(figure.value, row.unit), formatRatio(figure.ratio)];
      }),
    ]),
  );
  return formatTable(header, rows);
}

function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}
