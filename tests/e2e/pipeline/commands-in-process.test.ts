/**
 * Slash commands through the real gateway and worker processes (the command handler is wired into the
 * gateway, the task processor into the worker): a personality created with /personality answers a mention,
 * and /apikey test runs as a worker job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;

describe('slash commands across processes', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let channelId: string;
  let userId: string;

  beforeAll(async () => {
    cluster = await pipeline.start();
    const { sandbox } = cluster;
    await pipeline.deployCommands();
    guildId = (await sandbox.createGuild({ name: 'commands' })).id;
    channelId = (await sandbox.createChannel(guildId, { name: 'general' })).id;
    userId = (await sandbox.createUser({ username: 'creator', globalName: 'Cora' })).id;
    await sandbox.addMember(guildId, userId);
  }, 60_000);

  afterAll(() => pipeline.close());

  it('creates a personality with /personality create, which then answers a mention', async () => {
    const created = await cluster.sandbox
      .runSlashCommand(
        userId,
        channelId,
        'personality',
        { name: 'Nova', prompt: 'You are Nova, an astronomer.', avatar: 'https://cdn.example.com/nova.png' },
        { subcommand: 'create' },
      )
      .waitForResponse();
    expect(created.content).toMatch(/^Created \*\*Nova\*\*/u);

    await cluster.sandbox.userSays(userId, channelId, '@Nova which star is brightest?');
    await cluster.sandbox.waitForMessages(
      channelId,
      (messages) => messages.some((m) => m.authorName === 'Nova'),
      WAIT_MS,
    );
    const reply = cluster.sandbox.transcript(channelId).find((message) => message.authorName === 'Nova');
    expect(reply).toMatchObject({ avatarUrl: 'https://cdn.example.com/nova.png' });
    expect(reply?.content).toContain('system="You are Nova, an astronomer."');
  });

  it('refuses bad input with an ephemeral reply naming the field', async () => {
    const refused = await cluster.sandbox
      .runSlashCommand(
        userId,
        channelId,
        'personality',
        { name: '@everyone', prompt: 'x' },
        { subcommand: 'create' },
      )
      .waitForResponse();
    expect(refused.flags ?? 0).toBe(64);
    expect(refused.content).toMatch(/name/iu);
  });

  it('runs /apikey test as a worker job that edits the deferred reply', async () => {
    await cluster.sandbox
      .runSlashCommand(userId, channelId, 'apikey', { key: 'sk-user-own-key-123456' }, { subcommand: 'set' })
      .waitForResponse();
    const handle = cluster.sandbox.runSlashCommand(userId, channelId, 'apikey', {}, { subcommand: 'test' });
    const result = await handle.waitForResponse(
      (response) => /works|failed|rejected|✅|❌/iu.test(response.content ?? ''),
      WAIT_MS,
    );
    expect(result.content).toMatch(/works|✅/iu);
    expect(cluster.aiStub.requests.some((request) => request.apiKey === 'sk-user-own-key-123456')).toBe(true);
  });
});
