/**
 * Long-term memory end to end: a conversation far past its caps still knows a fact from its first turn, through
 * the rolling summary the worker's summarization task writes. Real gateway and worker, the Discord sandbox, the
 * AI stub (which summarizes by keeping `fact:` lines, and answers `!recall` with those its system prompt holds),
 * real Redis.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { buildMemorySuffix, MemoryRepository } from '../../../src/memory/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
const EXCHANGES = 12;

describe('a conversation far past its caps', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const memory = new MemoryRepository(redis, { prefix, ttlSeconds: 3600 });
  let cluster: LocalCluster;
  let guildId: string;
  let kate: { id: string };
  let alice: { id: string };

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: {
        USER_BURST: '50',
        USER_RATE_PER_MINUTE: '600',
        CONVERSATION_MAX_TURNS: '4',
        COALESCE_WINDOW_MS: '0',
      },
    });
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'memory' })).id;
    kate = await sandbox.createUser({ username: 'kate', globalName: 'Kate' });
    await sandbox.addMember(guildId, kate.id);
    alice = await pipeline.createPublicPersonality({
      ownerId: kate.id,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
      contextMode: 'personal',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  it('still knows a fact from its first turn, through the summary', async () => {
    const { sandbox } = cluster;
    const channel = await sandbox.createChannel(guildId, { name: 'long' });
    const say = async (text: string, count: number) => {
      sandbox.userSays(kate.id, channel.id, `@Alice ${text}`);
      return (await sandbox.waitForMessages(channel.id, count, WAIT_MS)).at(-1)!;
    };
    await say('fact: my cat is called Biscuit', 2);
    for (let exchange = 1; exchange < EXCHANGES; exchange += 1)
      await say(`small talk ${exchange}`, 2 * (exchange + 1));

    const suffix = buildMemorySuffix('conversation', channel.id, alice.id);
    await vi.waitFor(
      async () => {
        expect(await memory.fetchSummary(kate.id, suffix)).toContain('fact: my cat is called Biscuit');
      },
      { timeout: WAIT_MS, interval: 200 },
    );
    const answer = await say('!recall', 2 * (EXCHANGES + 1));
    expect(answer.content).toContain('recalled: fact: my cat is called Biscuit');
    // The history itself no longer holds the first turn: only the summary carried it.
    const request = cluster.aiStub.requests.findLast((entry) =>
      String(entry.messages.at(-1)?.content ?? '').includes('!recall'),
    );
    const turns =
      request?.messages
        .slice(1)
        .map((message) => String(message.content))
        .join('\n') ?? '';
    expect(turns).not.toContain('Biscuit');
  }, 90_000);
});
