/**
 * Back-to-back messages answered once, end to end: real gateway and worker processes with coalescing on (the
 * production default window, set here because LocalCluster turns it off for the other tests), the Discord
 * sandbox driven by the unmodified discord.js, the AI stub recording every request, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StubRequestRecord } from '../../../sandbox/ai-stub/index.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
const WINDOW_MS = 1500;

describe('back-to-back messages', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let olive: { id: string };
  let alice: Personality;
  let doctor: Personality;

  beforeAll(async () => {
    cluster = await pipeline.start({
      // One user sends every message: the default burst (3) would refuse the later tests' replies.
      env: { COALESCE_WINDOW_MS: String(WINDOW_MS), USER_BURST: '50', USER_RATE_PER_MINUTE: '600' },
    });
    const { sandbox } = cluster;
    guildId = sandbox.createGuild({ name: 'coalesce' }).id;
    olive = sandbox.createUser({ username: 'olive', globalName: 'Olive' });
    sandbox.addMember(guildId, olive.id);
    // `personal` context: in `room` mode Dr Who's echo would repeat Olive's `@Alice` line from the channel, and
    // Alice would answer him (a personality chain), which is not what these tests are about.
    const base = { ownerId: olive.id, contextMode: 'personal' } as const;
    alice = await pipeline.createPublicPersonality({
      ...base,
      name: 'Alice',
      systemPrompt: 'You are Alice the librarian.',
    });
    doctor = await pipeline.createPublicPersonality({
      ...base,
      name: 'Dr Who',
      systemPrompt: 'You are the Doctor.',
    });
  }, 60_000);

  afterAll(() => pipeline.close());

  function personaMessages(channelId: string) {
    return cluster.sandbox.transcript(channelId).filter((message) => message.webhookId !== null);
  }

  /** The AI requests made for `personality` whose prompt holds `text`. */
  function requestsFor(personality: Personality, text: string): StubRequestRecord[] {
    return cluster.aiStub.requests.filter(
      (request) =>
        request.messages[0]?.content === personality.systemPrompt &&
        request.messages.some((message) => message.content.includes(text)),
    );
  }

  /** Waits out more than a window after the replies came, so a reply that should not exist would have. */
  async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 1000));
  }

  it('answers a three-part paste once, with all three parts in the prompt and then in the history', async () => {
    const channel = cluster.sandbox.createChannel(guildId, { name: 'paste' });
    const { sandbox } = cluster;
    sandbox.userSays(olive.id, channel.id, '@Alice here is the first part');
    sandbox.userSays(olive.id, channel.id, 'the second part');
    sandbox.userSays(olive.id, channel.id, 'and the third part');
    await sandbox.waitForMessages(channel.id, 4, WAIT_MS);
    await settle();

    const replies = personaMessages(channel.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.authorName).toBe('Alice');
    const requests = requestsFor(alice, 'here is the first part');
    expect(requests).toHaveLength(1);
    const group = 'Olive: here is the first part\nOlive: the second part\nOlive: and the third part';
    expect(requests[0]?.messages.at(-1)).toEqual({ role: 'user', content: group });

    // Remembered as one user turn: the next reply's prompt holds it, then the answer, then the new message.
    sandbox.userSays(olive.id, channel.id, '@Alice thanks');
    await sandbox.waitForMessages(channel.id, 6, WAIT_MS);
    const [next] = requestsFor(alice, 'thanks');
    expect(next?.messages.slice(1).map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(next?.messages[1]).toEqual({ role: 'user', content: group });
  });

  it('gives a follow-up naming another personality its own reply', async () => {
    const channel = cluster.sandbox.createChannel(guildId, { name: 'another' });
    const { sandbox } = cluster;
    sandbox.userSays(olive.id, channel.id, '@Alice what do you make of it');
    sandbox.userSays(olive.id, channel.id, '@Dr Who and you, Doctor?');
    await sandbox.waitForMessages(channel.id, 4, WAIT_MS);
    await settle();

    expect(
      personaMessages(channel.id)
        .map((message) => message.authorName)
        .sort(),
    ).toEqual(['Alice', 'Dr Who']);
    const [toAlice] = requestsFor(alice, 'what do you make of it');
    expect(toAlice?.messages.at(-1)?.content).toBe('Olive: what do you make of it');
    const [toDoctor] = requestsFor(doctor, 'and you, Doctor?');
    expect(toDoctor?.messages.at(-1)?.content).toBe('Olive: and you, Doctor?');
  });
});
