/**
 * Reasoning models end to end (non-streamed replies): real gateway and worker processes, the Discord sandbox
 * driven by the unmodified discord.js, the AI stub sending reasoning in each of the ways providers do, real
 * Redis. Asserts on the sandbox transcript: the reasoning never shows, and a reply of only reasoning gets a
 * notice.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ReasoningStyle } from '../../../sandbox/ai-stub/index.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
const STYLES: readonly ReasoningStyle[] = ['think-tags', 'reasoning_content', 'reasoning'];

describe('reasoning models', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let owner: { id: string };

  beforeAll(async () => {
    cluster = await pipeline.start({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'reasoning' })).id;
    owner = await sandbox.createUser({ username: 'owner', globalName: 'Olive' });
    await sandbox.addMember(guildId, owner.id);
    await pipeline.createPublicPersonality({
      ownerId: owner.id,
      name: 'Alice',
      systemPrompt: 'You are Alice, who thinks before she speaks.',
    });
  }, 60_000);

  afterEach(() => {
    cluster.aiStub.resetBehaviour();
  });

  afterAll(() => pipeline.close());

  async function replyTo(channelName: string, text: string): Promise<string | undefined> {
    const channel = await cluster.sandbox.createChannel(guildId, { name: channelName });
    await cluster.sandbox.userSays(owner.id, channel.id, text);
    await cluster.sandbox.waitForMessages(channel.id, 2, WAIT_MS);
    const replies = cluster.sandbox.transcript(channel.id).filter((message) => message.webhookId !== null);
    expect(replies).toHaveLength(1);
    return replies[0]?.content;
  }

  it.each(STYLES)('never shows reasoning sent as %s', async (reasoningStyle) => {
    cluster.aiStub.setBehaviour({ reasoningStyle });
    const content = await replyTo(`shows-${reasoningStyle}`, '@Alice !think SECRET plan !say Ahoy, Olive!');
    expect(content).toBe('Ahoy, Olive!');
  });

  it.each(STYLES)('posts a notice for a reply of only reasoning (%s)', async (reasoningStyle) => {
    cluster.aiStub.setBehaviour({ reasoningStyle });
    const content = await replyTo(`only-${reasoningStyle}`, '@Alice !think-only SECRET plan');
    expect(content).toBe('Alice thought it over but wrote no answer.');
  });
});
