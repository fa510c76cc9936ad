import type { MessageView } from '../server/message-view.js';
import type { FeedEvent } from '../server/playground-feed.js';
import type { PlaygroundChannel, PlaygroundWorld } from '../server/playground-world.js';
import { buildCommandPalette } from './command-palette.js';
import { h } from './element.js';
import { buildInspectorPanel } from './inspector-panel.js';
import type { MentionNames } from './markdown-html.js';
import { buildMessageElement, type MessageElementContext } from './message-element.js';
import { buildPersonalityEditor } from './personality-editor.js';
import { type CommandRequest, playgroundApi, type Suggest } from './playground-api.js';

/** Discord shows "… is typing" for about 10 s after each typing request. */
const TYPING_SHOWN_MS = 10_000;

type SidePanel = 'commands' | 'editor' | 'inspector' | null;

function requireElement<T extends HTMLElement>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (!element) throw new Error(`playground: the page has no ${selector}`);
  return element;
}

/** The page: channel list, messages, composer and side panels, kept live over the event stream. */
class PlaygroundPage {
  readonly #world: PlaygroundWorld;
  readonly #messages = new Map<string, MessageView>();
  readonly #unread = new Set<string>();
  readonly #typingUntil = new Map<string, { name: string; until: number }>();
  #viewerId: string;
  #channelId: string;
  #replyTo: MessageView | null = null;
  #inspecting = false;
  #panel: SidePanel = null;
  #stopListening: () => void = () => undefined;

  readonly #channelList = requireElement<HTMLElement>('#channel-list');
  readonly #channelTitle = requireElement<HTMLElement>('#channel-title');
  readonly #messageList = requireElement<HTMLElement>('#messages');
  readonly #typing = requireElement<HTMLElement>('#typing');
  readonly #replyBar = requireElement<HTMLElement>('#reply-bar');
  readonly #composer = requireElement<HTMLFormElement>('#composer');
  readonly #input = requireElement<HTMLTextAreaElement>('#composer-input');
  readonly #composerError = requireElement<HTMLElement>('#composer-error');
  readonly #viewer = requireElement<HTMLSelectElement>('#viewer');
  readonly #side = requireElement<HTMLElement>('#side-panel');
  readonly #connection = requireElement<HTMLElement>('#connection');

  constructor(world: PlaygroundWorld) {
    this.#world = world;
    const first = world.people[0];
    const general = world.channels.find((channel) => channel.kind === 'text');
    if (!first || !general) throw new Error('playground: the world has no people or channels');
    this.#viewerId = first.id;
    this.#channelId = general.id;
  }

  get #names(): MentionNames {
    return {
      user: (id) =>
        this.#world.people.find((person) => person.id === id)?.name ??
        [...this.#messages.values()].find((message) => message.authorId === id)?.authorName ??
        null,
      channel: (id) => this.#world.channels.find((channel) => channel.id === id)?.name ?? null,
    };
  }

  async start(): Promise<void> {
    requireElement('#guild-name').textContent = this.#world.guildName;
    this.#viewer.replaceChildren(
      ...this.#world.people.map((person) => h('option', { value: person.id }, person.name)),
    );
    this.#viewer.addEventListener('change', () => void this.#switchViewer(this.#viewer.value));
    this.#composer.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.#send();
    });
    this.#input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey) {
        event.preventDefault();
        void this.#send();
      }
    });
    requireElement('#open-commands').addEventListener('click', () => this.#togglePanel('commands'));
    requireElement('#open-editor').addEventListener('click', () => this.#togglePanel('editor'));
    requireElement<HTMLInputElement>('#inspect-toggle').addEventListener('change', (event) => {
      this.#inspecting = (event.target as HTMLInputElement).checked;
      document.body.classList.toggle('inspecting', this.#inspecting);
      if (!this.#inspecting && this.#panel === 'inspector') this.#togglePanel(null);
      this.#renderMessages();
    });
    setInterval(() => this.#renderTyping(), 1000);
    await this.#switchViewer(this.#viewerId);
  }

  async #switchViewer(viewerId: string): Promise<void> {
    this.#viewerId = viewerId;
    this.#viewer.value = viewerId;
    this.#stopListening();
    this.#connection.textContent = 'connecting…';
    document.body.dataset['live'] = 'false';
    // A DM belongs to one person: switching to someone else leaves it for #general.
    const current = this.#world.channels.find((channel) => channel.id === this.#channelId);
    if (current?.kind === 'dm' && current.personId !== viewerId) {
      const general = this.#world.channels.find((channel) => channel.kind === 'text');
      if (general) this.#channelId = general.id;
    }
    // Messages are loaded once the stream is up, so nothing posted in between is missed.
    const ready = new Promise<void>((resolve) => {
      this.#stopListening = playgroundApi.listen(viewerId, (event) => this.#onEvent(event), resolve);
    });
    await ready;
    await this.#openChannel(this.#channelId);
    this.#connection.textContent = 'live';
    document.body.dataset['live'] = 'true';
  }

  async #openChannel(channelId: string): Promise<void> {
    this.#channelId = channelId;
    this.#unread.delete(channelId);
    this.#setReplyTo(null);
    const channel = this.#world.channels.find((candidate) => candidate.id === channelId);
    this.#channelTitle.textContent = channel ? this.#channelLabel(channel) : '';
    this.#input.placeholder = channel ? `Message ${this.#channelLabel(channel)}` : '';
    this.#renderChannels();
    this.#messages.clear();
    const messages = await playgroundApi.messages(channelId, this.#viewerId);
    if (this.#channelId !== channelId) return;
    for (const message of messages) {
      // An edit heard over the stream while the list was loading is newer than the list's copy.
      const heard = this.#messages.get(message.id);
      if (!heard || heard.editCount < message.editCount) this.#messages.set(message.id, message);
    }
    this.#renderMessages();
    this.#renderTyping();
  }

  #channelLabel(channel: PlaygroundChannel): string {
    return channel.kind === 'dm' ? `@${channel.name}` : `#${channel.name}`;
  }

  #renderChannels(): void {
    const entry = (channel: PlaygroundChannel) =>
      h(
        'button',
        {
          type: 'button',
          class: `channel kind-${channel.kind}${channel.id === this.#channelId ? ' active' : ''}${this.#unread.has(channel.id) ? ' unread' : ''}`,
          'data-channel-id': channel.id,
          'data-channel-name': channel.name,
          onclick: () => void this.#openChannel(channel.id),
        },
        channel.kind === 'thread' ? '↳ ' : channel.kind === 'dm' ? '@ ' : '# ',
        channel.name,
      );
    const serverChannels = this.#world.channels.filter((channel) => channel.kind !== 'dm');
    const dms = this.#world.channels.filter(
      (channel) => channel.kind === 'dm' && channel.personId === this.#viewerId,
    );
    this.#channelList.replaceChildren(
      h('div', { class: 'section-title' }, 'Text channels'),
      ...serverChannels.map(entry),
      h('div', { class: 'section-title' }, 'Direct messages'),
      ...dms.map(entry),
    );
  }

  #elementContext(): MessageElementContext {
    return {
      names: this.#names,
      botName: this.#world.botName,
      findMessage: (id) => this.#messages.get(id),
      inspecting: this.#inspecting,
      onReply: (message) => this.#setReplyTo(message),
      onInspect: (message) => void this.#inspect(message),
      onButton: (message, customId) =>
        this.#reportRefusal(playgroundApi.clickButton(this.#viewerId, message.id, customId)),
      messageCommands: this.#world.messageCommands,
      onMessageCommand: (message, name) =>
        this.#reportRefusal(playgroundApi.runMessageCommand(this.#viewerId, message.id, name)),
    };
  }

  /** Shows under the composer why the sandbox refused an action (the answer itself arrives as a message). */
  #reportRefusal(action: Promise<unknown>): void {
    this.#composerError.textContent = '';
    action.catch((error: unknown) => {
      this.#composerError.textContent = error instanceof Error ? error.message : String(error);
    });
  }

  #renderMessages(): void {
    const context = this.#elementContext();
    const sorted = [...this.#messages.values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
    this.#messageList.replaceChildren(...sorted.map((message) => buildMessageElement(message, context)));
    this.#messageList.scrollTop = this.#messageList.scrollHeight;
  }

  /** Draws one new or changed message where it belongs: an edit replaces its element in place. */
  #renderMessage(message: MessageView): void {
    const nearBottom =
      this.#messageList.scrollHeight - this.#messageList.scrollTop - this.#messageList.clientHeight < 80;
    const element = buildMessageElement(message, this.#elementContext());
    const existing = this.#messageList.querySelector(`[data-id="${message.id}"]`);
    if (existing) existing.replaceWith(element);
    else {
      const later = [...this.#messageList.querySelectorAll<HTMLElement>('[data-id]')].find(
        (candidate) => BigInt(candidate.dataset['id'] ?? '0') > BigInt(message.id),
      );
      this.#messageList.insertBefore(element, later ?? null);
    }
    if (nearBottom) this.#messageList.scrollTop = this.#messageList.scrollHeight;
  }

  #onEvent(event: FeedEvent): void {
    if (event.type === 'typing') {
      this.#typingUntil.set(event.channelId, { name: event.name, until: event.at + TYPING_SHOWN_MS });
      this.#renderTyping();
      return;
    }
    const channelId = event.type === 'message' ? event.message.channelId : event.channelId;
    if (channelId !== this.#channelId) {
      if (event.type === 'message' && event.message.editCount === 0) {
        this.#unread.add(channelId);
        this.#renderChannels();
      }
      return;
    }
    if (event.type === 'delete') {
      this.#messages.delete(event.id);
      this.#messageList.querySelector(`[data-id="${event.id}"]`)?.remove();
      return;
    }
    // The bot stops typing in a channel once a reply there is posted, as Discord's client shows it.
    if (event.message.isApp) this.#typingUntil.delete(channelId);
    this.#messages.set(event.message.id, event.message);
    this.#renderMessage(event.message);
    this.#renderTyping();
  }

  #renderTyping(): void {
    const typing = this.#typingUntil.get(this.#channelId);
    const shown = typing !== undefined && typing.until > Date.now();
    this.#typing.textContent = shown ? `${typing.name} is typing…` : '';
    this.#typing.classList.toggle('active', shown);
  }

  #setReplyTo(message: MessageView | null): void {
    this.#replyTo = message;
    this.#replyBar.replaceChildren(
      ...(message === null
        ? []
        : [
            h('span', {}, 'Replying to ', h('strong', {}, message.authorName)),
            h(
              'button',
              { type: 'button', class: 'cancel-reply', onclick: () => this.#setReplyTo(null) },
              '✕',
            ),
          ]),
    );
    this.#replyBar.hidden = message === null;
    if (message !== null) this.#input.focus();
  }

  async #send(): Promise<void> {
    const content = this.#input.value.trim();
    if (content === '') return;
    if (content.startsWith('/')) {
      // Slash commands go through the palette, as Discord's picker, not as text.
      this.#input.value = '';
      this.#togglePanel('commands', content);
      return;
    }
    this.#composerError.textContent = '';
    try {
      await playgroundApi.say(this.#viewerId, this.#channelId, content, this.#replyTo?.id ?? null);
      this.#input.value = '';
      this.#setReplyTo(null);
    } catch (error) {
      this.#composerError.textContent = error instanceof Error ? error.message : String(error);
    }
  }

  async #runCommand(request: CommandRequest): Promise<string | null> {
    const result = await playgroundApi.runCommand(this.#viewerId, this.#channelId, request);
    return result.answer?.content ?? null;
  }

  readonly #suggest: Suggest = (command, focused) =>
    playgroundApi.suggest(this.#viewerId, this.#channelId, command, focused);

  #togglePanel(panel: SidePanel, filter = ''): void {
    this.#panel = this.#panel === panel && filter === '' ? null : panel;
    document.body.dataset['panel'] = this.#panel ?? '';
    if (this.#panel === 'commands') {
      const palette = buildCommandPalette(
        this.#world.commands,
        (request) => this.#runCommand(request),
        this.#suggest,
      );
      this.#side.replaceChildren(palette);
      const search = palette.querySelector<HTMLInputElement>('.palette-filter');
      if (search && filter !== '') {
        search.value = filter;
        search.dispatchEvent(new Event('input'));
      }
      search?.focus();
    } else if (this.#panel === 'editor') {
      this.#side.replaceChildren(
        buildPersonalityEditor((request) => this.#runCommand(request), this.#suggest),
      );
    } else if (this.#panel === 'inspector') {
      this.#side.replaceChildren(buildInspectorPanel(null, null));
    } else {
      this.#side.replaceChildren();
    }
    this.#side.hidden = this.#panel === null;
  }

  async #inspect(message: MessageView): Promise<void> {
    if (this.#panel !== 'inspector') this.#togglePanel('inspector');
    try {
      this.#side.replaceChildren(buildInspectorPanel(await playgroundApi.prompt(message.id), null));
    } catch (error) {
      this.#side.replaceChildren(
        buildInspectorPanel(null, error instanceof Error ? error.message : String(error)),
      );
    }
  }
}

playgroundApi.world().then(
  (world) => new PlaygroundPage(world).start(),
  (error: unknown) => {
    document.body.textContent = `The playground server did not answer: ${String(error)}`;
  },
);
