/**
 * `/personality` through the Discord sandbox with the real discord.js: create, edit, remove (confirm
 * buttons), info, list (paging buttons), aliases, autocomplete, every validation rule and ownership.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandOptionValue } from '../../../sandbox/index.js';
import {
  ActivationRepository,
  type Personality,
  type PersonalityRepository,
} from '../../../src/state/index.js';
import { buttonIds, CommandHarness, isEphemeral, shownText } from './command-harness.js';

type CommandOptions = Readonly<Record<string, CommandOptionValue>>;

describe('/personality', () => {
  let harness: CommandHarness;
  let personalities: PersonalityRepository;
  let owner: string;
  let other: string;
  let channel: string;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    personalities = harness.personalities;
    owner = harness.addUser('owner');
    other = harness.addUser('other');
    channel = harness.channel('general');
  }, 30_000);

  afterAll(async () => {
    await harness?.close();
  });

  /** Runs `/personality <subcommand>` in the test channel. */
  const personality = (userId: string, subcommand: string, options: CommandOptions) =>
    harness.run(userId, channel, 'personality', options, { subcommand });
  /** Runs `/personality alias <subcommand>` in the test channel. */
  const alias = (userId: string, subcommand: string, options: CommandOptions) =>
    harness.run(userId, channel, 'personality', options, { subcommandGroup: 'alias', subcommand });
  const create = (userId: string, options: CommandOptions) => personality(userId, 'create', options);
  /** `field` of the owner's first personality, as stored. */
  const storedField = async <Field extends keyof Personality>(field: Field) =>
    (await personalities.listByOwner(owner))[0]?.[field];

  describe('create', () => {
    describe('when every field is valid', () => {
      it('creates a personality the caller owns and says so privately', async () => {
        const response = await create(owner, {
          name: 'Alice',
          prompt: 'You are Alice the librarian.',
          avatar: 'https://cdn.example.com/alice.png',
          provider: 'other',
          temperature: 0.5,
          visibility: 'public',
        });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe(
          'Created **Alice** (other/other-large, public). Talk to it by writing @Alice in a message, or by replying to its messages.',
        );
        const [alice] = await personalities.listByOwner(owner);
        expect(alice).toMatchObject({
          ownerId: owner,
          name: 'Alice',
          systemPrompt: 'You are Alice the librarian.',
          avatarUrl: 'https://cdn.example.com/alice.png',
          provider: 'other',
          model: 'other-large',
          temperature: 0.5,
          visibility: 'public',
        });
      });
    });

    describe('when a field breaks a rule', () => {
      it.each([
        ['a name too long', { name: 'N'.repeat(81) }, 'Name must be 1–80 characters (got 81).'],
        ['a name starting with @', { name: '@Bob' }, 'Name cannot start with “@”'],
        ['a reserved name', { name: 'everyone' }, 'Name cannot be “everyone” or “here”'],
        ['a blank prompt', { prompt: '   ' }, 'Prompt must be 1–6,000 characters (got 0).'],
        [
          'an avatar that is no image link',
          { avatar: 'http://example.com/a.txt' },
          'Avatar must be an https:// link',
        ],
        [
          'a temperature out of range',
          { temperature: 3 },
          'Temperature must be a number from 0 to 2 (got 3).',
        ],
        [
          'an unknown provider',
          { provider: 'nope' },
          'Provider “nope” is not configured. Choose one of: default, other.',
        ],
        [
          'a model the provider lacks',
          { model: 'gpt-9' },
          'Model “gpt-9” is not available from provider “default”',
        ],
        [
          'a visibility outside the choices',
          { visibility: 'secret' },
          'Visibility must be “public” or “private”.',
        ],
      ])('refuses %s privately, naming the field, and saves nothing', async (_label, fields, message) => {
        const user = harness.addUser(`rules-${Math.random().toString(36).slice(2, 8)}`);
        const response = await create(user, { name: 'Bob', prompt: 'You are Bob.', ...fields });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toContain(message);
        expect(await personalities.listByOwner(user)).toEqual([]);
      });

      it('lists every broken rule at once', async () => {
        const user = harness.addUser('many-errors');
        const response = await create(user, { name: '@x', prompt: ' ', temperature: -1 });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toMatch(/^Please fix these:\n• Name .*\n• Prompt .*\n• Temperature .*$/u);
        expect(await personalities.countByOwner(user)).toBe(0);
      });

      it('refuses a name the owner already uses', async () => {
        const response = await create(owner, { name: 'alice', prompt: 'Another Alice' });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe(
          'Name is taken: you already have a personality or alias called “alice”.',
        );
        expect(await personalities.countByOwner(owner)).toBe(1);
      });
    });

    describe('when the caller already owns MAX_PERSONALITIES_PER_USER personalities', () => {
      it('refuses another privately, naming the cap, and saves nothing', async () => {
        const user = harness.addUser('collector');
        const cap = harness.config.limits.maxPersonalitiesPerUser;
        for (let index = 0; index < cap; index += 1) {
          await harness.createPersonality({
            ownerId: user,
            name: `Owned ${index}`,
            visibility: 'private',
          });
        }
        const response = await create(user, { name: 'One too many', prompt: 'p' });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe(
          `You already own ${cap} personalities, the most one person can have. Delete one with /personality remove to make room.`,
        );
        expect(await personalities.countByOwner(user)).toBe(cap);
      });
    });

    describe('when the same command is submitted twice at once', () => {
      it('creates one personality', async () => {
        const user = harness.addUser('double');
        const handles = [1, 2].map(() =>
          harness.sandbox.runSlashCommand(
            user,
            channel,
            'personality',
            { name: 'Twin', prompt: 'p' },
            { subcommand: 'create' },
          ),
        );
        const responses = await Promise.all(handles.map((handle) => handle.waitForResponse()));
        expect(await personalities.countByOwner(user)).toBe(1);
        const [created, refused] = [...responses].sort((left) =>
          left.content?.startsWith('Created') ? -1 : 1,
        );
        expect(created?.content).toMatch(/^Created \*\*Twin\*\*/u);
        // Whichever check caught the twin (the rules, or the repository's atomic one), it names the clash.
        expect(refused?.content).toMatch(/“Twin”|"Twin"/u);
        expect(isEphemeral(refused!)).toBe(true);
      });
    });
  });

  describe('edit', () => {
    describe('when the owner changes fields', () => {
      it('applies exactly those fields', async () => {
        const response = await personality(owner, 'edit', {
          name: 'Alice',
          prompt: 'You are Alice, head librarian.',
          model: 'other-small',
          temperature: 1.2,
        });
        expect(response.content).toBe('Updated **Alice**: prompt, temperature, model.');
        const [alice] = await personalities.listByOwner(owner);
        expect(alice).toMatchObject({
          systemPrompt: 'You are Alice, head librarian.',
          model: 'other-small',
          temperature: 1.2,
          provider: 'other',
        });
      });

      it('renames, removes the avatar with "none", and takes the new provider’s default model', async () => {
        const response = await personality(owner, 'edit', {
          name: 'Alice',
          'new-name': 'Alicia',
          avatar: 'none',
          provider: 'default',
        });
        expect(response.content).toBe('Updated **Alicia**: new-name, avatar, provider, model.');
        const [alicia] = await personalities.listByOwner(owner);
        expect(alicia).toMatchObject({
          name: 'Alicia',
          avatarUrl: null,
          provider: 'default',
          model: 'stub-model',
        });
        await personality(owner, 'edit', { name: 'Alicia', 'new-name': 'Alice' });
      });
    });

    describe('when the owner changes the context', () => {
      it('keeps the personality to personal conversations, says so in info, and back', async () => {
        const edit = (context: string) => personality(owner, 'edit', { name: 'Alice', context });
        expect(await storedField('contextMode')).toBe('room');
        const response = await edit('personal');
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe('Updated **Alice**: context.');
        expect(await storedField('contextMode')).toBe('personal');
        const info = await personality(owner, 'info', { name: 'Alice' });
        expect(shownText(info)).toContain('personal: sees only its own conversation with each person');
        await edit('room');
        expect(await storedField('contextMode')).toBe('room');
      });
    });

    describe('when the owner changes the memory scope', () => {
      it('remembers people across channels, says so in info, and back', async () => {
        const edit = (memory: string) => personality(owner, 'edit', { name: 'Alice', memory });
        expect(await storedField('memoryScope')).toBe('conversation');
        const response = await edit('user');
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe('Updated **Alice**: memory.');
        expect(await storedField('memoryScope')).toBe('user');
        const info = await personality(owner, 'info', { name: 'Alice' });
        expect(shownText(info)).toContain('user: remembers each person across channels');
        await edit('conversation');
        expect(await storedField('memoryScope')).toBe('conversation');
      });
    });

    describe('when the owner sets fallback models', () => {
      it('stores them in order, shows them in info, names a bad entry, and clears them with none', async () => {
        const edit = (fallbacks: string) => personality(owner, 'edit', { name: 'Alice', fallbacks });
        const alice = (await personalities.listByOwner(owner))[0]!;
        expect(`${alice.provider}/${alice.model}`).toBe('default/stub-model');
        const response = await edit('other/other-large, other/other-small');
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe('Updated **Alice**: fallbacks.');
        expect(await storedField('fallbackModels')).toEqual([
          { provider: 'other', model: 'other-large' },
          { provider: 'other', model: 'other-small' },
        ]);
        const info = await personality(owner, 'info', { name: 'Alice' });
        expect(shownText(info)).toContain('other/other-large, other/other-small');

        const before = await personalities.listByOwner(owner);
        const refused = await edit('other/other-small, nowhere/gpt-9');
        expect(refused.content).toBe(
          'Fallback “nowhere/gpt-9” is not provider/model with a configured provider (default, other).',
        );
        const own = await edit('default/stub-model');
        expect(own.content).toBe(
          "Fallback “default/stub-model” is the personality's own model: list other models.",
        );
        expect(await personalities.listByOwner(owner)).toEqual(before);

        await edit('none');
        expect(await storedField('fallbackModels')).toEqual([]);
      });

      it('completes the entry being typed after the ones already typed', async () => {
        const response = await harness.sandbox
          .autocomplete(
            owner,
            channel,
            'personality',
            'fallbacks',
            { name: 'Alice', fallbacks: 'other/other-large, other-s' },
            { subcommand: 'edit' },
          )
          .waitForResponse();
        expect(response.choices).toEqual([
          { name: 'other/other-large, other/other-small', value: 'other/other-large, other/other-small' },
        ]);
      });
    });
    describe('when the owner changes streaming', () => {
      it('stores on, off or the default, and says so in info', async () => {
        const edit = (stream: string) => personality(owner, 'edit', { name: 'Alice', stream });
        const info = () => personality(owner, 'info', { name: 'Alice' });
        expect(await storedField('streamReplies')).toBeNull();
        const response = await edit('off');
        expect(response.content).toBe('Updated **Alice**: stream.');
        expect(await storedField('streamReplies')).toBe(false);
        expect(shownText(await info())).toContain('off: replies appear once complete');
        await edit('default');
        expect(await storedField('streamReplies')).toBeNull();
        expect(shownText(await info())).toContain('default: follows the bot’s setting');
      });
    });

    describe('when the change is invalid or empty', () => {
      it('names the broken field and changes nothing', async () => {
        const before = await personalities.listByOwner(owner);
        const response = await personality(owner, 'edit', { name: 'Alice', temperature: 9 });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe('Temperature must be a number from 0 to 2 (got 9).');
        expect(await personalities.listByOwner(owner)).toEqual(before);
      });

      it('asks for a field when none was given', async () => {
        const response = await personality(owner, 'edit', { name: 'Alice' });
        expect(response.content).toContain('Nothing to change');
      });
    });

    describe('when someone else tries', () => {
      it('refuses privately and changes nothing', async () => {
        const before = await personalities.listByOwner(owner);
        const response = await personality(other, 'edit', { name: 'Alice', prompt: 'Hacked' });
        expect(isEphemeral(response)).toBe(true);
        expect(response.content).toBe('Only the owner of **Alice** can change or delete it.');
        expect(await personalities.listByOwner(owner)).toEqual(before);
      });
    });
  });

  describe('info', () => {
    it('shows the prompt to the owner only', async () => {
      const mine = await personality(owner, 'info', { name: 'Alice' });
      const theirs = await personality(other, 'info', { name: 'alice' });
      expect(isEphemeral(mine) && isEphemeral(theirs)).toBe(true);
      expect(shownText(mine)).toContain('You are Alice, head librarian.');
      expect(shownText(theirs)).toContain(`<@${owner}>`);
      expect(shownText(theirs)).not.toContain('librarian');
    });

    it('does not find someone else’s private personality', async () => {
      await harness.createPersonality({
        ownerId: owner,
        name: 'Hidden',
        visibility: 'private',
        systemPrompt: 'secret',
      });
      const response = await personality(other, 'info', { name: 'Hidden' });
      expect(response.content).toBe(
        'Personality: no personality called “Hidden” that you can use. Pick one from the list as you type.',
      );
    });
  });

  describe('alias', () => {
    it('adds and removes an alias for the owner', async () => {
      const added = await alias(owner, 'add', { name: 'Alice', alias: 'Ally' });
      expect(added.content).toBe('**Alice** now also answers to @Ally.');
      expect(await storedField('aliases')).toEqual(['Ally']);
      const again = await alias(owner, 'add', { name: 'Alice', alias: 'ally' });
      expect(again.content).toBe(
        'Alias “ally” is taken: you already have a personality or alias called “ally”.',
      );
      const removed = await alias(owner, 'remove', { name: 'Alice', alias: 'Ally' });
      expect(removed.content).toBe('**Alice** no longer answers to “Ally”.');
      expect(await storedField('aliases')).toEqual([]);
    });

    it('refuses an alias equal to the name, and a non-owner', async () => {
      const same = await alias(owner, 'add', { name: 'Alice', alias: 'ALICE' });
      expect(same.content).toBe('Alias “ALICE” is the same as the name.');
      const stranger = await alias(other, 'add', { name: 'Alice', alias: 'Al' });
      expect(stranger.content).toBe('Only the owner of **Alice** can change or delete it.');
    });
  });

  describe('autocomplete', () => {
    it('offers the caller’s own personalities first, then public ones, at most 25', async () => {
      const prolific = harness.addUser('prolific');
      for (let index = 0; index < 30; index += 1) {
        await harness.createPersonality({
          ownerId: prolific,
          name: `Bot ${String(index).padStart(2, '0')}`,
          visibility: 'public',
        });
      }
      const caller = harness.addUser('caller');
      await create(caller, { name: 'Zed Bot', prompt: 'mine' });
      const handle = harness.sandbox.autocomplete(
        caller,
        channel,
        'personality',
        'name',
        { name: 'bot' },
        { subcommand: 'info' },
      );
      const response = await handle.waitForResponse();
      const choices = (response.choices ?? []) as Array<{ name: string; value: string }>;
      expect(choices).toHaveLength(25);
      expect(choices[0]?.name).toBe('Zed Bot (yours)');
      expect(choices.slice(1).every((choice) => choice.name.endsWith('(public)'))).toBe(true);
      // The chosen value (an id) works as the option.
      const info = await personality(caller, 'info', { name: choices[0]!.value });
      expect(shownText(info)).toContain('Zed Bot');
    });

    it('offers configured providers and the chosen provider’s models', async () => {
      const providers = await harness.sandbox
        .autocomplete(
          owner,
          channel,
          'personality',
          'provider',
          { name: 'x', prompt: 'p', provider: '' },
          { subcommand: 'create' },
        )
        .waitForResponse();
      expect(providers.choices).toEqual([
        { name: 'default (default)', value: 'default' },
        { name: 'other', value: 'other' },
      ]);
      const chosen = await harness.sandbox
        .autocomplete(
          owner,
          channel,
          'personality',
          'model',
          { name: 'x', prompt: 'p', provider: 'other', model: 'sm' },
          { subcommand: 'create' },
        )
        .waitForResponse();
      expect(chosen.choices).toEqual([{ name: 'other-small', value: 'other-small' }]);
      // Editing without a provider: the models of the personality's current provider.
      const current = await harness.sandbox
        .autocomplete(
          owner,
          channel,
          'personality',
          'model',
          { name: 'Alice', model: '' },
          { subcommand: 'edit' },
        )
        .waitForResponse();
      expect(current.choices).toEqual([{ name: 'stub-model', value: 'stub-model' }]);
    });
  });

  describe('list', () => {
    it('pages the public list with buttons only its invoker can press', async () => {
      const response = await personality(other, 'list', { scope: 'public' });
      expect(isEphemeral(response)).toBe(false);
      expect(shownText(response)).toContain('Page 1 of 4');
      const [previous, next] = buttonIds(response.components);
      expect(previous).toBeDefined();
      const messageId = response.messageId!;

      const stranger = await harness.sandbox.clickButton(owner, messageId, next!).waitForResponse();
      expect(isEphemeral(stranger)).toBe(true);
      expect(stranger.content).toBe(
        'These buttons belong to someone else’s command. Run the command yourself to get your own.',
      );

      const second = await harness.sandbox.clickButton(other, messageId, next!).waitForResponse();
      expect(second.callbackType).toBe(7);
      expect(shownText(second)).toContain('Page 2 of 4');
      const [back] = buttonIds(second.components);
      const first = await harness.sandbox.clickButton(other, messageId, back!).waitForResponse();
      expect(shownText(first)).toContain('Page 1 of 4');
    });

    it('lists the caller’s own personalities privately by default', async () => {
      const response = await personality(owner, 'list', {});
      expect(isEphemeral(response)).toBe(true);
      expect(shownText(response)).toContain('Your personalities (2)');
      expect(response.components).toEqual([]);
    });
  });

  describe('remove', () => {
    it('asks for confirmation, keeps it on cancel, and deletes it with its activations on confirm', async () => {
      const victim = await harness.createPersonality({
        ownerId: owner,
        name: 'Temp',
        aliases: ['Tmp'],
        visibility: 'public',
      });
      const activations = new ActivationRepository(harness.redis, { prefix: harness.prefix });
      await activations.activate({
        guildId: harness.guildId,
        channelId: channel,
        personalityId: victim.id,
        activatedBy: owner,
      });

      const ask = await personality(owner, 'remove', { name: 'Temp' });
      expect(isEphemeral(ask)).toBe(true);
      expect(ask.content).toContain('Delete **Temp**?');
      const [confirm, cancel] = buttonIds(ask.components);
      const kept = await harness.sandbox.clickButton(owner, ask.messageId!, cancel!).waitForResponse();
      expect(kept.content).toBe('Kept **Temp**.');
      expect(await personalities.fetchById(victim.id)).not.toBeNull();

      const again = await personality(owner, 'remove', { name: 'Tmp' });
      const [confirmAgain] = buttonIds(again.components);
      expect(confirmAgain).toBe(confirm);
      const done = await harness.sandbox
        .clickButton(owner, again.messageId!, confirmAgain!)
        .waitForResponse();
      expect(done.content).toBe('Deleted **Temp** with its aliases and channel activations.');
      expect(done.components).toEqual([]);
      expect(await personalities.fetchById(victim.id)).toBeNull();
      expect(await activations.fetchForChannel(channel)).toBeNull();
      expect(await personalities.resolveNames(owner, ['tmp'])).toEqual(new Map());
    });

    it('refuses a non-owner', async () => {
      const response = await personality(other, 'remove', { name: 'Alice' });
      expect(response.content).toBe('Only the owner of **Alice** can change or delete it.');
      expect(response.components).toEqual([]);
    });
  });

  describe('when anything is refused', () => {
    it('logs no error', () => {
      expect(harness.logs().filter((line) => Number(line['level']) >= 50)).toEqual([]);
    });
  });
});
