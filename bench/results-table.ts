import type { Check, ScenarioResult } from './scenario-result.js';

/** Formats a figure for the table: NaN (nothing measured) as n/a, few but enough digits. */
export function formatFigure(value: number | null, unit = ''): string {
  if (value === null) return '';
  if (Number.isNaN(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return unit === '' ? text : ['/s', '%', '×'].includes(unit) ? `${text}${unit}` : `${text} ${unit}`;
}

function formatTarget(check: Check): string {
  if (check.target === null) return '';
  const op = { '<=': '≤', '>=': '≥', '==': '=' }[check.target.op];
  return `${op} ${formatFigure(check.target.value, check.unit)}`;
}

function formatRatio(ratio: number | null): string {
  if (ratio === null || Number.isNaN(ratio)) return '';
  return `${ratio >= 100 ? ratio.toFixed(0) : ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2)}×`;
}

/**
 * The printed tables: one row per check, with FIFO's figure and the ratio where the scenario has a baseline; then,
 * where scenarios have variants, their plain run beside each variant with the ratio to it.
 */
export function formatResultsTable(results: readonly ScenarioResult[]): string {
  const variants = formatVariantsTable(results);
  return variants === null ? formatChecksTable(results) : `${formatChecksTable(results)}\n\n${variants}`;
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
        formatTarget(check),
        check.pass === null ? '' : check.pass ? 'pass' : 'FAIL',
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
