import type { CommandOptionView, CommandView } from '../server/playground-world.js';
import { h } from './element.js';
import { attachSuggestions } from './option-suggestions.js';
import type { CommandFileInput, CommandRequest, Suggest } from './playground-api.js';

/** Discord's option types the palette draws. @see https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-type */
const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  Number: 10,
  Attachment: 11,
} as const;

function buildOptionInput(option: CommandOptionView): HTMLElement {
  const name = option.name;
  if (option.choices.length > 0) {
    return h(
      'select',
      { name, 'data-option': name },
      h('option', { value: '' }, option.required ? 'Choose…' : '(none)'),
      ...option.choices.map((choice) => h('option', { value: String(choice.value) }, choice.name)),
    );
  }
  if (option.type === OptionType.Boolean) {
    return h(
      'select',
      { name, 'data-option': name },
      h('option', { value: '' }, '(none)'),
      h('option', { value: 'true' }, 'True'),
      h('option', { value: 'false' }, 'False'),
    );
  }
  if (option.type === OptionType.Attachment) {
    return h('input', { name, 'data-option': name, type: 'file', required: option.required });
  }
  const numeric = option.type === OptionType.Integer || option.type === OptionType.Number;
  return h('input', {
    name,
    'data-option': name,
    type: numeric ? 'number' : 'text',
    step: option.type === OptionType.Number ? 'any' : undefined,
    placeholder: option.description,
    required: option.required,
  });
}

/** Reads a form of {@link buildOptionInput}s into typed option values, leaving out empty ones. */
function readOptions(
  form: HTMLElement,
  options: readonly CommandOptionView[],
): Record<string, string | number | boolean> {
  const values: Record<string, string | number | boolean> = {};
  for (const option of options) {
    if (option.type === OptionType.Attachment) continue;
    const input = form.querySelector<HTMLInputElement | HTMLSelectElement>(`[data-option="${option.name}"]`);
    const raw = input?.value.trim() ?? '';
    if (raw === '') continue;
    if (option.type === OptionType.Boolean) values[option.name] = raw === 'true';
    else if (option.type === OptionType.Integer || option.type === OptionType.Number)
      values[option.name] = Number(raw);
    else if (option.choices.some((choice) => typeof choice.value === 'number'))
      values[option.name] = Number(raw);
    else values[option.name] = raw;
  }
  return values;
}

/** Reads the files chosen for ATTACHMENT options, base64-encoded for the JSON body. */
async function readFiles(
  form: HTMLElement,
  options: readonly CommandOptionView[],
): Promise<Record<string, CommandFileInput>> {
  const files: Record<string, CommandFileInput> = {};
  for (const option of options) {
    if (option.type !== OptionType.Attachment) continue;
    const file = form.querySelector<HTMLInputElement>(`[data-option="${option.name}"]`)?.files?.[0];
    if (!file) continue;
    const bytes = new Uint8Array(await file.arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    files[option.name] = { filename: file.name, contentType: file.type || null, dataBase64: btoa(binary) };
  }
  return files;
}

/** Slash command palette: pick a command (and subcommand), fill its options, run it. */
export function buildCommandPalette(
  commands: readonly CommandView[],
  run: (request: CommandRequest) => Promise<string | null>,
  suggest: Suggest,
): HTMLElement {
  const panel = h('section', { class: 'panel command-palette' }, h('h2', {}, 'Slash commands'));
  const filter = h('input', { type: 'search', class: 'palette-filter', placeholder: 'Search commands' });
  const list = h('div', { class: 'palette-list' });
  const form = h('form', { class: 'palette-form' });
  const status = h('div', { class: 'panel-status', role: 'status' });
  const entries = commands.flatMap((command) => {
    const subcommands = command.options.filter((option) => option.type === OptionType.Subcommand);
    if (subcommands.length === 0) return [{ command, subcommand: null as CommandOptionView | null }];
    return subcommands.map((subcommand) => ({ command, subcommand }));
  });
  const show = (entry: (typeof entries)[number]) => {
    const options = entry.subcommand ? entry.subcommand.options : entry.command.options;
    const label = `/${entry.command.name}${entry.subcommand ? ` ${entry.subcommand.name}` : ''}`;
    const request = (values: CommandRequest['options']): CommandRequest => ({
      name: entry.command.name,
      subcommand: entry.subcommand?.name ?? null,
      options: values,
    });
    form.replaceChildren(
      h('h3', {}, label),
      h('p', { class: 'hint' }, entry.subcommand?.description ?? entry.command.description),
      ...options.map((option) => {
        const input = buildOptionInput(option);
        const suggestions =
          option.autocomplete && input instanceof HTMLInputElement
            ? attachSuggestions(input, option.name, () => request(readOptions(form, options)), suggest)
            : null;
        return h(
          'label',
          {},
          h('span', {}, `${option.name}${option.required ? ' *' : ''}`),
          input,
          suggestions,
        );
      }),
      h('button', { type: 'submit', class: 'primary' }, `Run ${label}`),
    );
    form.onsubmit = (event) => {
      event.preventDefault();
      status.textContent = 'Running…';
      readFiles(form, options)
        .then((files) => run(request({ ...readOptions(form, options), ...files })))
        .then(
          (answer) => {
            status.textContent = answer ?? 'Sent; the answer appears in the channel.';
          },
          (error: unknown) => {
            status.textContent = error instanceof Error ? error.message : String(error);
          },
        );
    };
  };
  const renderList = () => {
    const query = filter.value.trim().replace(/^\//u, '').toLowerCase();
    list.replaceChildren(
      ...entries
        .filter((entry) => `${entry.command.name} ${entry.subcommand?.name ?? ''}`.includes(query))
        .map((entry) =>
          h(
            'button',
            { type: 'button', class: 'palette-entry', onclick: () => show(entry) },
            h('strong', {}, `/${entry.command.name}${entry.subcommand ? ` ${entry.subcommand.name}` : ''}`),
            h('span', {}, entry.subcommand?.description ?? entry.command.description),
          ),
        ),
    );
  };
  filter.addEventListener('input', renderList);
  renderList();
  panel.append(filter, list, form, status);
  return panel;
}
