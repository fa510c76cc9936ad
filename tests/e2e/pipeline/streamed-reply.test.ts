/**
 * Streamed replies end to end: a real gateway and worker, the Discord sandbox with Discord's rate limits (webhook
 * message edits included), the AI stub streaming its answer with a delay between chunks, real Redis. The
 * sandbox keeps every edit of a message, so the pace of a reply is read from its transcript.
 *
 * Runs once `AiService.stream` exists (issue 19, the stream-ai branch); until then the worker answers whole and
 * these are skipped.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildLongReply } from '../../../sandbox/ai-stub/stub-reply.js';
import type { TranscriptEntry } from '../../../sandbox/index.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { AiService } from '../../../src/ai/index.js';
import { contentOf, isBalanced } from '../../support/markdown-oracle.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 20_000;
const EDIT_INTERVAL_MS = 1200;
/** The AI stub's pause between chunks (3 words each): a 1500-character answer takes ~4 s. */
const CHUNK_DELAY_MS = 40;

describe.skipIf(!('stream' in AiService.prototype))('a streamed reply', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let userId: string;

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: {
        STREAM_REPLIES: 'true',
        STREAM_EDIT_INTERVAL_MS: String(EDIT_INTERVAL_MS),
        USER_BURST: '20',
        USER_RATE_PER_MINUTE: '600',
      },
      aiStub: { behaviour: { chunkDelayMs: CHUNK_DELAY_MS } },
    });
    const { sandbox } = cluster;
    guildId = sandbox.createGuild({ name: 'streams' }).id;
    userId = sandbox.createUser({ username: 'reader', globalName: 'Reader' }).id;
    sandbox.addMember(guildId, userId);
    await pipeline.createPublicPersonality({
      ownerId: userId,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  const personaMessages = (channelId: string): TranscriptEntry[] =>
    cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);

  /** Waits until the persona's messages in `channelId` read `expected` in all (whitespace aside). */
  async function waitForText(channelId: string, expected: string): Promise<TranscriptEntry[]> {
    await vi.waitFor(
      () => {
        const shown = personaMessages(channelId)
          .map((message) => contentOf(message.content))
          .join('');
        expect(shown).toBe(contentOf(expected));
      },
      { timeout: WAIT_MS, interval: 100 },
    );
    return personaMessages(channelId);
  }

  it('appears before it is complete, and each message is edited at most once per interval', async () => {
    const { sandbox } = cluster;
    const channel = sandbox.createChannel(guildId, { name: 'pace' });
    sandbox.userSays(userId, channel.id, '@Alice !long 1500');
    const expected = buildLongReply(1500);
    // The first message shows part of the answer while the AI is still writing.
    await sandbox.waitForMessages(
      channel.id,
      (messages) => messages.some((message) => message.webhookId !== null),
      WAIT_MS,
    );
    const partial = personaMessages(channel.id)[0]!;
    expect(contentOf(partial.content).length).toBeLessThan(contentOf(expected).length);

    const [message] = await waitForText(channel.id, expected);
    expect(message!.edits.length).toBeGreaterThanOrEqual(2);
    const writes = [message!.createdAt, ...message!.edits.map((edit) => edit.at)];
    for (let index = 1; index < writes.length; index += 1) {
      expect(writes[index]! - writes[index - 1]!).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS);
    }
    // The last edit carries the final text; the sandbox answered no request with a 429.
    expect(message!.edits.at(-1)?.content).toBe(message!.content);
    expect(sandbox.stats().rateLimited).toBe(0);
  });

  it('overflows into new messages at 2000 characters, each with balanced code fences', async () => {
    const { sandbox, aiStub } = cluster;
    // Faster chunks: the pace is the first test's; this one is about where messages end.
    aiStub.setBehaviour({ chunkDelayMs: 15 });
    const channel = sandbox.createChannel(guildId, { name: 'overflow' });
    sandbox.userSays(userId, channel.id, '@Alice !long 4500');
    const expected = buildLongReply(4500);
    const messages = await waitForText(channel.id, expected).finally(() =>
      aiStub.setBehaviour({ chunkDelayMs: CHUNK_DELAY_MS }),
    );
    expect(messages).toHaveLength(3);
    for (const message of messages) {
      expect(Array.from(message.content).length).toBeLessThanOrEqual(2000);
      expect(isBalanced(message.content)).toBe(true);
    }
    // The code block of the answer was cut: one message closes it, the next reopens it with its language.
    expect(messages.some((message) => message.content.startsWith('```ts\n'))).toBe(true);
    // Full messages were closed while the AI still wrote: each full one saw its last edit before the next
    // message's last.
    const finishedAt = messages.map((message) => message.edits.at(-1)?.at ?? message.createdAt);
    expect(finishedAt[0]!).toBeLessThanOrEqual(finishedAt[2]!);
    expect(sandbox.stats().rateLimited).toBe(0);
  });

  it('stops the AI and removes the partial reply when the question is deleted mid-stream', async () => {
    const { sandbox, aiStub } = cluster;
    const channel = sandbox.createChannel(guildId, { name: 'deleted' });
    const asked = sandbox.userSays(userId, channel.id, '@Alice !long 6000');
    await sandbox.waitForMessages(
      channel.id,
      (messages) => messages.some((message) => message.webhookId !== null),
      WAIT_MS,
    );
    // The stub's records are copies: read them again each time.
    const request = () =>
      aiStub.requests.findLast((record) =>
        record.messages.some((message) => message.content.includes('!long 6000')),
      );
    expect(request()).toMatchObject({ stream: true, outcome: 'pending' });
    sandbox.deleteMessage(asked.id);
    await vi.waitFor(
      () => {
        expect(personaMessages(channel.id)).toEqual([]);
        expect(request()?.outcome).toBe('client-closed');
      },
      { timeout: WAIT_MS, interval: 100 },
    );
    // Nothing comes back later: the job ended cancelled.
    await new Promise((resolve) => setTimeout(resolve, 2 * EDIT_INTERVAL_MS));
    expect(personaMessages(channel.id)).toEqual([]);
  });
});
