import type { MessageView } from '../server/message-view.js';
import { buildAvatar } from './avatar.js';
import { h } from './element.js';
import type { MentionNames } from './markdown-html.js';
import { buildMessageContent } from './message-content.js';

/** What a message element needs besides the message. */
export interface MessageElementContext {
  readonly names: MentionNames;
  readonly botName: string;
  /** The message a reply quotes, when the page has it. */
  findMessage(id: string): MessageView | undefined;
  /** Whether the inspector is on (personality replies get an Inspect button). */
  readonly inspecting: boolean;
  onReply(message: MessageView): void;
  onInspect(message: MessageView): void;
  onButton(message: MessageView, customId: string): void;
  /** Message context-menu commands (Discord's Apps menu), offered on personalities' replies. */
  readonly messageCommands: readonly string[];
  onMessageCommand(message: MessageView, name: string): void;
}

const TIME_FORMAT = new Intl.DateTimeFormat('en', { timeStyle: 'short' });

function buildReplyQuote(message: MessageView, context: MessageElementContext): HTMLElement | null {
  if (message.referencedMessageId === null) return null;
  const quoted = context.findMessage(message.referencedMessageId);
  if (!quoted) return h('div', { class: 'reply-quote' }, 'Original message was deleted');
  const snippet = quoted.content.length > 100 ? `${quoted.content.slice(0, 97)}…` : quoted.content;
  return h(
    'div',
    { class: 'reply-quote', 'data-reply-to': quoted.id },
    h('span', { class: 'reply-author' }, `@${quoted.authorName}`),
    ' ',
    h('span', { class: 'reply-snippet' }, snippet),
  );
}

function buildEmbeds(message: MessageView, context: MessageElementContext): HTMLElement[] {
  return message.embeds.flatMap((embed) => {
    if (typeof embed !== 'object' || embed === null) return [];
    const record = embed as Record<string, unknown>;
    const title = typeof record['title'] === 'string' ? record['title'] : null;
    const description = typeof record['description'] === 'string' ? record['description'] : null;
    const fields = Array.isArray(record['fields']) ? (record['fields'] as Record<string, unknown>[]) : [];
    return [
      h(
        'div',
        { class: 'embed' },
        title === null ? null : h('div', { class: 'embed-title' }, title),
        description === null ? null : buildMessageContent(description, context.names),
        ...fields.map((field) =>
          h(
            'div',
            { class: 'embed-field' },
            h('div', { class: 'embed-field-name' }, String(field['name'] ?? '')),
            buildMessageContent(String(field['value'] ?? ''), context.names),
          ),
        ),
      ),
    ];
  });
}

/** One message as Discord's channel view draws it. */
export function buildMessageElement(message: MessageView, context: MessageElementContext): HTMLElement {
  const commandLine =
    message.interactionUserId === null
      ? null
      : h(
          'div',
          { class: 'reply-quote command-line' },
          `${context.names.user(message.interactionUserId) ?? 'Someone'} used a command`,
        );
  const header = h(
    'div',
    { class: 'message-header' },
    h('span', { class: 'author' }, message.authorName),
    message.isApp ? h('span', { class: 'app-tag', title: 'Verified app' }, 'APP') : null,
    h(
      'time',
      { class: 'sent-at', datetime: new Date(message.createdAt).toISOString() },
      TIME_FORMAT.format(message.createdAt),
    ),
  );
  const body = message.loading
    ? h('div', { class: 'content loading' }, `${context.botName} is thinking…`)
    : buildMessageContent(message.content, context.names);
  if (message.editedAt !== null && !message.loading) body.append(h('span', { class: 'edited' }, ' (edited)'));
  const actions = h(
    'div',
    { class: 'message-actions' },
    h(
      'button',
      { type: 'button', class: 'reply-button', title: 'Reply', onclick: () => context.onReply(message) },
      'Reply',
    ),
    ...(message.isApp && message.interactionUserId === null
      ? context.messageCommands.map((name) =>
          h(
            'button',
            {
              type: 'button',
              class: 'app-command-button',
              title: `Apps › ${name}`,
              'data-command': name,
              onclick: () => context.onMessageCommand(message, name),
            },
            name,
          ),
        )
      : []),
    context.inspecting && message.isApp && message.interactionUserId === null
      ? h(
          'button',
          {
            type: 'button',
            class: 'inspect-button',
            title: 'Show the prompt',
            onclick: () => context.onInspect(message),
          },
          'Inspect',
        )
      : null,
  );
  return h(
    'article',
    {
      class: `message${message.visibleTo === null ? '' : ' ephemeral'}`,
      'data-id': message.id,
      'data-author': message.authorName,
      'data-edits': String(message.editCount),
    },
    buildReplyQuote(message, context) ?? commandLine,
    h(
      'div',
      { class: 'message-main' },
      buildAvatar(message.authorName, message.initials, message.avatarUrl),
      h(
        'div',
        { class: 'message-body' },
        header,
        body,
        ...message.attachments.map((file) =>
          h('div', { class: 'attachment' }, `Attachment: ${file.filename} (${file.size} B)`),
        ),
        ...buildEmbeds(message, context),
        message.buttons.length === 0
          ? null
          : h(
              'div',
              { class: 'buttons' },
              ...message.buttons.map((button) =>
                h(
                  'button',
                  {
                    type: 'button',
                    class: `component-button style-${button.style}`,
                    'data-custom-id': button.customId,
                    disabled: button.disabled,
                    onclick: () => context.onButton(message, button.customId),
                  },
                  button.label,
                ),
              ),
            ),
        message.visibleTo === null
          ? null
          : h('div', { class: 'ephemeral-note' }, 'Only you can see this message'),
      ),
    ),
    actions,
  );
}
