import type { PromptRecord } from '../../src/inspector/index.js';
import { h } from './element.js';

/** A prompt message's content as text: a string, or the text parts of OpenAI content parts (images named). */
function describeContent(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return JSON.stringify(content, null, 2);
  return content
    .map((part: unknown) => {
      const record = typeof part === 'object' && part !== null ? (part as Record<string, unknown>) : {};
      if (typeof record['text'] === 'string') return record['text'];
      return `[${String(record['type'] ?? 'part')}]`;
    })
    .join('\n');
}

/** Each step of the reply, with the time since it was queued. */
function buildTimings(record: PromptRecord): HTMLElement {
  const { queuedAt, startedAt, firstTokenAt, postedAt } = record.timings;
  const steps: [string, number | null][] = [
    ['queued', queuedAt],
    ['started', startedAt],
    ['AI first token', firstTokenAt],
    ['posted', postedAt],
  ];
  return h(
    'ol',
    { class: 'timings' },
    ...steps.map(([label, at]) =>
      h(
        'li',
        { 'data-step': label },
        h('span', { class: 'step' }, label),
        h('span', { class: 'at' }, at === null ? '—' : `+${at - queuedAt} ms`),
      ),
    ),
  );
}

/** The inspector: what the AI received for one reply, and when each step happened. */
export function buildInspectorPanel(record: PromptRecord | null, problem: string | null): HTMLElement {
  const panel = h('section', { class: 'panel inspector' }, h('h2', {}, 'Inspector'));
  if (record === null) {
    panel.append(h('p', { class: 'hint' }, problem ?? 'Click Inspect on a personality’s reply.'));
    return panel;
  }
  panel.append(
    h('p', { class: 'hint' }, `${record.personalityName} · ${record.model}`),
    h('p', { class: 'error' }, record.error ?? ''),
    buildTimings(record),
    h('h3', {}, 'Prompt'),
    h(
      'div',
      { class: 'prompt' },
      ...record.messages.map((message) =>
        h(
          'div',
          { class: `prompt-message role-${message.role}` },
          h('div', { class: 'role' }, message.role),
          h('pre', {}, describeContent(message.content)),
        ),
      ),
    ),
  );
  return panel;
}
