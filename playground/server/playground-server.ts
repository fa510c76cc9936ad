import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { z } from 'zod';
import type {
  CommandOptionValue,
  CommandPath,
  DiscordSandbox,
  InteractionResponse,
  SlashCommandValue,
} from '../../sandbox/index.js';
import type { PromptInspectorRepository } from '../../src/inspector/index.js';
import type { ClientBundle } from './client-bundle.js';
import { streamFeedEvents } from './feed-event-stream.js';
import { EPHEMERAL_FLAG, LOADING_FLAG } from './message-view.js';
import type { PlaygroundFeed } from './playground-feed.js';
import type { PlaygroundWorld } from './playground-world.js';

/** Options of {@link startPlaygroundServer}. */
export interface PlaygroundServerOptions {
  /** TCP port; 0 picks a free one. @defaultValue 3100 */
  readonly port: number;
  /** Loopback only: the page can post as anyone and read every prompt. @defaultValue '127.0.0.1' */
  readonly host: string;
  /** Seconds between SSE keep-alive comments, so idle proxies and browsers keep the stream. @defaultValue 15 */
  readonly keepAliveSeconds: number;
}

export const DefaultPlaygroundServerOptions = {
  port: 3100,
  host: '127.0.0.1',
  keepAliveSeconds: 15,
} as const satisfies Required<PlaygroundServerOptions>;

/** What the server serves from. */
export interface PlaygroundServerDeps {
  readonly sandbox: DiscordSandbox;
  readonly world: PlaygroundWorld;
  readonly feed: PlaygroundFeed;
  readonly bundle: ClientBundle;
  /** The prompts `DEBUG_PROMPTS` recorded, for the inspector. */
  readonly prompts: Pick<PromptInspectorRepository, 'findByMessageId'>;
}

/** A running playground page. */
export interface PlaygroundServer extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/** How long `POST /api/commands` waits for the bot's first answer, in ms. */
const COMMAND_ANSWER_WAIT_MS = 5000;

/** How long `POST /api/autocomplete` waits for the bot's suggestions, in ms (Discord gives it 3 s). */
const AUTOCOMPLETE_WAIT_MS = 3000;
/** Host names a request to the playground may carry. */
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Largest file a command may carry, base64 (Discord's default upload limit is 10 MiB). */
const MAX_FILE_BASE64_CHARS = Math.ceil((10 * 1024 * 1024) / 3) * 4;

const ViewerQuery = z.object({ viewer: z.string().regex(/^\d+$/u) });

const PostMessageBody = z.object({
  viewerId: z.string().regex(/^\d+$/u),
  channelId: z.string().regex(/^\d+$/u),
  content: z.string().min(1).max(2000),
  replyTo: z.string().regex(/^\d+$/u).nullish(),
});

const RunCommandBody = z.object({
  viewerId: z.string().regex(/^\d+$/u),
  channelId: z.string().regex(/^\d+$/u),
  name: z.string().min(1).max(32),
  subcommand: z.string().min(1).max(32).nullish(),
  subcommandGroup: z.string().min(1).max(32).nullish(),
  options: z
    .record(
      z.string(),
      z.union([
        z.string(),
        z.number(),
        z.boolean(),
        // A file for an ATTACHMENT option (a character card): its bytes base64-encoded.
        z.object({
          filename: z.string().min(1).max(256),
          contentType: z.string().max(128).nullable(),
          dataBase64: z.string().max(MAX_FILE_BASE64_CHARS),
        }),
      ]),
    )
    .default({}),
});

type CommandOptions = z.infer<typeof RunCommandBody>['options'];

/** The options as the sandbox takes them: files become attachments a person uploads. */
function buildSlashOptions(options: CommandOptions): Record<string, SlashCommandValue> {
  return Object.fromEntries(
    Object.entries(options).map(([name, value]) => [
      name,
      typeof value === 'object'
        ? {
            filename: value.filename,
            data: Buffer.from(value.dataBase64, 'base64'),
            ...(value.contentType === null ? {} : { contentType: value.contentType }),
          }
        : value,
    ]),
  );
}

/** The typed values of the options, for an autocomplete interaction (files are never autocompleted). */
function buildAutocompleteOptions(options: CommandOptions): Record<string, CommandOptionValue> {
  return Object.fromEntries(
    Object.entries(options).flatMap(([name, value]) => (typeof value === 'object' ? [] : [[name, value]])),
  );
}

const ClickButtonBody = z.object({
  viewerId: z.string().regex(/^\d+$/u),
  messageId: z.string().regex(/^\d+$/u),
  customId: z.string().min(1).max(100),
});

const MessageCommandBody = z.object({
  viewerId: z.string().regex(/^\d+$/u),
  messageId: z.string().regex(/^\d+$/u),
  name: z.string().min(1).max(32),
});

const AutocompleteBody = RunCommandBody.extend({ focused: z.string().min(1).max(32) });

/** The subcommand (and group) a command body names, as the sandbox takes it. */
function buildCommandPath(body: z.infer<typeof RunCommandBody>): CommandPath {
  return {
    ...(body.subcommand ? { subcommand: body.subcommand } : {}),
    ...(body.subcommandGroup ? { subcommandGroup: body.subcommandGroup } : {}),
  };
}

/** An answer's text for the panel: its content, else its first embed's title and description. */
function describeAnswer(answer: InteractionResponse): string {
  if (answer.content) return answer.content;
  const embed = answer.embeds[0];
  if (typeof embed !== 'object' || embed === null) return '';
  const { title, description } = embed as { title?: unknown; description?: unknown };
  return [title, description].filter((part) => typeof part === 'string').join('\n');
}

/** The sandbox refuses what Discord's client would (no permission, unknown command, empty message): say why. */
function describeRefusal(error: unknown): { error: string } {
  return { error: error instanceof Error ? error.message : String(error) };
}

/** Builds the page's HTTP API: the page, its script, the world, messages, live events and the two actions. */
export function buildPlaygroundApp(deps: PlaygroundServerDeps, keepAliveSeconds: number): Hono {
  const { sandbox, world, feed, bundle } = deps;
  const app = new Hono();
  const isPerson = (id: string) => world.people.some((person) => person.id === id);

  // Loopback is not enough on its own: any web page the developer opens can send requests to 127.0.0.1.
  // A foreign Host header (DNS rebinding) is refused, and actions must be JSON, which a cross-site form cannot
  // send without the CORS preflight this server never grants.
  app.use('*', async (context, next) => {
    const host = new URL(`http://${context.req.header('host') ?? ''}`).hostname;
    if (!LOOPBACK_HOSTS.has(host))
      return context.json({ error: 'the playground answers on loopback only' }, 403);
    if (
      context.req.method === 'POST' &&
      !context.req.header('content-type')?.startsWith('application/json')
    ) {
      return context.json({ error: 'send JSON' }, 415);
    }
    await next();
  });

  app.get('/', (context) => context.html(bundle.html));
  app.get('/playground.js', (context) =>
    context.body(bundle.script, 200, { 'content-type': 'text/javascript; charset=utf-8' }),
  );
  app.get('/playground.css', (context) =>
    context.body(bundle.css, 200, { 'content-type': 'text/css; charset=utf-8' }),
  );
  // Browsers ask for it unprompted; the page has none.
  app.get('/favicon.ico', (context) => context.body(null, 204));
  app.get('/api/world', (context) => context.json(world));

  app.get('/api/channels/:channelId/messages', (context) => {
    const query = ViewerQuery.safeParse(context.req.query());
    if (!query.success || !isPerson(query.data.viewer)) return context.json({ error: 'unknown viewer' }, 400);
    return context.json(feed.messagesFor(context.req.param('channelId'), query.data.viewer));
  });

  app.get('/api/events', (context) => {
    const query = ViewerQuery.safeParse(context.req.query());
    if (!query.success || !isPerson(query.data.viewer)) return context.json({ error: 'unknown viewer' }, 400);
    return streamFeedEvents(context, feed, query.data.viewer, keepAliveSeconds);
  });

  app.post('/api/messages', async (context) => {
    const body = PostMessageBody.safeParse(await context.req.json().catch(() => null));
    if (!body.success || !isPerson(body.data.viewerId)) return context.json({ error: 'bad message' }, 400);
    const { viewerId, channelId, content, replyTo } = body.data;
    try {
      const message = sandbox.userSays(viewerId, channelId, content, replyTo ? { replyTo } : {});
      return context.json({ id: message.id });
    } catch (error) {
      return context.json(describeRefusal(error), 400);
    }
  });

  app.post('/api/commands', async (context) => {
    const body = RunCommandBody.safeParse(await context.req.json().catch(() => null));
    if (!body.success || !isPerson(body.data.viewerId)) return context.json({ error: 'bad command' }, 400);
    const { viewerId, channelId, name, options } = body.data;
    try {
      const handle = sandbox.runSlashCommand(
        viewerId,
        channelId,
        name,
        buildSlashOptions(options),
        buildCommandPath(body.data),
      );
      // The answer also reaches the channel over the event stream; the caller gets the first one to show beside
      // the form, unless the command takes longer (a deferred job), when the channel alone will show it.
      const answer = await handle
        .waitForResponse(
          // A deferred reply ("is thinking…") is not the answer yet: its edit or follow-up is.
          (response) => response.messageId !== null && (response.flags & LOADING_FLAG) === 0,
          COMMAND_ANSWER_WAIT_MS,
        )
        .catch(() => null);
      return context.json({
        interactionId: handle.id,
        answer:
          answer === null
            ? null
            : { content: describeAnswer(answer), ephemeral: (answer.flags & EPHEMERAL_FLAG) !== 0 },
      });
    } catch (error) {
      return context.json(describeRefusal(error), 400);
    }
  });

  app.post('/api/buttons', async (context) => {
    const body = ClickButtonBody.safeParse(await context.req.json().catch(() => null));
    if (!body.success || !isPerson(body.data.viewerId)) return context.json({ error: 'bad click' }, 400);
    try {
      // The bot's answer (an updated message, a reply) reaches the page over the event stream.
      const handle = sandbox.clickButton(body.data.viewerId, body.data.messageId, body.data.customId);
      return context.json({ interactionId: handle.id });
    } catch (error) {
      return context.json(describeRefusal(error), 400);
    }
  });

  app.post('/api/message-commands', async (context) => {
    const body = MessageCommandBody.safeParse(await context.req.json().catch(() => null));
    if (!body.success || !isPerson(body.data.viewerId)) return context.json({ error: 'bad command' }, 400);
    const message = feed.getMessage(body.data.messageId);
    if (!message) return context.json({ error: 'unknown message' }, 404);
    try {
      const handle = sandbox.runMessageCommand(
        body.data.viewerId,
        message.channelId,
        body.data.name,
        message.id,
      );
      return context.json({ interactionId: handle.id });
    } catch (error) {
      return context.json(describeRefusal(error), 400);
    }
  });

  app.post('/api/autocomplete', async (context) => {
    const body = AutocompleteBody.safeParse(await context.req.json().catch(() => null));
    if (!body.success || !isPerson(body.data.viewerId)) return context.json({ error: 'bad request' }, 400);
    const { viewerId, channelId, name, options, focused } = body.data;
    try {
      const handle = sandbox.autocomplete(
        viewerId,
        channelId,
        name,
        focused,
        { [focused]: '', ...buildAutocompleteOptions(options) },
        buildCommandPath(body.data),
      );
      const answer = await handle.waitForResponse(
        (response) => response.choices !== null,
        AUTOCOMPLETE_WAIT_MS,
      );
      return context.json({ choices: answer.choices });
    } catch (error) {
      return context.json(describeRefusal(error), 400);
    }
  });

  app.get('/api/prompts/:messageId', async (context) => {
    const message = feed.getMessage(context.req.param('messageId'));
    if (!message) return context.json({ error: 'unknown message' }, 404);
    const record = await deps.prompts.findByMessageId(
      world.people.map((person) => person.id),
      message.id,
    );
    return record ? context.json(record) : context.json({ error: 'no prompt recorded' }, 404);
  });

  return app;
}

/** Serves the playground page on `options.host` (loopback by default). */
export async function startPlaygroundServer(
  deps: PlaygroundServerDeps,
  options: Partial<PlaygroundServerOptions> = {},
): Promise<PlaygroundServer> {
  const settings = { ...DefaultPlaygroundServerOptions, ...options };
  const app = buildPlaygroundApp(deps, settings.keepAliveSeconds);
  const server = createServer(getRequestListener(app.fetch));
  server.listen({ port: settings.port, host: settings.host });
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Open event streams would otherwise hold close() forever.
      server.closeAllConnections();
    });
    return closed;
  };
  return { url: `http://${settings.host}:${port}/`, close, [Symbol.asyncDispose]: close };
}
