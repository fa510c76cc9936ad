import { REST } from '@discordjs/rest';
import type { DiscordSandbox } from '../../sandbox/index.js';
import { deployCommands } from '../../src/commands/index.js';
import type { PlaygroundPerson } from './message-view.js';

/** A channel in the page's list. */
export interface PlaygroundChannel {
  readonly id: string;
  readonly name: string;
  /** `text` a server channel, `thread` one under `parentId`, `dm` a person's DM with the bot. */
  readonly kind: 'text' | 'thread' | 'dm';
  readonly parentId: string | null;
  /** For a DM: the person it is with (others do not see it). */
  readonly personId: string | null;
}

/** A slash command option as the palette shows it (Discord's application command option shape, trimmed). */
export interface CommandOptionView {
  readonly type: number;
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
  /** The bot suggests values as the person types (Discord's autocomplete). */
  readonly autocomplete: boolean;
  readonly choices: readonly { readonly name: string; readonly value: string | number }[];
  readonly options: readonly CommandOptionView[];
}

/** A registered slash command, for the palette. */
export interface CommandView {
  readonly name: string;
  readonly description: string;
  readonly options: readonly CommandOptionView[];
}

/** The server, its channels and the people of the playground, as the page draws them. */
export interface PlaygroundWorld {
  readonly guildName: string;
  readonly botName: string;
  readonly people: readonly PlaygroundPerson[];
  readonly channels: readonly PlaygroundChannel[];
  readonly commands: readonly CommandView[];
  /** Message context-menu commands (Discord's Apps menu on a message), by name. */
  readonly messageCommands: readonly string[];
}

/** One personality made at start, through `/personality create` as a person would. */
interface SeedPersonality {
  readonly owner: string;
  readonly name: string;
  readonly prompt: string;
  readonly avatar: string;
}

const PEOPLE = [
  { username: 'maya', globalName: 'Maya' },
  { username: 'sam', globalName: 'Sam' },
  { username: 'lee', globalName: 'Lee' },
] as const;

const SEED_PERSONALITIES: readonly SeedPersonality[] = [
  {
    owner: 'maya',
    name: 'Alice',
    prompt: 'You are Alice, a cheerful librarian who loves puzzles.',
    avatar: 'https://cdn.example.com/avatars/alice.png',
  },
  {
    owner: 'sam',
    name: 'Dr Who',
    prompt: 'You are the Doctor, a time traveller with a blue box.',
    avatar: 'https://cdn.example.com/avatars/doctor.png',
  },
];

/** Discord's application command type of a message context-menu command. */
const MESSAGE_COMMAND = 3;

/** How long a start-up `/personality create` may take to be answered, in ms. */
const SEED_ANSWER_TIMEOUT_MS = 15_000;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Trims a registered command's option (Discord's shape) to what the palette needs. */
function buildOptionView(option: unknown): CommandOptionView {
  const record = isRecord(option) ? option : {};
  const choices = Array.isArray(record['choices']) ? record['choices'] : [];
  const options = Array.isArray(record['options']) ? record['options'] : [];
  return {
    type: typeof record['type'] === 'number' ? record['type'] : 3,
    name: String(record['name'] ?? ''),
    description: String(record['description'] ?? ''),
    required: record['required'] === true,
    autocomplete: record['autocomplete'] === true,
    choices: choices.filter(isRecord).map((choice) => ({
      name: String(choice['name']),
      value: typeof choice['value'] === 'number' ? choice['value'] : String(choice['value']),
    })),
    options: options.map(buildOptionView),
  };
}

/**
 * Lays out the playground's server in the sandbox: three people, a few channels, a thread and each person's DM,
 * Chorus's commands registered as `npm run deploy-commands` does, and two personalities created with
 * `/personality create` by their owners, the same way the page's editor does.
 */
export async function seedPlaygroundWorld(sandbox: DiscordSandbox): Promise<PlaygroundWorld> {
  const rest = new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token);
  const deployed = await deployCommands(rest, {
    applicationId: sandbox.bot.applicationId,
    guildId: undefined,
  });
  const guild = sandbox.createGuild({ name: 'Chorus Playground' });
  const general = sandbox.createChannel(guild.id, { name: 'general' });
  const studio = sandbox.createChannel(guild.id, { name: 'studio' });
  const lounge = sandbox.createChannel(guild.id, { name: 'lounge' });
  const thread = sandbox.createThread(general.id, { name: 'book club' });
  const people = PEOPLE.map((input) => {
    const user = sandbox.createUser(input);
    sandbox.addMember(guild.id, user.id);
    return { id: user.id, username: user.username, name: input.globalName };
  });
  const dms = people.map((person) => ({ person, channel: sandbox.openDm(person.id) }));
  for (const seed of SEED_PERSONALITIES) {
    const owner = people.find((person) => person.username === seed.owner);
    if (!owner) throw new Error(`playground: no person named ${seed.owner}`);
    const answer = await sandbox
      .runSlashCommand(
        owner.id,
        general.id,
        'personality',
        { name: seed.name, prompt: seed.prompt, avatar: seed.avatar },
        { subcommand: 'create' },
      )
      .waitForResponse((response) => response.content !== null, SEED_ANSWER_TIMEOUT_MS);
    if (!/^Created/u.test(answer.content ?? '')) {
      throw new Error(`playground: /personality create ${seed.name} failed: ${answer.content}`);
    }
  }
  return {
    guildName: guild.name,
    botName: sandbox.options.botUsername,
    people: people.map(({ id, name }) => ({ id, name })),
    channels: [
      { id: general.id, name: 'general', kind: 'text', parentId: null, personId: null },
      { id: thread.id, name: thread.name, kind: 'thread', parentId: general.id, personId: null },
      { id: studio.id, name: 'studio', kind: 'text', parentId: null, personId: null },
      { id: lounge.id, name: 'lounge', kind: 'text', parentId: null, personId: null },
      ...dms.map(({ person, channel }) => ({
        id: channel.id,
        name: sandbox.options.botUsername,
        kind: 'dm' as const,
        parentId: null,
        personId: person.id,
      })),
    ],
    commands: deployed
      .filter((command) => (command.type ?? 1) === 1)
      .map((command) => ({
        name: command.name,
        description: command.description,
        options: (command.options ?? []).map(buildOptionView),
      })),
    messageCommands: deployed
      .filter((command) => command.type === MESSAGE_COMMAND)
      .map((command) => command.name),
  };
}
