/**
 * Character cards end to end: a user imports a card with /personality import, talks to it, and exports it with
 * /personality export. Real gateway and worker, the Discord sandbox with the unmodified discord.js (the card is
 * a file on the slash command, downloaded from the sandbox's CDN), the AI stub, real Redis.
 */
import { encode as encodeTextChunk } from 'png-chunk-text';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPng } from '../../../sandbox/sample-images.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { FULL_V2_CARD } from '../../support/character-card.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
const EPHEMERAL = 64;
const MANAGE_CHANNELS = 1n << 4n;

describe('character cards', () => {
  const pipeline = new PipelineHarness();
  const { personalities } = pipeline;
  let cluster: LocalCluster;
  let channelId: string;
  let ann: string;
  let guildId: string;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { STREAM_REPLIES: 'false' },
    });
    const { sandbox } = cluster;
    await pipeline.deployCommands();
    guildId = sandbox.createGuild({ name: 'cards' }).id;
    channelId = sandbox.createChannel(guildId, { name: 'tavern' }).id;
    ann = sandbox.createUser({ username: 'ann', globalName: 'Ann' }).id;
    sandbox.addMember(guildId, ann, { permissions: MANAGE_CHANNELS });
  }, 60_000);

  afterAll(() => pipeline.close());

  function importCard(filename: string, data: Buffer, options: Record<string, string> = {}) {
    return cluster.sandbox
      .runSlashCommand(
        ann,
        channelId,
        'personality',
        { file: { filename, data, contentType: 'application/octet-stream' }, ...options },
        { subcommand: 'import' },
      )
      .waitForResponse((response) => response.kind === 'edit', WAIT_MS);
  }

  it('imports a real-world V2 card and exports it round-trip', async () => {
    const { sandbox } = cluster;
    const png = buildPng(4, 4, [
      encodeTextChunk('chara', Buffer.from(JSON.stringify(FULL_V2_CARD)).toString('base64')),
    ]);
    const imported = await importCard('seraphina.png', png, {
      avatar: 'https://images.example.com/seraphina.png',
      visibility: 'private',
    });
    expect(imported.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(imported.content).toMatch(/Imported \*\*Seraphina\*\*/u);
    expect(imported.content).toMatch(
      /not used yet: alternate_greetings, character_book, tags, creator, creator_notes, character_version, extensions/u,
    );
    const [stored] = await personalities.listByOwner(ann);
    expect(stored).toMatchObject({
      name: 'Seraphina',
      visibility: 'private',
      avatarUrl: 'https://images.example.com/seraphina.png',
      greeting: FULL_V2_CARD.data.first_mes,
    });
    // The card's Discord URL is kept nowhere.
    expect(JSON.stringify(stored)).not.toContain('/attachments/');

    // {{char}} and {{user}} are the personality and the speaker when the prompt is sent.
    sandbox.userSays(ann, channelId, '@Seraphina hello?');
    await sandbox.waitForMessages(channelId, 2, WAIT_MS);
    const system = String(cluster.aiStub.requests.at(-1)?.messages[0]?.content);
    expect(system).toContain('Write Seraphina’s next reply in a fictional chat between Seraphina and Ann.');
    expect(system).not.toMatch(/\{\{(char|user)\}\}/u);

    const exported = await sandbox
      .runSlashCommand(ann, channelId, 'personality', { name: 'Seraphina' }, { subcommand: 'export' })
      .waitForResponse(undefined, WAIT_MS);
    expect(exported.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(exported.attachments).toHaveLength(1);
    const [file] = exported.attachments;
    expect(file?.filename).toBe('Seraphina.card.json');
    // The only normalisation a V2 card with every field meets is none: it comes back as it went in.
    expect(JSON.parse(String(file?.data))).toEqual(FULL_V2_CARD);
  });

  it('posts the greeting once, when the personality is first activated in a channel', async () => {
    const { sandbox } = cluster;
    const glade = sandbox.createChannel(guildId, { name: 'glade' }).id;
    const activate = () =>
      sandbox
        .runSlashCommand(ann, glade, 'activate', { personality: 'Seraphina' })
        .waitForResponse(undefined, WAIT_MS);
    const greetings = () => sandbox.transcript(glade).filter((entry) => entry.authorName === 'Seraphina');
    await activate();
    await vi.waitFor(() => expect(greetings()).toHaveLength(1), { timeout: WAIT_MS });
    expect(greetings()[0]?.content).toBe(
      '*Seraphina kneels beside you, her hands glowing with a soft light.* Easy now, Ann. You are safe in my glade.',
    );
    expect(greetings()[0]?.webhookId).not.toBeNull();

    // Activated again: no second greeting (a reply to a message shows the worker has caught up).
    await sandbox.runSlashCommand(ann, glade, 'deactivate').waitForResponse(undefined, WAIT_MS);
    await activate();
    sandbox.userSays(ann, glade, 'are you still there?');
    await vi.waitFor(() => expect(greetings()).toHaveLength(2), { timeout: WAIT_MS });
    expect(greetings()[1]?.content).not.toContain('kneels beside you');
  });

  it('greets a user before its first DM reply, and only then', async () => {
    const { sandbox } = cluster;
    const dm = sandbox.openDm(ann).id;
    sandbox.userSays(ann, dm, '@Seraphina hello in private');
    const [, greeting, reply] = await sandbox.waitForMessages(dm, 3, WAIT_MS);
    expect(greeting?.content).toBe(
      '**Seraphina:** *Seraphina kneels beside you, her hands glowing with a soft light.* Easy now, Ann. You are safe in my glade.',
    );
    expect(reply?.content).toMatch(/^\*\*Seraphina:\*\*/u);
    expect(reply?.content).not.toContain('kneels beside you');
    sandbox.userSays(ann, dm, '@Seraphina and again');
    const messages = await sandbox.waitForMessages(dm, 5, WAIT_MS);
    expect(messages.filter((message) => message.content.includes('kneels beside you'))).toHaveLength(1);
  });

  it('refuses a corrupt PNG with a clear message, creating nothing', async () => {
    const before = await personalities.countByOwner(ann);
    const png = buildPng(4, 4, [encodeTextChunk('chara', Buffer.from('{}').toString('base64'))]);
    const refused = await importCard('broken.png', png.subarray(0, png.length - 30));
    expect(refused.content).toMatch(/The PNG is corrupt or truncated/u);
    expect(await personalities.countByOwner(ann)).toBe(before);
  });

  it('refuses a .charx archive before downloading it', async () => {
    const refused = await cluster.sandbox
      .runSlashCommand(
        ann,
        channelId,
        'personality',
        { file: { filename: 'seraphina.charx', data: Buffer.from('PK\u0003\u0004') } },
        { subcommand: 'import' },
      )
      .waitForResponse(undefined, WAIT_MS);
    expect(refused.content).toMatch(/\.charx\) are not supported/u);
  });
});
