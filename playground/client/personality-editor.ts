import { h } from './element.js';
import { attachSuggestions } from './option-suggestions.js';
import type { CommandRequest, Suggest } from './playground-api.js';

/** The fields the editor offers, in order, with the option each fills. */
const FIELDS = [
  { option: 'prompt', label: 'System prompt', multiline: true },
  { option: 'avatar', label: 'Avatar URL (https, or "none")', multiline: false },
  { option: 'model', label: 'Model', multiline: false },
  { option: 'temperature', label: 'Temperature (0–2)', multiline: false },
] as const;

/**
 * Creates and edits personalities with `/personality create` and `/personality edit`, exactly the commands a
 * person runs in Discord: the panel only fills their options.
 */
export function buildPersonalityEditor(
  run: (request: CommandRequest) => Promise<string | null>,
  suggest: Suggest,
): HTMLElement {
  const mode = h(
    'select',
    { name: 'mode', class: 'editor-mode' },
    h('option', { value: 'create' }, 'Create a personality'),
    h('option', { value: 'edit' }, 'Edit one of mine'),
  );
  const name = h('input', { name: 'name', required: true, placeholder: 'Name: people write @Name' });
  // Editing names one of the person's personalities: the bot suggests them, as Discord's autocomplete does.
  const nameSuggestions = attachSuggestions(
    name,
    'name',
    () => ({ name: 'personality', subcommand: 'edit', options: { name: name.value } }),
    (command, focused) => (mode.value === 'edit' ? suggest(command, focused) : Promise.resolve([])),
  );
  const newName = h('input', { name: 'new-name', placeholder: 'New name (edit only)' });
  const visibility = h(
    'select',
    { name: 'visibility' },
    h('option', { value: '' }, '(unchanged / default)'),
    h('option', { value: 'public' }, 'public'),
    h('option', { value: 'private' }, 'private'),
  );
  const inputs = FIELDS.map((field) => ({
    field,
    input: field.multiline
      ? h('textarea', { name: field.option, rows: '5' })
      : h('input', { name: field.option }),
  }));
  const status = h('div', { class: 'panel-status', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run /personality create');
  const form = h(
    'form',
    { class: 'personality-form' },
    h('label', {}, h('span', {}, 'Action'), mode),
    h('label', {}, h('span', {}, 'Name *'), name, nameSuggestions),
    h('label', { class: 'edit-only' }, h('span', {}, 'New name'), newName),
    ...inputs.map(({ field, input }) => h('label', {}, h('span', {}, field.label), input)),
    h('label', {}, h('span', {}, 'Visibility'), visibility),
    submit,
  );
  const sync = () => {
    form.dataset['mode'] = mode.value;
    submit.textContent = `Run /personality ${mode.value}`;
  };
  mode.addEventListener('change', sync);
  sync();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const options: Record<string, string | number> = { name: name.value.trim() };
    if (mode.value === 'edit' && newName.value.trim() !== '') options['new-name'] = newName.value.trim();
    for (const { field, input } of inputs) {
      const value = input.value.trim();
      if (value === '') continue;
      options[field.option] = field.option === 'temperature' ? Number(value) : value;
    }
    if (visibility.value !== '') options['visibility'] = visibility.value;
    status.textContent = 'Running…';
    run({ name: 'personality', subcommand: mode.value, options }).then(
      (answer) => {
        status.textContent = answer ?? 'Sent; the answer appears in the channel.';
      },
      (error: unknown) => {
        status.textContent = error instanceof Error ? error.message : String(error);
      },
    );
  });
  return h(
    'section',
    { class: 'panel personality-editor' },
    h('h2', {}, 'Personality editor'),
    h('p', { class: 'hint' }, 'Runs /personality create or /personality edit as the person selected below.'),
    form,
    status,
  );
}
