import type { PromptRecord } from '../../src/inspector/index.js';
import type { MessageView } from '../server/message-view.js';
import type { FeedEvent } from '../server/playground-feed.js';
import type { PlaygroundWorld } from '../server/playground-world.js';

/** A slash command run from the page: what the bot answered first, when it answered within the wait. */
export interface CommandResult {
  readonly interactionId: string;
  readonly answer: { readonly content: string; readonly ephemeral: boolean } | null;
}

/** Asks the bot for suggestions for the `focused` option of a command being filled in. */
export type Suggest = (
  command: CommandRequest,
  focused: string,
) => Promise<readonly { readonly name: string; readonly value: string | number }[]>;

/** A file given for an ATTACHMENT option, its bytes in base64 (JSON carries no bytes). */
export interface CommandFileInput {
  readonly filename: string;
  readonly contentType: string | null;
  readonly dataBase64: string;
}

/** A command to run, as the palette and the editor build it. */
export interface CommandRequest {
  readonly name: string;
  readonly subcommand: string | null;
  readonly options: Readonly<Record<string, string | number | boolean | CommandFileInput>>;
}

async function send<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const body = (await response.json()) as T & { error?: string };
  if (!response.ok) throw new Error(body.error ?? `${response.status} ${response.statusText}`);
  return body;
}

function post<T>(path: string, body: unknown): Promise<T> {
  return send<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

/** The playground server's HTTP API, as the page calls it. */
export const playgroundApi = {
  world: () => send<PlaygroundWorld>('/api/world'),
  messages: (channelId: string, viewerId: string) =>
    send<MessageView[]>(`/api/channels/${channelId}/messages?viewer=${viewerId}`),
  say: (viewerId: string, channelId: string, content: string, replyTo: string | null) =>
    post<{ id: string }>('/api/messages', { viewerId, channelId, content, replyTo }),
  runCommand: (viewerId: string, channelId: string, command: CommandRequest) =>
    post<CommandResult>('/api/commands', { viewerId, channelId, ...command }),
  runMessageCommand: (viewerId: string, messageId: string, name: string) =>
    post<{ interactionId: string }>('/api/message-commands', { viewerId, messageId, name }),
  clickButton: (viewerId: string, messageId: string, customId: string) =>
    post<{ interactionId: string }>('/api/buttons', { viewerId, messageId, customId }),
  /** The bot's suggestions for the option being typed (an autocomplete interaction). */
  suggest: (viewerId: string, channelId: string, command: CommandRequest, focused: string) =>
    post<{ choices: { name: string; value: string | number }[] }>('/api/autocomplete', {
      viewerId,
      channelId,
      ...command,
      focused,
    }).then((answer) => answer.choices),
  prompt: (messageId: string) => send<PromptRecord>(`/api/prompts/${messageId}`),
  /** Live events for one viewer over SSE; returns a function that closes the stream. */
  listen(viewerId: string, onEvent: (event: FeedEvent) => void, onReady: () => void): () => void {
    const source = new EventSource(`/api/events?viewer=${viewerId}`);
    source.addEventListener('ready', onReady);
    for (const type of ['message', 'delete', 'typing'] as const) {
      source.addEventListener(type, (event) => onEvent(JSON.parse((event as MessageEvent<string>).data)));
    }
    return () => source.close();
  },
};
