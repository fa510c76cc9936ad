/**
 * Fenced code blocks in Discord markdown, found the way Discord (CommonMark-like) finds them: a run of three
 * or more backticks or tildes at a line start (up to three spaces of indentation) opens a block, and a run of
 * the same character, at least as long and alone on its line, closes it. A backtick fence's info string may
 * not contain backticks (that is inline code). Pure and linear in the text's length.
 */

/** One fenced block. Indexes are UTF-16 offsets into the scanned text. */
export interface FencedBlock {
  /** Start of the opening fence's line. */
  readonly lineStart: number;
  /** Index of the opening marker (after any indentation). */
  readonly openStart: number;
  /** Start of the closing fence line, or null when the block runs to the end of the text. */
  readonly closeStart: number | null;
  /** End of the closing fence line (before its newline), or the text's length. */
  readonly closeEnd: number;
  /** The opening run (```` ``` ````, ```` ```` ````, `~~~`). */
  readonly marker: string;
  /** The opening line after the marker, trimmed (`ts`, `js title="x"`, or ''). */
  readonly info: string;
}

/** Options for {@link findFencedBlocks}. */
export interface FencedBlockOptions {
  /** Longer marker runs are text, not fences. @defaultValue Infinity */
  readonly maxMarkerLength: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/u;
const FENCE_CLOSE = /^ {0,3}(`{3,}|~{3,})[ \t]*$/u;

/** Every fenced block of `text`, in order; the last one may be unclosed. */
export function findFencedBlocks(text: string, options: Partial<FencedBlockOptions> = {}): FencedBlock[] {
  const maxMarkerLength = options.maxMarkerLength ?? Number.POSITIVE_INFINITY;
  const blocks: FencedBlock[] = [];
  let open: {
    readonly lineStart: number;
    readonly openStart: number;
    readonly marker: string;
    readonly info: string;
  } | null = null;
  for (let lineStart = 0; lineStart <= text.length; ) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/u, '');
    if (open === null) {
      const match = FENCE_OPEN.exec(line);
      const marker = match?.[1];
      const info = match?.[2] ?? '';
      const isFence =
        marker !== undefined &&
        marker.length <= maxMarkerLength &&
        !(marker[0] === '`' && info.includes('`'));
      if (isFence)
        open = { lineStart, openStart: lineStart + line.indexOf(marker), marker, info: info.trim() };
    } else {
      const marker = FENCE_CLOSE.exec(line)?.[1];
      if (
        marker !== undefined &&
        marker.length <= maxMarkerLength &&
        marker[0] === open.marker[0] &&
        marker.length >= open.marker.length
      ) {
        blocks.push({ ...open, closeStart: lineStart, closeEnd: lineStart + line.length });
        open = null;
      }
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  if (open !== null) blocks.push({ ...open, closeStart: null, closeEnd: text.length });
  return blocks;
}
