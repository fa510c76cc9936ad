import { estimateTokens } from './token-estimate.js';

/** What the personality remembers of this person, shown after the system prompt (docs/memory.md). */
export interface PromptMemory {
  /** The rolling summary of what fell off the history; null when there is none. */
  readonly summary: string | null;
  /** Facts the user asked the personality to keep (`/memory add`), oldest first. */
  readonly notes: readonly string[];
  /** Most of the prompt budget the summary takes, a fraction (`MEMORY_SUMMARY_SHARE` / 100). */
  readonly summaryShare: number;
  /** Most of the prompt budget the notes take, a fraction (`MEMORY_NOTES_SHARE` / 100). */
  readonly notesShare: number;
}

/** What the shares cut from the memory. */
export interface MemoryCut {
  /** The summary was cut short. */
  readonly summaryCut: boolean;
  /** Notes left out (the newest go first). */
  readonly notesDropped: number;
}

/** Opens the summary's block. */
export const SUMMARY_HEADING = '[Memory: what you remember of earlier conversations with this person]';
/** Opens the notes' block. */
export const NOTES_HEADING = '[Notes this person asked you to always keep in mind]';
/** Ends a summary cut short. */
export const SUMMARY_CUT_MARKER = '[… the rest of the memory was cut to fit]';

/**
 * The memory block appended to the system prompt (pure): the summary within `summaryShare` of `budgetTokens`
 * (cut short, marked) and the notes within `notesShare` (whole notes, oldest kept). Empty text without memory.
 */
export function buildMemoryBlock(
  memory: PromptMemory,
  budgetTokens: number,
): { readonly text: string; readonly cut: MemoryCut } {
  const parts: string[] = [];
  let summaryCut = false;
  const summary = memory.summary?.trim() ?? '';
  if (summary.length > 0) {
    const room = Math.floor(budgetTokens * memory.summaryShare) - estimateTokens(SUMMARY_HEADING);
    const kept = cutToTokens(summary, room - estimateTokens(SUMMARY_CUT_MARKER) - 1);
    summaryCut = kept.length < summary.length;
    if (kept.length > 0) parts.push(SUMMARY_HEADING, summaryCut ? `${kept}\n${SUMMARY_CUT_MARKER}` : kept);
  }
  let notesDropped = 0;
  if (memory.notes.length > 0) {
    let room = Math.floor(budgetTokens * memory.notesShare) - estimateTokens(NOTES_HEADING);
    const kept: string[] = [];
    for (const note of memory.notes) {
      const line = `- ${note}`;
      const cost = estimateTokens(line) + 1;
      if (cost > room) break;
      room -= cost;
      kept.push(line);
    }
    notesDropped = memory.notes.length - kept.length;
    if (kept.length > 0) parts.push(NOTES_HEADING, ...kept);
  }
  return { text: parts.join('\n'), cut: { summaryCut, notesDropped } };
}

/** The longest start of `text` within about `tokens` estimated tokens ('' when none fits). */
function cutToTokens(text: string, tokens: number): string {
  if (tokens <= 0) return '';
  let length = text.length;
  let estimate = estimateTokens(text);
  // The estimate is close to proportional to length: a few proportional cuts converge.
  for (let attempt = 0; attempt < 8 && estimate > tokens && length > 0; attempt += 1) {
    length = Math.floor((length * tokens) / estimate) - 1;
    if (length > 0 && isHighSurrogate(text.charCodeAt(length - 1))) length -= 1;
    estimate = estimateTokens(text.slice(0, Math.max(0, length)));
  }
  return estimate > tokens ? '' : text.slice(0, Math.max(0, length));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
