import { once } from 'node:events';
import { Client, type ClientEvents, type ClientOptions, GatewayIntentBits, Partials } from 'discord.js';
import type { DiscordSandbox } from '../../../sandbox/index.js';

/** Intents a relay bot runs with: guilds, guild and DM messages, message content, webhooks. */
export const RELAY_INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.DirectMessages,
  GatewayIntentBits.MessageContent,
  GatewayIntentBits.GuildWebhooks,
];

/** A real, unmodified discord.js Client pointed at the sandbox only through `rest.api`, logged in and ready. */
export async function loginClient(
  sandbox: DiscordSandbox,
  options: Partial<ClientOptions> = {},
): Promise<Client> {
  const client = new Client({
    intents: RELAY_INTENTS,
    partials: [Partials.Channel],
    ...options,
    rest: { api: sandbox.restUrl, ...options.rest },
  });
  const ready = once(client, 'clientReady');
  await client.login(sandbox.bot.token);
  await ready;
  return client;
}

/** The next `event` whose arguments satisfy `predicate`; rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ClientEvents>(
  client: Client,
  event: E,
  predicate: (...args: ClientEvents[E]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ClientEvents[E]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: ClientEvents[E]): void => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      client.off(event, listener);
      resolve(args);
    };
    const timer = setTimeout(() => {
      client.off(event, listener);
      reject(new Error(`no matching ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    client.on(event, listener);
  });
}

/** Collects every `event` a client emits, for asserting on what arrived. */
export function collectEvents<E extends keyof ClientEvents>(client: Client, event: E): ClientEvents[E][] {
  const seen: ClientEvents[E][] = [];
  client.on(event, (...args: ClientEvents[E]) => {
    seen.push(args);
  });
  return seen;
}
