/**
 * A fallback answers while the primary is down, end to end: real gateway and worker, the Discord sandbox, two AI
 * stubs named as two providers in AI_PROVIDERS (`main` for the personality's own model, `backup` for its
 * fallback), real Redis. While `main` fails, replies come from `backup` in the personality's name with nothing
 * odd in them, the worker's logs name the model that answered, and /status shows `main`'s open breaker with
 * its retry time; only when `backup` fails too does the user get the "can't answer right now" notice.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AiStub } from '../../../sandbox/ai-stub/index.js';
import type { TranscriptEntry } from '../../../sandbox/index.js';
import type { ChorusProcess, LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
/** Two failed calls open `main`'s breaker. */
const VOLUME_THRESHOLD = 2;

describe('a fallback model', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let backup: AiStub;
  let worker: ChorusProcess;
  let channelId: string;
  let userId: string;

  beforeAll(async () => {
    backup = await pipeline.startAiStub();
    cluster = await pipeline.startCluster({
      env: {
        USER_BURST: '50',
        USER_RATE_PER_MINUTE: '600',
        BREAKER_VOLUME_THRESHOLD: String(VOLUME_THRESHOLD),
        BREAKER_ERROR_THRESHOLD_PERCENT: '50',
        BREAKER_RESET_TIMEOUT_MS: '60000',
        AI_MAX_RETRIES: '2',
        MAIN_AI_KEY: 'sk-main-operator',
        BACKUP_AI_KEY: 'sk-backup-operator',
      },
    });
    const providers = {
      AI_PROVIDERS: JSON.stringify({
        main: { baseUrl: cluster.aiStub.baseUrl, apiKeyEnv: 'MAIN_AI_KEY', models: ['stub-large'] },
        backup: { baseUrl: backup.baseUrl, apiKeyEnv: 'BACKUP_AI_KEY', models: ['stub-small'] },
      }),
    };
    [, worker] = await Promise.all([cluster.spawn('gateway', providers), cluster.spawn('worker', providers)]);
    const { sandbox } = cluster;
    await pipeline.deployCommands();
    const guildId = (await sandbox.createGuild({ name: 'fallback' })).id;
    channelId = (await sandbox.createChannel(guildId, { name: 'general' })).id;
    userId = (await sandbox.createUser({ username: 'una', globalName: 'Una' })).id;
    await sandbox.addMember(guildId, userId);
    await pipeline.createPublicPersonality({
      ownerId: userId,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
      avatarUrl: 'https://cdn.example.com/alice.png',
      provider: 'main',
      model: 'stub-large',
      contextMode: 'personal',
      fallbackModels: [{ provider: 'backup', model: 'stub-small' }],
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  /** Says `text` to Alice and returns what Alice posted for it. */
  async function askAlice(text: string): Promise<TranscriptEntry> {
    const before = cluster.sandbox
      .transcript(channelId)
      .filter((entry) => entry.authorName === 'Alice').length;
    cluster.sandbox.userSays(userId, channelId, `@Alice ${text}`);
    const transcript = await cluster.sandbox.waitForMessages(
      channelId,
      (entries) => entries.filter((entry) => entry.authorName === 'Alice').length > before,
      WAIT_MS,
    );
    return transcript.filter((entry) => entry.authorName === 'Alice').at(-1)!;
  }

  const fallbackLogs = () => worker.logs.filter((line) => line['msg'] === 'ai answered by a fallback model');

  it('answers from the own model while it works', async () => {
    const reply = await askAlice('good morning');
    expect(reply.content).toMatch(/^\[stub:stub-large\] system="You are Alice the librarian\."/u);
    expect(backup.requests).toHaveLength(0);
    expect(fallbackLogs()).toHaveLength(0);
  });

  it('answers from the fallback while the own model fails, then without calling it once its breaker is open', async () => {
    cluster.aiStub.setBehaviour({ errorRate: 1, errorStatus: 503 });
    const mainCallsBefore = cluster.aiStub.requests.length;
    for (let message = 1; message <= VOLUME_THRESHOLD + 2; message += 1) {
      const reply = await askAlice(`question ${message}`);
      // Alice answers, in her name and with her avatar, from the fallback: nothing says a model failed.
      expect(reply).toMatchObject({
        webhookId: expect.any(String),
        avatarUrl: 'https://cdn.example.com/alice.png',
      });
      expect(reply.content).toMatch(/^\[stub:stub-small\] system="You are Alice the librarian\."/u);
      expect(reply.content).toContain(`last="Una: question ${message}"`);
      expect(reply.content).not.toMatch(/can't answer|fallback|stub-large/iu);
    }
    // One call per message until the breaker opened (no retries with a fallback ready), none after.
    expect(cluster.aiStub.requests.length - mainCallsBefore).toBe(VOLUME_THRESHOLD);
    expect(backup.requests.map((request) => request.apiKey)).toEqual(
      Array(VOLUME_THRESHOLD + 2).fill('sk-backup-operator'),
    );
    expect(fallbackLogs()).toHaveLength(VOLUME_THRESHOLD + 2);
    expect(fallbackLogs()[0]).toMatchObject({
      provider: 'backup',
      model: 'stub-small',
      fallback: 1,
      primaryProvider: 'main',
      primaryModel: 'stub-large',
    });
    expect(
      worker.logs.filter((line) => line['msg'] === 'ai breaker opened' && line['provider'] === 'main'),
    ).toHaveLength(1);
  });

  it("shows the own model's open breaker and when it retries in /status", async () => {
    // Workers publish their breakers every 5 s.
    await vi.waitFor(
      async () => {
        const response = await cluster.sandbox
          .runSlashCommand(userId, channelId, 'status')
          .waitForResponse((entry) => entry.kind === 'edit', WAIT_MS);
        const text = JSON.stringify(response.embeds ?? []);
        expect(text).toMatch(/main\/stub-large: failing \(open; retries <t:\d+:R>\)/u);
        expect(text).toContain('backup/stub-small: working (closed)');
      },
      { timeout: WAIT_MS, interval: 1_000 },
    );
  });

  it("gives the can't-answer notice only once every model is down", async () => {
    backup.setBehaviour({ errorRate: 1, errorStatus: 500 });
    const notice = await askAlice('anyone there?');
    expect(notice.content).toMatch(
      /^Alice can't answer right now: the AI service is failing\. Try again in about /u,
    );
    backup.resetBehaviour();
  });
});
