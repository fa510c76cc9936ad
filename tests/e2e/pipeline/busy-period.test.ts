/**
 * A scripted busy period through real gateway and worker processes, the Discord sandbox and real Redis:
 * hundreds of users write, some delete, some run commands; a channel and a thread are deleted and the bot
 * leaves a guild. Then a SCAN of the prefix checks that every key expires or belongs to a documented
 * permanent family (tests/support/permanent-keys.ts, docs/guarantees.md), that nothing permanent is left of
 * the channels and guild that went, and that no per-user collection grows with the messages one user sends.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCluster } from '../../../scripts/cluster/local-cluster.js';
import { buildWindowLinesKey } from '../../../src/context/keys.js';
import { buildBullPrefix, QUEUE_NAME } from '../../../src/queue/index.js';
import { buildWebhookPoolKey } from '../../../src/webhooks/keys.js';
import { buildPermanentKeyFamilies, findPermanentFamily } from '../../support/permanent-keys.js';
import { PipelineHarness } from '../../support/pipeline.js';
import { scanKeys } from '../../support/redis.js';

const USERS = 200;
const INDEX_CAP = 20;
const MAX_TURNS = 4;
/** Messages the steady user sends; the busier one sends twice as many. */
const STEADY_MESSAGES = 30;
const BURST = 10;
/** How long the queue must stay empty before the load counts as drained. */
const DRAINED_FOR_MS = 1500;
const ADMINISTRATOR = 1n << 3n;
const WAIT_MS = 30_000;

/**
 * Per-user keys left out of the comparison, each bounded by time rather than by a count of its own: the
 * duplicate window (burst + rate × its 10 minutes), and two fixed-size keys that are there or not depending
 * on how recently the user sent: the token bucket (it expires once full again) and the limit-notice marks
 * (one per limit the user hit in the current window).
 */
const RATE_BOUNDED_KINDS = new Set(['queue:admitted', 'queue:bucket', 'queue:notified']);

interface KeyInfo {
  readonly key: string;
  readonly type: string;
  readonly ttlMs: number;
  readonly size: number;
}

describe('a busy period', () => {
  const pipeline = new PipelineHarness();
  const { prefix, redis } = pipeline;
  const replies = new Queue(QUEUE_NAME, { connection: redis, prefix: buildBullPrefix(prefix) });
  let cluster: LocalCluster;
  let keys: KeyInfo[];
  const gone: string[] = [];
  let steady: string;
  let doomedHadPool = false;
  let doomedHadWindow = false;
  let busy: string;

  /** Waits until no reply job is queued or running. */
  async function drain(): Promise<void> {
    // Empty for a while, not once: right after a burst the gateway may not have queued its jobs yet.
    let emptySince: number | null = null;
    await vi.waitFor(
      async () => {
        const counts = await replies.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
        const queued = Object.values(counts).reduce((sum, count) => sum + count, 0);
        emptySince = queued > 0 ? null : (emptySince ?? Date.now());
        expect(queued).toBe(0);
        expect(Date.now() - emptySince!).toBeGreaterThanOrEqual(DRAINED_FOR_MS);
      },
      { timeout: WAIT_MS, interval: 100 },
    );
  }

  async function scanPrefix(): Promise<KeyInfo[]> {
    const found = await scanKeys(redis, [`${prefix}:*`, `${buildBullPrefix(prefix)}:*`]);
    // Key by key, not one pipeline: on a Cluster the keys span slots.
    return Promise.all(
      found.map(async (key) => {
        const [type, ttlMs] = await Promise.all([redis.type(key), redis.pttl(key)]);
        return { key, type, ttlMs, size: await sizeOf(key, type) };
      }),
    );
  }

  async function sizeOf(key: string, type: string): Promise<number> {
    if (type === 'hash') return redis.hlen(key);
    if (type === 'zset') return redis.zcard(key);
    if (type === 'set') return redis.scard(key);
    if (type === 'list') return redis.llen(key);
    if (type === 'stream') return redis.xlen(key);
    return redis.exists(key);
  }

  beforeAll(async () => {
    cluster = await pipeline.start({
      sandbox: { rateLimits: { enabled: false } },
      env: {
        USER_BURST: '100',
        USER_RATE_PER_MINUTE: '60000',
        USER_MAX_PENDING: '20',
        USER_INDEX_MAX_ENTRIES: String(INDEX_CAP),
        // Whole replies: whether a quick echo is posted before its stream ends is a race, and a streamed reply's
        // delivery record holds its drafts too, so the two users' record sizes would differ by chance.
        STREAM_REPLIES: 'false',
        CONVERSATION_MAX_TURNS: String(MAX_TURNS),
        // The sandbox's limits are off: this test is about what Redis keeps, not Discord's limits (90 replies
        // go to one channel, three minutes of its budget).
        WEBHOOK_GLOBAL_RATE_PER_SECOND: '1000',
        WEBHOOK_CHANNEL_PER_MINUTE: '0',
      },
    });
    const { sandbox } = cluster;
    await pipeline.deployCommands();

    const main = sandbox.createGuild({ name: 'main' });
    const left = sandbox.createGuild({ name: 'left' });
    const general = sandbox.createChannel(main.id, { name: 'general' }).id;
    const doomed = sandbox.createChannel(main.id, { name: 'doomed' }).id;
    const thread = sandbox.createThread(general, { name: 'doomed thread' }).id;
    const leftChat = sandbox.createChannel(left.id, { name: 'chat' }).id;
    gone.push(doomed, thread, leftChat, left.id);
    const admin = sandbox.createUser({ username: 'admin' }).id;
    for (const guild of [main.id, left.id]) sandbox.addMember(guild, admin, { permissions: ADMINISTRATOR });
    await pipeline.createPublicPersonality({
      ownerId: admin,
      name: 'Nova',
      systemPrompt: 'You are Nova.',
    });
    for (const channel of [doomed, leftChat]) {
      const activated = await sandbox
        .runSlashCommand(admin, channel, 'activate', { personality: 'Nova' })
        .waitForResponse(undefined, WAIT_MS);
      expect(activated.content).toMatch(/Nova/u);
    }

    // Hundreds of users, each writing once somewhere; some delete their message, some run commands.
    const rooms = [
      { channel: general, text: '@Nova hello' },
      { channel: thread, text: '@Nova in the thread' },
      { channel: doomed, text: 'hello, activated Nova' },
      { channel: leftChat, text: 'hello from the other guild' },
    ];
    for (let index = 0; index < USERS; index += 1) {
      const user = sandbox.createUser({ username: `user${index}` }).id;
      for (const guild of [main.id, left.id]) sandbox.addMember(guild, user);
      const room = rooms[index % rooms.length]!;
      const message = sandbox.userSays(user, room.channel, `${room.text} #${index}`);
      if (index % 10 === 0) sandbox.deleteMessage(message.id);
      else if (index % 10 === 1) sandbox.editMessage(message.id, `${room.text} (edited) #${index}`);
      if (index % 25 === 2) {
        await sandbox
          .runSlashCommand(
            user,
            general,
            'apikey',
            { key: `sk-user-${index}-0123456789` },
            { subcommand: 'set' },
          )
          .waitForResponse(undefined, WAIT_MS);
        await sandbox.runSlashCommand(user, general, 'reset', {}).waitForResponse(undefined, WAIT_MS);
      }
    }
    await drain();

    // One user keeps talking twice as long as another, in the same conversation.
    steady = sandbox.createUser({ username: 'steady' }).id;
    busy = sandbox.createUser({ username: 'busy' }).id;
    for (const [user, count] of [
      [steady, STEADY_MESSAGES],
      [busy, STEADY_MESSAGES * 2],
    ] as const) {
      sandbox.addMember(main.id, user);
      for (let sent = 0; sent < count; sent += BURST) {
        for (let index = 0; index < BURST; index += 1)
          sandbox.userSays(user, general, `@Nova message ${sent + index}`);
        await drain();
      }
    }

    // Then a channel and a thread are deleted, and the bot leaves a guild.
    doomedHadPool = (await redis.exists(buildWebhookPoolKey(prefix, doomed))) === 1;
    doomedHadWindow = (await redis.exists(buildWindowLinesKey(prefix, doomed))) === 1;
    sandbox.deleteChannel(thread);
    sandbox.deleteChannel(doomed);
    sandbox.removeBotFromGuild(left.id);
    const worker = cluster.processes.find((process) => process.role === 'worker')!;
    await vi.waitFor(
      () => {
        const forgotten = worker.logs
          .filter((line) => line['msg'] === 'deleted channels forgotten')
          .map((line) => line['sourceId']);
        expect(forgotten).toEqual(expect.arrayContaining([thread, doomed, left.id]));
      },
      { timeout: WAIT_MS, interval: 100 },
    );
    await drain();
    keys = await scanPrefix();
  }, 120_000);

  afterAll(async () => {
    await replies.close();
    await pipeline.close();
  });

  it('leaves every key expiring, or in a documented permanent family', () => {
    const families = buildPermanentKeyFamilies(prefix);
    const strays = keys
      .filter((info) => info.ttlMs === -1 && findPermanentFamily(families, info.key) === null)
      .map((info) => info.key);
    expect(strays).toEqual([]);
    expect(keys.length).toBeGreaterThan(USERS);
  });

  it('keeps nothing permanent, nor channel records or windows, of the channels, thread and guild that went', () => {
    // Conversations in them are per user and expire with their TTL (nothing lists them by channel).
    const channelKeys = keys.filter(
      (info) =>
        ((info.key.startsWith(`${prefix}:state:`) || info.key.startsWith(`${prefix}:webhooks:`)) &&
          (info.ttlMs === -1 || info.key.includes(':channel-latest:'))) ||
        info.key.startsWith(`${prefix}:context:{c:`),
    );
    expect(
      channelKeys.filter((info) => gone.some((id) => info.key.includes(id))).map((info) => info.key),
    ).toEqual([]);
    // The deleted channel did have a webhook pool and a window: the check above is not vacuous.
    expect(doomedHadPool).toBe(true);
    expect(doomedHadWindow).toBe(true);
  });

  it('keeps BullMQ job hashes only for jobs BullMQ still lists (its retention bounds them)', async () => {
    // A completed reply job is removed at once: the busy period's hundreds of replies leave none.
    expect(await replies.getJobCounts('completed')).toEqual({ completed: 0 });
    const listed = new Set<string>();
    for (const state of ['completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized'] as const)
      for (const job of await replies.getJobs([state])) listed.add(job.id ?? '');
    const jobPrefix = `${buildBullPrefix(prefix)}:${QUEUE_NAME}:reply-`;
    const hashes = keys.filter((info) => info.key.startsWith(jobPrefix) && info.type === 'hash');
    expect(hashes.filter((info) => !listed.has(info.key.slice(jobPrefix.length - 6)))).toEqual([]);
  });

  it('grows no per-user collection with the number of messages one user sends', () => {
    const shape = (userId: string) => {
      const tag = `{u:${userId}}:`;
      const kinds = new Map<string, { keys: number; largest: number }>();
      for (const info of keys) {
        const at = info.key.indexOf(tag);
        if (at < 0) continue;
        const area = info.key.slice(prefix.length + 1, at - 1);
        const kind = `${area}:${info.key.slice(at + tag.length).split(':')[0]}`;
        if (RATE_BOUNDED_KINDS.has(kind)) continue;
        const entry = kinds.get(kind) ?? { keys: 0, largest: 0 };
        kinds.set(kind, { keys: entry.keys + 1, largest: Math.max(entry.largest, info.size) });
      }
      return Object.fromEntries([...kinds].sort());
    };
    const steadyShape = shape(steady);
    expect(steadyShape).toMatchObject({
      'replies:deliveries': { keys: 1, largest: INDEX_CAP },
      'replies:delivery': { keys: INDEX_CAP },
      'state:conversation': { keys: 1, largest: MAX_TURNS },
      'state:conversations': { keys: 1, largest: 1 },
    });
    expect(shape(busy)).toEqual(steadyShape);
  });
});
