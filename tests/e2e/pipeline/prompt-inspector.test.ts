/**
 * The Inspector's records end to end (`DEBUG_PROMPTS`, docs/inspector.md): a real gateway and worker, the
 * Discord sandbox, the AI stub streaming with a pause between chunks (and a second stub as a fallback provider),
 * real Redis. A streamed reply and one answered whole each leave a record holding the prompt the stub received
 * (the system prompt and the user's words), the model, the posted messages' ids and timings in order; a fallback's
 * answer names the fallback model; a reply that failed names its error; `/forget-me` removes them; a worker
 * without `DEBUG_PROMPTS` records nothing.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AiStub } from '../../../sandbox/ai-stub/index.js';
import type { TranscriptEntry } from '../../../sandbox/index.js';
import type { ChorusProcess, LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PromptInspectorRepository, type PromptRecord } from '../../../src/inspector/index.js';
import { PipelineHarness } from '../../support/pipeline.js';
import { scanKeys } from '../../support/redis.js';

const WAIT_MS = 20_000;

/** Whether the worker logged that prompts are being kept. */
const warnedOfPrompts = (chorus: ChorusProcess) =>
  chorus.logs.some((line) => String(line['msg']).startsWith('DEBUG_PROMPTS is on'));

describe('the prompt inspector', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const inspector = new PromptInspectorRepository(redis, { prefix });
  let cluster: LocalCluster;
  let backup: AiStub;
  let worker: ChorusProcess;
  let guildId: string;
  let userId: string;

  beforeAll(async () => {
    backup = await pipeline.startAiStub();
    cluster = await pipeline.startCluster({
      env: {
        STREAM_REPLIES: 'true',
        USER_BURST: '20',
        USER_RATE_PER_MINUTE: '600',
        // A failing stub fails fast and never opens a breaker: the later tests use the same provider.
        AI_MAX_RETRIES: '0',
        BREAKER_VOLUME_THRESHOLD: '1000',
        BACKUP_AI_KEY: 'sk-backup-operator',
        AI_PROVIDERS: JSON.stringify({
          backup: { baseUrl: backup.baseUrl, apiKeyEnv: 'BACKUP_AI_KEY', models: ['stub-backup'] },
        }),
      },
      // Streamed text comes in over a second or so: the first token comes well before the reply is posted.
      aiStub: { behaviour: { chunkDelayMs: 20 } },
    });
    [, worker] = await Promise.all([
      cluster.spawn('gateway'),
      cluster.spawn('worker', { DEBUG_PROMPTS: 'true' }),
    ]);
    const { sandbox } = cluster;
    await pipeline.deployCommands();
    guildId = sandbox.createGuild({ name: 'inspected' }).id;
    userId = sandbox.createUser({ username: 'writer', globalName: 'Writer' }).id;
    sandbox.addMember(guildId, userId);
    const create = (name: string, systemPrompt: string, streamReplies: boolean) =>
      pipeline.createPublicPersonality({
        ownerId: userId,
        name,
        systemPrompt,
        streamReplies,
        fallbackModels: [{ provider: 'backup', model: 'stub-backup' }],
      });
    await create('Alice', 'You are Alice the librarian.', true);
    await create('Bruno', 'You are Bruno the baker.', false);
    await create('Cleo', 'You are Cleo the clockmaker.', false);
    await create('Dora', 'You are Dora the diver.', false);
  }, 60_000);

  afterAll(() => pipeline.close());

  const personaMessages = (channelId: string): TranscriptEntry[] =>
    cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);

  /** Waits for the posted record of the user's reply from `personalityName`. */
  async function waitForPostedRecord(personalityName: string): Promise<PromptRecord> {
    let found: PromptRecord | undefined;
    await vi.waitFor(
      async () => {
        found = (await inspector.listForUser(userId)).find(
          (record) => record.personalityName === personalityName && record.timings.postedAt !== null,
        );
        expect(found).toBeDefined();
      },
      { timeout: WAIT_MS, interval: 100 },
    );
    return found!;
  }

  function expectPromptOf(record: PromptRecord, systemPrompt: string, words: string): void {
    const system = record.messages.find((message) => message.role === 'system');
    expect(JSON.stringify(system?.content)).toContain(systemPrompt);
    const user = record.messages.findLast((message) => message.role === 'user');
    expect(JSON.stringify(user?.content)).toContain(words);
    expect(record).toMatchObject({ userId, guildId, model: 'stub-small', error: null });
    const { queuedAt, startedAt, firstTokenAt, postedAt } = record.timings;
    expect(queuedAt).toBeLessThanOrEqual(startedAt);
    expect(firstTokenAt).not.toBeNull();
    expect(startedAt).toBeLessThanOrEqual(firstTokenAt!);
    expect(firstTokenAt!).toBeLessThanOrEqual(postedAt!);
  }

  it('records a streamed reply’s prompt, messages and timings', async () => {
    const { sandbox } = cluster;
    const channel = sandbox.createChannel(guildId, { name: 'streamed' });
    const words = `tell me a story ${randomUUID().slice(0, 8)}`;
    sandbox.userSays(userId, channel.id, `@Alice ${words} !long 1200`);
    const record = await waitForPostedRecord('Alice');
    expect(warnedOfPrompts(worker)).toBe(true);
    expectPromptOf(record, 'You are Alice the librarian.', words);
    const posted = personaMessages(channel.id);
    expect(record.postedMessageIds).toEqual(posted.map((message) => message.id));
    expect(record.channelId).toBe(channel.id);
    // Streamed: shown and edited while the AI wrote, its first text before the reply was complete.
    expect(posted[0]!.edits.length).toBeGreaterThan(0);
    expect(record.timings.firstTokenAt!).toBeLessThan(record.timings.postedAt!);
    expect((await inspector.findByMessageId([userId], posted[0]!.id))?.replyId).toBe(record.replyId);
  });

  it('records a reply answered whole', async () => {
    const { sandbox } = cluster;
    const channel = sandbox.createChannel(guildId, { name: 'whole' });
    const words = `a loaf please ${randomUUID().slice(0, 8)}`;
    sandbox.userSays(userId, channel.id, `@Bruno ${words}`);
    const record = await waitForPostedRecord('Bruno');
    expectPromptOf(record, 'You are Bruno the baker.', words);
    const posted = personaMessages(channel.id);
    expect(posted[0]!.edits).toEqual([]);
    expect(record.postedMessageIds).toEqual(posted.map((message) => message.id));
  });

  describe('when the own model is down', () => {
    afterAll(() => {
      cluster.aiStub.setBehaviour({ errorRate: 0 });
      backup.setBehaviour({ errorRate: 0 });
    });

    it('names the fallback model that answered', async () => {
      cluster.aiStub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const { sandbox } = cluster;
      const channel = sandbox.createChannel(guildId, { name: 'fallback' });
      const words = `what time is it ${randomUUID().slice(0, 8)}`;
      sandbox.userSays(userId, channel.id, `@Cleo ${words}`);
      const record = await waitForPostedRecord('Cleo');
      expect(record.model).toBe('stub-backup');
      expect(JSON.stringify(record.messages)).toContain(words);
      expect(record.error).toBeNull();
    });

    it('records the error of a reply no model could answer, with the notice posted for it', async () => {
      backup.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const { sandbox } = cluster;
      const channel = sandbox.createChannel(guildId, { name: 'down' });
      sandbox.userSays(userId, channel.id, '@Dora how deep');
      const record = await waitForPostedRecord('Dora');
      expect(record.error).toMatch(/^UserFacingError\[ProviderUnavailable\]/u);
      // The error names the personality's own model when every model of its chain was down.
      expect(record.model).toBe('stub-small');
      expect(record.timings.firstTokenAt).toBeNull();
      expect(record.postedMessageIds).toEqual(personaMessages(channel.id).map((message) => message.id));
      expect(record.postedMessageIds).toHaveLength(1);
    });
  });

  it('forgets the records with /forget-me', async () => {
    const { sandbox } = cluster;
    expect(await inspector.listForUser(userId)).not.toEqual([]);
    const channelId = sandbox.createChannel(guildId, { name: 'forget' }).id;
    const summary = await sandbox
      .runSlashCommand(userId, channelId, 'forget-me', {}, {})
      .waitForResponse((response) => response.kind === 'edit', WAIT_MS);
    const confirm = (summary.components as Array<{ components: Array<{ custom_id: string }> }>)[0]!
      .components[0]!.custom_id;
    await sandbox
      .clickButton(userId, summary.messageId!, confirm)
      .waitForResponse((response) => response.kind === 'edit', WAIT_MS);
    expect(await inspector.listForUser(userId)).toEqual([]);
    expect(await scanKeys(redis, [`${prefix}:inspector:*`])).toEqual([]);
  });

  describe('when DEBUG_PROMPTS is off', () => {
    it('records nothing', async () => {
      await cluster.stop(worker);
      const quiet = await cluster.spawn('worker');
      expect(warnedOfPrompts(quiet)).toBe(false);
      const { sandbox } = cluster;
      const otherId = sandbox.createUser({ username: 'quiet', globalName: 'Quiet' }).id;
      sandbox.addMember(guildId, otherId);
      // Their own personality: /forget-me above took the first user's.
      await pipeline.createPublicPersonality({
        ownerId: otherId,
        name: 'Quill',
        systemPrompt: 'You are Quill.',
      });
      const channel = sandbox.createChannel(guildId, { name: 'off' });
      sandbox.userSays(otherId, channel.id, '@Quill nothing to see');
      await sandbox.waitForMessages(
        channel.id,
        (messages) => messages.some((message) => message.webhookId !== null),
        WAIT_MS,
      );
      // A record would be written right after the post: give it time to land.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await scanKeys(redis, [`${prefix}:inspector:*`])).toEqual([]);
    });
  });
});
