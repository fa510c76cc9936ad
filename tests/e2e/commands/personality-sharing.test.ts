/**
 * `/personality share|unshare` and co-editing through the Discord sandbox with the real discord.js: a
 * co-editor edits (and finds the personality in edit's autocomplete) but cannot delete or share it; a
 * stranger cannot edit; two edits of one version at once: one wins, the other is told what changed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type Personality, PersonalityRepository } from '../../../src/state/index.js';
import { CommandHarness, isEphemeral } from './command-harness.js';

describe('/personality share', () => {
  let harness: CommandHarness;
  let personalities: PersonalityRepository;
  let owner: string;
  let editor: string;
  let stranger: string;
  let channel: string;
  let alice: Personality;

  beforeAll(async () => {
    harness = await CommandHarness.start();
    personalities = harness.personalities;
    owner = harness.addUser('owner');
    editor = harness.addUser('editor');
    stranger = harness.addUser('stranger');
    channel = harness.channel('general');
    await harness.run(
      owner,
      channel,
      'personality',
      { name: 'Alice', prompt: 'You are Alice.', visibility: 'private', nsfw: true },
      { subcommand: 'create' },
    );
    const [created] = await personalities.listByOwner(owner);
    if (created === undefined) throw new Error('/personality create made nothing');
    alice = created;
  }, 30_000);

  afterEach(() => {
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    await harness?.close();
  });

  const run = (userId: string, subcommand: string, options: Record<string, string | number | boolean>) =>
    harness.run(userId, channel, 'personality', options, { subcommand });

  it('creates it with the nsfw flag its owner set', () => {
    expect(alice).toMatchObject({ nsfw: true, visibility: 'private', editorIds: [] });
  });

  it('lets only the owner share it', async () => {
    const refused = await run(stranger, 'share', { name: alice.id, user: stranger });
    expect(refused.content).toContain('Personality: no personality called');
    const shared = await run(owner, 'share', { name: 'Alice', user: editor });
    expect(isEphemeral(shared)).toBe(true);
    expect(shared.content).toBe(
      `<@${editor}> can now edit **Alice** with /personality edit. They cannot delete it, share it, change its aliases or visibility.`,
    );
    expect((await personalities.fetchById(alice.id))?.editorIds).toEqual([editor]);
  });

  it('offers it in the co-editor’s edit autocomplete only', async () => {
    const edit = await harness.sandbox
      .autocomplete(editor, channel, 'personality', 'name', { name: 'ali' }, { subcommand: 'edit' })
      .waitForResponse();
    expect(edit.choices).toEqual([{ name: 'Alice (you co-edit)', value: alice.id }]);
    const info = await harness.sandbox
      .autocomplete(editor, channel, 'personality', 'name', { name: 'ali' }, { subcommand: 'info' })
      .waitForResponse();
    expect(info.choices).toEqual([]);
  });

  it('lets the co-editor edit, by id or by name, but not delete, share or change visibility', async () => {
    const edited = await run(editor, 'edit', {
      name: alice.id,
      prompt: 'You are Alice, edited.',
      nsfw: false,
    });
    expect(edited.content).toBe('Updated **Alice**: prompt, nsfw.');
    expect(await personalities.fetchById(alice.id)).toMatchObject({
      ownerId: owner,
      systemPrompt: 'You are Alice, edited.',
      nsfw: false,
    });
    const byName = await run(editor, 'edit', { name: 'alice', temperature: 0.5 });
    expect(byName.content).toBe('Updated **Alice**: temperature.');
    const visibility = await run(editor, 'edit', { name: alice.id, visibility: 'public' });
    expect(visibility.content).toContain('Only the owner of that personality can delete or share it');
    const remove = await run(editor, 'remove', { name: alice.id });
    expect(remove.content).toContain('no personality called');
    const share = await run(editor, 'share', { name: alice.id, user: stranger });
    expect(share.content).toContain('no personality called');
    expect((await personalities.fetchById(alice.id))?.visibility).toBe('private');
  });

  it('refuses a stranger’s edit', async () => {
    const refused = await run(stranger, 'edit', { name: alice.id, prompt: 'Hacked' });
    expect(refused.content).toContain('no personality called');
    expect((await personalities.fetchById(alice.id))?.systemPrompt).toBe('You are Alice, edited.');
  });

  it('lets one of two concurrent edits win and tells the other what changed', async () => {
    // Both edits read the same version before either writes: hold each until both arrived.
    const update = PersonalityRepository.prototype.update;
    let arrived = 0;
    let release: () => void = () => undefined;
    const bothArrived = new Promise<void>((resolve) => {
      release = resolve;
    });
    vi.spyOn(PersonalityRepository.prototype, 'update').mockImplementation(async function (
      this: PersonalityRepository,
      ...args: Parameters<PersonalityRepository['update']>
    ) {
      arrived += 1;
      if (arrived === 2) release();
      await bothArrived;
      return update.apply(this, args);
    });
    const [fromOwner, fromEditor] = await Promise.all([
      run(owner, 'edit', { name: alice.id, prompt: 'Owner’s prompt.' }),
      run(editor, 'edit', { name: alice.id, prompt: 'Editor’s prompt.' }),
    ]);
    const answers = [fromOwner.content ?? '', fromEditor.content ?? ''];
    const won = answers.filter((answer) => answer === 'Updated **Alice**: prompt.');
    const refused = answers.filter((answer) => answer.includes('changed since your edit started'));
    expect(won).toHaveLength(1);
    expect(refused).toHaveLength(1);
    const stored = await personalities.fetchById(alice.id);
    const winner = answers[0] === won[0] ? 'Owner’s prompt.' : 'Editor’s prompt.';
    expect(stored?.systemPrompt).toBe(winner);
    expect(refused[0]).toContain(`prompt: "You are Alice, edited." → "${winner}"`);
    expect(refused[0]).toContain('Nothing was saved');
  });

  it('unshares: the former co-editor can no longer edit', async () => {
    const stranger2 = await run(owner, 'unshare', { name: alice.id, user: stranger });
    expect(stranger2.content).toBe('That person is not a co-editor of that personality.');
    const unshared = await run(owner, 'unshare', { name: alice.id, user: editor });
    expect(unshared.content).toBe(`<@${editor}> can no longer edit **Alice**.`);
    const refused = await run(editor, 'edit', { name: alice.id, prompt: 'Too late.' });
    expect(refused.content).toContain('no personality called');
    expect((await personalities.fetchById(alice.id))?.editorIds).toEqual([]);
  });
});
