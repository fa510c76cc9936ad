import { type APIActionRowComponent, type APIButtonComponent, ButtonStyle, ComponentType } from 'discord.js';
import { type ButtonTarget, buildCustomId } from './custom-id.js';

/** One row with a red confirm button and a grey cancel button. */
export function buildConfirmButtons(
  confirm: { readonly target: ButtonTarget; readonly label: string },
  cancel: { readonly target: ButtonTarget; readonly label: string },
): APIActionRowComponent<APIButtonComponent> {
  return {
    type: ComponentType.ActionRow,
    components: [
      {
        type: ComponentType.Button,
        style: ButtonStyle.Danger,
        custom_id: buildCustomId(confirm.target),
        label: confirm.label,
      },
      {
        type: ComponentType.Button,
        style: ButtonStyle.Secondary,
        custom_id: buildCustomId(cancel.target),
        label: cancel.label,
      },
    ],
  };
}
