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
  ['contextMode', 'context'],
  ['memoryScope', 'memory'],
  ['fallbackModels', 'fallbacks'],
  ['streamReplies', 'stream'],
  ['editorIds', 'co-editors'],
] as const satisfies ReadonlyArray<readonly [keyof Personality, string]>;

/** A value as a change line quotes it; '' when it is too long to quote (or ids, which say nothing to a user). */
function show(value: unknown, field: keyof Personality): string {
  if (field === 'editorIds') return '';
  // As `/personality edit stream:` names the choices.
  if (field === 'streamReplies') return value === null ? '"default"' : value === true ? '"on"' : '"off"';
  if (value === null || (Array.isArray(value) && value.length === 0)) return 'none';
  const text = Array.isArray(value) ? value.map(showItem).join(', ') : String(value);
  return text.length > QUOTED_MAX ? '' : `"${text}"`;
}

/** A list item: a fallback model as `provider/model`, anything else as itself. */
function showItem(item: unknown): string {
  if (typeof item === 'object' && item !== null && 'provider' in item && 'model' in item) {
    return `${String(item.provider)}/${String(item.model)}`;
  }
  return String(item);
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
    const [shownFrom, shownTo] = [show(from, field), show(to, field)];
    return shownFrom === '' || shownTo === ''
      ? [`${label} changed`]
      : [`${label}: ${shownFrom} → ${shownTo}`];
  });
}
