import type { Personality } from './personality.js';

/** Longest value quoted in a change line; longer ones are only said to have changed. */
const QUOTED_MAX = 60;

const DESCRIBED_FIELDS = [
  ['name', 'name'],
  ['aliases', 'aliases'],
  ['systemPrompt', 'prompt'],
  ['avatarUrl', 'avatar'],
  ['provider', 'provider'],
  ['model', 'model'],
  ['temperature', 'temperature'],
  ['visibility', 'visibility'],
  ['nsfw', 'nsfw'],
  ['editorIds', 'co-editors'],
] as const satisfies ReadonlyArray<readonly [keyof Personality, string]>;

function show(value: unknown): string {
  if (value === null) return 'none';
  const text = Array.isArray(value) ? value.join(', ') || 'none' : String(value);
  return text.length > QUOTED_MAX ? '' : `"${text}"`;
}

/**
 * What differs between two versions of a personality, one line per field as a user names it
 * (`model: "a" → "b"`, or just `prompt changed` for a long value). Empty when nothing a user sees differs.
 */
export function describePersonalityChanges(before: Personality, after: Personality): string[] {
  return DESCRIBED_FIELDS.flatMap(([field, label]) => {
    const from = before[field];
    const to = after[field];
    if (JSON.stringify(from) === JSON.stringify(to)) return [];
    const [shownFrom, shownTo] = [show(from), show(to)];
    return shownFrom === '' || shownTo === ''
      ? [`${label} changed`]
      : [`${label}: ${shownFrom} → ${shownTo}`];
  });
}
