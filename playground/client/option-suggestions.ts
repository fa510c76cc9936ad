import { h } from './element.js';
import type { CommandRequest, Suggest } from './playground-api.js';

/** Numbers the suggestion lists of this page (one page per module instance), so their ids never clash. */
let datalistCounter = 0;

/**
 * Gives an input the bot's autocomplete suggestions, asked as the person types (Discord sends an autocomplete
 * interaction per keystroke; the page asks when typing pauses). `command` reads the form's current values.
 */
export function attachSuggestions(
  input: HTMLInputElement,
  focused: string,
  command: () => CommandRequest,
  suggest: Suggest,
): HTMLElement {
  datalistCounter += 1;
  const list = h('datalist', { id: `suggestions-${datalistCounter}` });
  input.setAttribute('list', list.id);
  input.setAttribute('autocomplete', 'off');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ask = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      suggest(command(), focused).then(
        (choices) => {
          list.replaceChildren(
            ...choices.map((choice) => h('option', { value: String(choice.value) }, choice.name)),
          );
        },
        () => list.replaceChildren(),
      );
    }, 200);
  };
  input.addEventListener('focus', ask);
  input.addEventListener('input', ask);
  return list;
}
