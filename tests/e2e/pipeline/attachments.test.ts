/**
 * Attachments end to end: a user's images reach a vision model (inline, downloaded by the worker from the
 * sandbox's CDN route, or as a link for a provider that fetches URLs), a model without vision is told their
 * names, a text file is inlined, what is over the caps is named in the reply, and a replied-to message's image
 * counts. Real gateway and worker, the Discord sandbox with the unmodified discord.js, the AI stub describing the
 * images it received, real Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StubRequestRecord } from '../../../sandbox/ai-stub/index.js';
import type { UserAttachment } from '../../../sandbox/index.js';
import { buildPng } from '../../../sandbox/sample-images.js';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import type { Personality } from '../../../src/state/index.js';
import { PipelineHarness } from '../../support/pipeline.js';

const WAIT_MS = 15_000;
const CAT: UserAttachment = { filename: 'cat.png', data: buildPng(64, 64), contentType: 'image/png' };

describe('attachments', () => {
  const pipeline = new PipelineHarness();
  let cluster: LocalCluster;
  let guildId: string;
  let kate: { id: string };
  let sam: { id: string };
  /** Vision, images sent inline. */
  let iris: Personality;
  /** Vision, on a provider that fetches image URLs. */
  let lynx: Personality;
  /** No vision (the default provider, AI_VISION unset). */
  let tess: Personality;

  beforeAll(async () => {
    cluster = await pipeline.startCluster({
      env: { USER_BURST: '50', USER_RATE_PER_MINUTE: '600', USER_MAX_PENDING: '20' },
    });
    const stub = cluster.aiStub.baseUrl;
    const providers = {
      eyes: {
        baseUrl: stub,
        apiKeyEnv: 'AI_API_KEY',
        models: ['stub-vision'],
        visionModels: ['stub-vision'],
      },
      links: {
        baseUrl: stub,
        apiKeyEnv: 'AI_API_KEY',
        models: ['stub-vision'],
        visionModels: ['stub-vision'],
        fetchesImageUrls: true,
      },
    };
    const env = { AI_PROVIDERS: JSON.stringify(providers) };
    await Promise.all([cluster.spawn('gateway', env), cluster.spawn('worker', env)]);
    const { sandbox } = cluster;
    guildId = (await sandbox.createGuild({ name: 'files' })).id;
    kate = await sandbox.createUser({ username: 'kate', globalName: 'Kate' });
    sam = await sandbox.createUser({ username: 'sam', globalName: 'Sam' });
    for (const user of [kate, sam]) await sandbox.addMember(guildId, user.id);
    const base = {
      ownerId: kate.id,
      // The prompts below hold the message alone: no channel window in the way of the assertions.
      contextMode: 'personal' as const,
    };
    iris = await pipeline.createPublicPersonality({
      ...base,
      name: 'Iris',
      systemPrompt: 'You are Iris.',
      provider: 'eyes',
      model: 'stub-vision',
    });
    lynx = await pipeline.createPublicPersonality({
      ...base,
      name: 'Lynx',
      systemPrompt: 'You are Lynx.',
      provider: 'links',
      model: 'stub-vision',
    });
    tess = await pipeline.createPublicPersonality({ ...base, name: 'Tess', systemPrompt: 'You are Tess.' });
  }, 60_000);

  afterAll(() => pipeline.close());

  /** The newest AI request for the personality whose system prompt is `systemPrompt`. */
  function lastRequestOf(personality: Personality): StubRequestRecord | undefined {
    return cluster.aiStub.requests.findLast(
      (request) => request.messages[0]?.content === personality.systemPrompt,
    );
  }

  /** Kate says `content` with `attachments` in a new channel; returns the personality's reply text. */
  async function ask(
    content: string,
    attachments: UserAttachment[],
    options: { channelId?: string; replyTo?: string } = {},
  ): Promise<{ reply: string; channelId: string }> {
    const { sandbox } = cluster;
    const channelId = options.channelId ?? sandbox.createChannel(guildId, { name: 'files' }).id;
    const before = sandbox.transcript(channelId).filter((message) => message.webhookId !== null).length;
    sandbox.userSays(kate.id, channelId, content, {
      attachments,
      ...(options.replyTo === undefined ? {} : { replyTo: options.replyTo }),
    });
    const messages = await sandbox.waitForMessages(
      channelId,
      (all) => all.filter((message) => message.webhookId !== null).length > before,
      WAIT_MS,
    );
    const replies = messages.filter((message) => message.webhookId !== null);
    return { reply: replies.at(-1)!.content, channelId };
  }

  it('shows an image to a vision model, inline, and the history keeps only its name', async () => {
    const { reply, channelId } = await ask('@Iris what is this?', [CAT]);
    expect(reply).toBe(
      '[stub:stub-vision] system="You are Iris." turns=2 last="Kate: what is this?\n[image: cat.png]" ' +
        'images=[image/png 64x64]',
    );
    expect(lastRequestOf(iris)?.messages.at(-1)?.images).toEqual([
      expect.objectContaining({ source: 'data', mediaType: 'image/png', width: 64, height: 64 }),
    ]);

    // The next message's prompt holds the first as text: its name and the model's words, no URL, no image.
    await ask('@Iris and now?', [], { channelId });
    const next = lastRequestOf(iris)!;
    expect(next.messages.map(({ role, content }) => ({ role, content }))).toEqual([
      { role: 'system', content: 'You are Iris.' },
      { role: 'user', content: 'Kate: what is this?\n[image: cat.png]' },
      { role: 'assistant', content: reply },
      { role: 'user', content: 'Kate: and now?' },
    ]);
    expect(next.messages.some((message) => message.images !== undefined)).toBe(false);
  });

  it("gives a provider that fetches URLs the CDN's link instead", async () => {
    const { reply } = await ask('@Lynx and this?', [CAT]);
    expect(reply).toMatch(/ images=\[cat\.png \(url\)\]$/);
    expect(lastRequestOf(lynx)?.messages.at(-1)?.images).toEqual([
      expect.objectContaining({ source: 'url', name: 'cat.png' }),
    ]);
  });

  it("names the image in a model's prompt when it takes none", async () => {
    const { reply } = await ask('@Tess what is this?', [CAT]);
    expect(lastRequestOf(tess)?.messages.at(-1)).toEqual({
      role: 'user',
      content: 'Kate: what is this?\n[image: cat.png]',
    });
    expect(reply).not.toContain('images=');
    expect(reply).not.toContain("couldn't");
  });

  it('inlines a text file with its name', async () => {
    await ask('@Tess read this', [
      { filename: 'notes.txt', data: 'remember the milk\n', contentType: 'text/plain; charset=utf-8' },
    ]);
    expect(lastRequestOf(tess)?.messages.at(-1)?.content).toBe(
      'Kate: read this\n[file: notes.txt]\n```txt\nremember the milk\n```',
    );
  });

  it('names in the reply what was over the caps', async () => {
    const images = Array.from({ length: 6 }, (_, index) => ({ ...CAT, filename: `i${index}.png` }));
    const { reply } = await ask('@Iris look', [
      ...images,
      { filename: 'big.log', data: 'x'.repeat(100 * 1024 + 1), contentType: 'text/plain' },
      { filename: 'clip.mp4', data: 'not really a video', contentType: 'video/mp4' },
    ]);
    expect(reply).toMatch(/ images=\[(image\/png 64x64, ){4}image\/png 64x64\]\n\n/);
    expect(
      reply.endsWith(
        "\n\n-# I couldn't look at `big.log` (over 100 KB) or `clip.mp4` (a file type I can't read) " +
          'and only looked at the first 5 images (not `i5.png`).',
      ),
    ).toBe(true);
    expect(lastRequestOf(iris)?.messages.at(-1)?.images).toHaveLength(5);
  });

  it('counts the image of the message replied to', async () => {
    const { sandbox } = cluster;
    const channelId = sandbox.createChannel(guildId, { name: 'replies' }).id;
    const photo = sandbox.userSays(sam.id, channelId, 'my cat', {
      attachments: [{ ...CAT, filename: 'sams-cat.png' }],
    });
    const { reply } = await ask('@Iris what breed is it?', [], { channelId, replyTo: photo.id });
    expect(reply).toContain('[image from the message replied to: sams-cat.png]');
    expect(reply).toMatch(/ images=\[image\/png 64x64\]$/);
  });
});
