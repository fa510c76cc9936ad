import { EnvSchema } from '../src/config/index.js';
import { ChannelWindowRepository, type WindowLine } from '../src/context/index.js';
import { buildSnowflake } from '../src/discord/index.js';
import { type ContextMode, PersonalityRepository } from '../src/state/index.js';
import { type BenchCluster, buildBenchUserName } from './bench-cluster.js';

/** What the bench's processes run with (the bench sets neither): a prompt's lines, and how long lines last. */
const CHANNEL_CONTEXT_MESSAGES = EnvSchema.shape.CHANNEL_CONTEXT_MESSAGES.parse(undefined);
const CHANNEL_CONTEXT_MAX_AGE_SECONDS = EnvSchema.shape.CHANNEL_CONTEXT_MAX_AGE_SECONDS.parse(undefined);

/** Pre-filled lines are this far apart, the newest just before the run: newer than any line already there. */
const LINE_SPACING_MS = 10;
/**
 * Low bits of the pre-filled lines' ids: above any increment the sandbox reaches within a millisecond, so no id
 * is one of its messages'; the channel and line numbers below them keep every id distinct.
 */
const PREFILL_ID_BITS = 0x3f0000n;

/** What people say in the pre-filled lines (~100 characters, as the prompt shows them ~115). */
const PEOPLE_LINES = [
  'Did anyone else notice the build got slower after the last dependency bump? It takes twice as long here.',
  'I am thinking about switching the garden beds to raised ones this spring, the soil drains terribly now.',
  'Quick question, is the meetup still on for Saturday afternoon or did we move it to the following week?',
  'The second season is much better than the first one, the writers finally figured out the main character.',
];
/** What the personality answered in them (~110 characters). */
const ANSWER_LINES = [
  'That sounds frustrating. A slower build after a bump usually means a new transitive dependency, worth a diff.',
  'Raised beds help a lot with drainage, and you can fill them with a better mix than the clay you have now.',
  'As far as I know it is still Saturday, but it is worth checking the pinned message before you head out.',
  'Agreed, the second season gives everyone more room to breathe, and the pacing is far better than before.',
];

/**
 * Switches the bench's personalities to room context and fills every channel's window with a conversation of
 * {@link CHANNEL_CONTEXT_MESSAGES} lines of chat length (~120 characters) between `userIds` and the
 * personality messages address, newer than anything already there: a reply's prompt then holds a full window
 * from the run's first message on (the run's own lines, of the same length, follow).
 */
export async function applyBenchRoomContext(bench: BenchCluster, userIds: readonly string[]): Promise<void> {
  await setContextMode(bench, 'room');
  const windows = new ChannelWindowRepository(bench.redis, {
    prefix: bench.prefix,
    maxAgeSeconds: CHANNEL_CONTEXT_MAX_AGE_SECONDS,
  });
  const addressed = bench.personalities[0]!;
  const newestAt = Date.now() - 1;
  await Promise.all(
    bench.channelIds.map(async (channelId, channelIndex) => {
      let asked: WindowLine | null = null;
      for (let index = 0; index < CHANNEL_CONTEXT_MESSAGES; index += 1) {
        const at = newestAt - (CHANNEL_CONTEXT_MESSAGES - 1 - index) * LINE_SPACING_MS;
        const id = buildSnowflake(at, PREFILL_ID_BITS | (BigInt(channelIndex) << 6n) | BigInt(index));
        if (asked === null) {
          // A person speaks (the gateway's append; the first addresses the personality, marking the channel live)…
          const userId = userIds[(channelIndex + index * bench.channelIds.length) % userIds.length]!;
          asked = {
            id,
            at,
            name: buildBenchUserName(bench.userIds.indexOf(userId)),
            content: PEOPLE_LINES[(index / 2) % PEOPLE_LINES.length]!,
            replyToId: null,
            personalityId: null,
            userId,
          };
          if (index === 0) await windows.markLiveAndAppend(channelId, asked);
          else await windows.appendIfLive(channelId, asked);
        } else {
          // …and the personality answers them (the worker's append of its posted reply).
          await windows.appendOwnLines(channelId, [
            {
              id,
              at,
              name: addressed.name,
              content: ANSWER_LINES[((index - 1) / 2) % ANSWER_LINES.length]!,
              replyToId: asked.id,
              personalityId: addressed.id,
              userId: asked.userId,
            },
          ]);
          asked = null;
        }
      }
    }),
  );
}

/** Back to the plain reply path: personal context for every bench personality. */
export async function restoreBenchPersonalContext(bench: BenchCluster): Promise<void> {
  await setContextMode(bench, 'personal');
}

async function setContextMode(bench: BenchCluster, contextMode: ContextMode): Promise<void> {
  const repository = new PersonalityRepository(bench.redis, { prefix: bench.prefix });
  for (const personality of bench.personalities)
    await repository.update(personality.id, personality.ownerId, { contextMode });
}
