/**
 * Fault tier — the AI provider fails, then recovers, on a bot with two worker processes. Each worker opens
 * its breaker at a different moment when left to itself; shared through Redis, they open together, probe once
 * for the fleet, and close together. So once the first normal reply is out, nobody gets a "can't answer right
 * now" notice from a worker that has not probed yet: ten new users writing within 3 s all get replies.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { ChorusProcess } from '../../scripts/cluster/local-cluster.js';
import { FaultScene, type SentMessage } from './support/fault-scene.js';

const RESET_TIMEOUT_MS = 6_000;
/**
 * How far apart the second worker's own failures come after the first worker opened. Per-process breakers
 * would then probe that much apart, which leaves the second worker refusing well past the first reply.
 */
const OPENINGS_APART_MS = 4_000;
const NEW_USERS = 10;

function hasOpened(worker: ChorusProcess): boolean {
  return worker.logs.some((line) => line['msg'] === 'ai breaker opened' && line['provider'] === 'default');
}

describe('fleet breakers', () => {
  describe('when the provider fails, then recovers, with two workers', () => {
    it('answers every user who writes within 3 s of the first reply', async () => {
      await using scene = await FaultScene.start({
        workers: 2,
        channels: 5,
        users: 4 + NEW_USERS,
        env: {
          AI_MAX_RETRIES: '0',
          BREAKER_VOLUME_THRESHOLD: '2',
          BREAKER_ERROR_THRESHOLD_PERCENT: '50',
          BREAKER_RESET_TIMEOUT_MS: String(RESET_TIMEOUT_MS),
          AI_TIMEOUT_MS: '2000',
        },
      });
      const workers = scene.processes('worker');
      const [regular, ...others] = scene.users.slice(0, 4);
      const newUsers = scene.users.slice(4);
      let sent = 0;
      /** One message from `user`, answered (reply or notice) before the next. */
      const sayAndWait = async (user: (typeof scene.users)[number], label: string): Promise<SentMessage> => {
        const message = scene.say(
          user,
          scene.channelIds[sent % scene.channelIds.length]!,
          `${label}-${sent}`,
        );
        sent += 1;
        await scene.waitFor(
          `${message.text} answered`,
          async () => (await scene.fetchPostedIds(message)).length > 0,
        );
        return message;
      };

      // 1. The provider fails: messages one after the other until a worker opens, then, a while later, until
      // both have (shared breakers open together, so the second loop has nothing left to do).
      scene.aiStub.setBehaviour({ errorRate: 1, errorStatus: 503 });
      while (!workers.some(hasOpened)) await sayAndWait(regular!, 'failing');
      await sleep(OPENINGS_APART_MS);
      for (let tries = 0; !workers.every(hasOpened); tries += 1) {
        expect(tries).toBeLessThan(40);
        await sayAndWait(regular!, 'failing-later');
      }

      // 2. The provider is back. Messages keep coming until the first normal reply.
      scene.aiStub.setBehaviour({ errorRate: 0 });
      let firstReply: SentMessage | undefined;
      for (let index = 0; firstReply === undefined; index += 1) {
        expect(index).toBeLessThan(60);
        const message = await sayAndWait(others[index % others.length]!, 'recovering');
        if (scene.repliesTo(message).length === 1) firstReply = message;
        else await sleep(250);
      }

      // 3. Ten new users write at once.
      const after = newUsers.map((user, index) =>
        scene.say(user, scene.channelIds[index % scene.channelIds.length]!, `after-first-reply-${index}`),
      );
      await scene.waitUntilSettled();

      const notices = after
        .filter((message) => scene.repliesTo(message).length === 0)
        .map((message) => message.text);
      expect(notices).toEqual([]);
      await scene.expectExactlyOnce();
    });
  });
});
