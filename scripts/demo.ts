/**
 * `npm run demo`: the whole system against the built-in Discord sandbox and AI stub. Starts one gateway and
 * two worker processes, plays a short scene, prints each channel as Discord would show it, then stops.
 */
import { Redis } from 'ioredis';
import { buildPng } from '../sandbox/sample-images.js';
import { loadConfig } from '../src/config/index.js';
import { PersonalityRepository } from '../src/state/index.js';
import { LocalCluster } from './cluster/local-cluster.js';
import { ensureRedis } from './cluster/redis-check.js';

const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const STEP_TIMEOUT_MS = 20_000;
const DEMO_BURST = 8;

/** Resolves once `channelId` has had no new message for `quietMs` (the flood's outcome is not a fixed count). */
async function waitForQuiet(
  sandbox: LocalCluster['sandbox'],
  channelId: string,
  quietMs = 1500,
): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let count = -1;
  while (Date.now() < deadline) {
    const now = sandbox.transcript(channelId).length;
    if (now === count) return;
    count = now;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}

function section(title: string): void {
  console.log(`\n\x1b[1m— ${title}\x1b[0m`);
}

async function main(): Promise<void> {
  await ensureRedis(REDIS_URL);
  const prefix = `demo-${process.pid}`;
  section('Starting the Discord sandbox, the AI stub, one gateway and two workers');
  // A roomier burst than the default 3 so the scripted users can show everything; the flooder still hits it.
  await using cluster = await LocalCluster.start({
    redisUrl: REDIS_URL,
    prefix,
    // The stub's model takes images, so Alice can look at one.
    env: { USER_BURST: String(DEMO_BURST), USER_RATE_PER_MINUTE: '30', AI_VISION: 'true' },
  });
  const { sandbox } = cluster;
  const redis = new Redis(REDIS_URL);
  try {
    await Promise.all([cluster.spawn('gateway'), cluster.spawn('worker'), cluster.spawn('worker')]);
    console.log(
      `sandbox REST ${sandbox.restUrl} · AI stub ${cluster.aiStub.baseUrl} · processes: gateway, worker ×2`,
    );

    const guild = await sandbox.createGuild({ name: 'Chorus Demo' });
    const general = await sandbox.createChannel(guild.id, { name: 'general' });
    const lounge = await sandbox.createChannel(guild.id, { name: 'lounge' });
    const maya = await sandbox.createUser({ username: 'maya', globalName: 'Maya' });
    const sam = await sandbox.createUser({ username: 'sam', globalName: 'Sam' });
    await sandbox.addMember(guild.id, maya.id);
    await sandbox.addMember(guild.id, sam.id);

    section('Two users create personalities');
    // Built on the same state module the /personality command uses.
    const config = loadConfig(cluster.buildEnv());
    const personalities = new PersonalityRepository(redis, { prefix });
    const base = {
      visibility: 'public' as const,
      provider: config.ai.defaultProvider,
      model: 'stub-small',
      temperature: null,
    };
    const alice = await personalities.create({
      ...base,
      ownerId: maya.id,
      name: 'Alice',
      systemPrompt: 'You are Alice, a cheerful librarian who loves puzzles.',
      avatarUrl: 'https://cdn.example.com/avatars/alice.png',
    });
    await personalities.create({
      ...base,
      ownerId: sam.id,
      name: 'Dr Who',
      systemPrompt: 'You are the Doctor, a time traveller with a blue box.',
      avatarUrl: 'https://cdn.example.com/avatars/doctor.png',
    });
    console.log('Maya made "Alice"; Sam made "Dr Who"');

    const expectReplies = async (channelId: string, count: number) => {
      const before = sandbox.transcript(channelId).length;
      await sandbox.waitForMessages(channelId, before + count, STEP_TIMEOUT_MS);
    };

    section('A mention, a multi-word name, and a reply that continues');
    await sandbox.userSays(maya.id, general.id, '@Alice hi! Can you recommend a book?');
    await expectReplies(general.id, 1);
    await sandbox.userSays(sam.id, general.id, 'Hey @Dr Who, what year is it?');
    await expectReplies(general.id, 1);
    const aliceMessage = sandbox.transcript(general.id).find((message) => message.authorName === 'Alice');
    await sandbox.userSays(maya.id, general.id, 'Tell me more about that one.', {
      replyTo: aliceMessage?.id,
    });
    await expectReplies(general.id, 1);

    section('An activated channel: Alice answers everything in #lounge');
    await new (await import('../src/state/index.js')).ActivationRepository(redis, { prefix }).activate({
      guildId: guild.id,
      channelId: lounge.id,
      personalityId: alice.id,
      activatedBy: maya.id,
    });
    await sandbox.userSays(sam.id, lounge.id, 'Is anyone here?');
    await expectReplies(lounge.id, 1);

    section('A thread, a DM with a sticky personality');
    const thread = await sandbox.createThread(general.id, { name: 'time travel' });
    await sandbox.userSays(sam.id, thread.id, '@Dr Who which companion was the best?');
    await expectReplies(thread.id, 1);
    const dm = await sandbox.openDm(maya.id);
    await sandbox.userSays(maya.id, dm.id, '@Alice can I ask you something privately?');
    await expectReplies(dm.id, 1);
    await sandbox.userSays(maya.id, dm.id, 'Thanks — and one more thing.');
    await expectReplies(dm.id, 1);

    section('A long reply that splits, and an AI reply containing "@everyone" that pings nobody');
    await sandbox.userSays(maya.id, general.id, '@Alice !long 4500');
    await waitForQuiet(sandbox, general.id);
    await sandbox.userSays(maya.id, general.id, '@Alice !say @everyone the library is on fire!');
    await expectReplies(general.id, 1);

    section('A group conversation: two people, two personalities, one answering the other');
    // Personalities follow the room: Dr Who sees what Maya asked Alice and what she answered.
    const bookClub = await sandbox.createChannel(guild.id, { name: 'book-club' });
    await sandbox.userSays(maya.id, bookClub.id, '@Alice what should our book club read this month?');
    await expectReplies(bookClub.id, 1);
    // People take a moment to answer; the worker adds Alice's reply to the channel's window as it posts it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await sandbox.userSays(sam.id, bookClub.id, '@Dr Who do you agree with her?');
    await expectReplies(bookClub.id, 1);
    const doctorPrompt = cluster.aiStub.requests.findLast((request) =>
      request.messages[0]?.content.startsWith('You are the Doctor'),
    );
    console.log("Dr Who's prompt (what the AI received):");
    for (const { role, content } of doctorPrompt?.messages ?? [])
      console.log(`  ${role}: ${content.replace(/\n/g, '\n        ')}`);
    // Alice names Dr Who in her answer, so he answers her, for Maya (her limits, her keys).
    cluster.aiStub.setBehaviour({
      script: [{ systemIncludes: 'You are Alice', reply: '@Dr Who, which century wrote the best books?' }],
    });
    await sandbox.userSays(maya.id, bookClub.id, '@Alice ask the Doctor something');
    await expectReplies(bookClub.id, 2);
    cluster.aiStub.resetBehaviour();

    section('A streamed reply: posted once the first words exist, then edited as the AI writes');
    const studio = await sandbox.createChannel(guild.id, { name: 'studio' });
    const lee = await sandbox.createUser({ username: 'lee', globalName: 'Lee' });
    await sandbox.addMember(guild.id, lee.id);
    // The stub writes slowly here, a few words every 40 ms, as a real model streams.
    cluster.aiStub.setBehaviour({ chunkDelayMs: 40 });
    await sandbox.userSays(lee.id, studio.id, '@Alice !long 1500');
    await waitForQuiet(sandbox, studio.id, 2500);
    cluster.aiStub.resetBehaviour();
    for (const message of sandbox.transcript(studio.id).filter((entry) => entry.webhookId)) {
      const sizes = message.edits.map((edit) => edit.content.length);
      console.log(
        `Alice's message was posted with the first words, then edited ${message.edits.length} times as the text ` +
          `grew (${sizes.join(' → ')} characters)`,
      );
    }

    section('An image: Alice is shown it (the stub says what it received)');
    const gallery = await sandbox.createChannel(guild.id, { name: 'gallery' });
    await sandbox.userSays(lee.id, gallery.id, '@Alice what do you think of my cat?', {
      attachments: [{ filename: 'cat.png', data: buildPng(64, 64), contentType: 'image/png' }],
    });
    await expectReplies(gallery.id, 1);

    section(
      `A user flooding: Kai sends 15 messages at once; the burst allows ${DEMO_BURST}, with one notice`,
    );
    const kai = await sandbox.createUser({ username: 'kai', globalName: 'Kai' });
    await sandbox.addMember(guild.id, kai.id);
    await Promise.all(
      Array.from({ length: 15 }, (_, index) => sandbox.userSays(kai.id, lounge.id, `spam ${index + 1}`)),
    );
    await waitForQuiet(sandbox, lounge.id);

    for (const [title, channelId] of [
      ['#general', general.id],
      ['#general › time travel (thread)', thread.id],
      ['#book-club (a group conversation)', bookClub.id],
      ['#studio (a streamed reply)', studio.id],
      ['#gallery (an image)', gallery.id],
      ['#lounge (Alice activated; Kai floods)', lounge.id],
      ['DM with Maya', dm.id],
    ] as const) {
      section(title);
      for (const message of sandbox.transcript(channelId)) {
        const content = message.content.length > 160 ? `${message.content.slice(0, 157)}…` : message.content;
        const badge = message.webhookId ? ' [webhook]' : '';
        const pings = message.wouldPing.everyone || message.wouldPing.users.length > 0 ? ' (pings!)' : '';
        console.log(`${message.authorName}${badge}${pings}: ${content.replace(/\n/g, '\n    ')}`);
      }
    }
    const pinged = sandbox
      .transcript(general.id)
      .filter((message) => message.webhookId && message.wouldPing.everyone);
    section(
      pinged.length === 0 ? 'No personality message pinged anyone.' : `${pinged.length} messages pinged!`,
    );
  } finally {
    const keys = await redis.keys(`*${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    redis.disconnect();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('demo failed:', error);
    process.exit(1);
  },
);
