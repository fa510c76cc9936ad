/**
 * Fault tier — the AI provider goes down: first answering 503 to everything, then not answering at all, then
 * back. Its circuit breaker opens, so users get the short "can't answer right now" notice at once instead of
 * waiting out retries and timeouts, and the provider is not hammered (the stub counts every request); the
 * half-open probe brings replies back. A second provider, on its own stub, answers throughout.
 */
import { describe, expect, it } from 'vitest';
import { AiStub } from '../../sandbox/ai-stub/index.js';
import type { ChorusProcess } from '../../scripts/cluster/local-cluster.js';
import { PersonalityRepository } from '../../src/state/index.js';
import { FaultScene, type SentMessage } from './support/fault-scene.js';

const VOLUME_THRESHOLD = 5;
const MAX_RETRIES = 2;

const TRANSITIONS = ['ai breaker opened', 'ai breaker half-open', 'ai breaker closed'];

/** The default provider's breaker transitions the worker logged, oldest first. */
function transitions(worker: ChorusProcess): string[] {
  return worker.logs
    .filter((line) => TRANSITIONS.includes(String(line['msg'])) && line['provider'] === 'default')
    .map((line) => String(line['msg']));
}

function countTransitions(worker: ChorusProcess, message: string): number {
  return transitions(worker).filter((logged) => logged === message).length;
}

describe('AI outage', () => {
  describe('when the provider fails, then hangs, then recovers', () => {
    it('notifies at once through the open breaker, spares the provider, recovers, and the other provider answers throughout', async () => {
      await using providerB = await AiStub.start();
      await using scene = await FaultScene.start({
        workers: 1,
        channels: 6,
        users: 10,
        env: {
          AI_PROVIDERS: JSON.stringify({
            b: { baseUrl: providerB.baseUrl, apiKeyEnv: 'PROVIDER_B_KEY', models: ['stub-small'] },
          }),
          PROVIDER_B_KEY: 'sk-provider-b',
          AI_MAX_RETRIES: String(MAX_RETRIES),
          BREAKER_VOLUME_THRESHOLD: String(VOLUME_THRESHOLD),
          BREAKER_ERROR_THRESHOLD_PERCENT: '50',
          BREAKER_RESET_TIMEOUT_MS: '3000',
          AI_TIMEOUT_MS: '1000',
        },
      });
      const [worker] = scene.processes('worker');
      const stubA = scene.aiStub;
      const bob = await new PersonalityRepository(scene.redis, { prefix: scene.prefix }).create({
        ownerId: scene.users[0]!.id,
        name: 'Bob',
        visibility: 'public',
        systemPrompt: 'You are Bob, on another provider.',
        avatarUrl: null,
        provider: 'b',
        model: 'stub-small',
        temperature: null,
        // Like the scene's Alice: the stub's echo must hold only the message answered (in `room` mode it would
        // repeat the channel's `@Alice` lines, and Alice would answer Bob).
        contextMode: 'personal',
      });
      const toAlice: SentMessage[] = [];
      const toBob: SentMessage[] = [];
      const sayBoth = (label: string, alice: number, bobToo: number) => {
        for (let index = 0; index < Math.max(alice, bobToo); index += 1) {
          const user = scene.users[index % scene.users.length]!;
          const channelId = scene.channelIds[index % scene.channelIds.length]!;
          if (index < alice) toAlice.push(scene.say(user, channelId, `${label}-alice-${index}`));
          if (index < bobToo)
            toBob.push(scene.say(user, channelId, `${label}-bob-${index}`, { personality: bob }));
        }
      };
      const answeredOnce = async (sent: SentMessage) => (await scene.fetchPostedIds(sent)).length > 0;
      const isNotice = (sent: SentMessage) => scene.repliesTo(sent).length === 0;

      // Breakers closed: both answer.
      sayBoth('warm', 1, 1);
      await scene.waitUntilSettled();

      // 1. Every call fails with 503. Two messages one after the other open the breaker (5 failed calls).
      stubA.setBehaviour({ errorRate: 1, errorStatus: 503 });
      const callsBeforeErrors = stubA.requests.length;
      for (const label of ['fail-first', 'fail-second']) {
        sayBoth(label, 1, 0);
        await scene.waitFor(`${label} answered`, () => answeredOnce(toAlice.at(-1)!));
      }
      expect(countTransitions(worker!, 'ai breaker opened')).toBe(1);
      // Then a burst, with Bob's provider healthy beside it.
      sayBoth('errors', 20, 8);
      await scene.waitUntilSettled();
      const errorCalls = stubA.requests.length - callsBeforeErrors;
      // The two messages that opened it made the volume threshold's worth of calls (the first retried twice);
      // the burst of twenty added at most one half-open probe per reset period, nothing more.
      expect(errorCalls).toBeLessThanOrEqual(
        VOLUME_THRESHOLD + MAX_RETRIES + countTransitions(worker!, 'ai breaker half-open'),
      );

      // 2. The provider hangs. Once the breaker is half-open, the first call is its probe: it hangs until
      // AI_TIMEOUT_MS cuts it and the breaker opens again. Nobody else waits on the provider.
      stubA.setBehaviour({ errorRate: 0, hangRate: 1 });
      await scene.waitFor(
        'the breaker to go half-open',
        () => transitions(worker!).at(-1) === 'ai breaker half-open',
        15_000,
      );
      const callsBeforeHang = stubA.requests.length;
      sayBoth('hang', 10, 5);
      await scene.waitUntilSettled();
      expect(stubA.requests.slice(callsBeforeHang).map((request) => request.outcome)).toEqual([
        'client-closed',
      ]);
      // Over the whole outage: the calls that opened the breaker, then one probe per half-open period.
      expect(stubA.requests.length - callsBeforeErrors).toBeLessThanOrEqual(
        VOLUME_THRESHOLD + MAX_RETRIES + countTransitions(worker!, 'ai breaker half-open'),
      );

      // 3. The provider is back: once the breaker is half-open, the next call is its probe; it succeeds.
      stubA.setBehaviour({ hangRate: 0 });
      await scene.waitFor(
        'the breaker to go half-open',
        () => transitions(worker!).at(-1) === 'ai breaker half-open',
        15_000,
      );
      sayBoth('probe', 1, 0);
      await scene.waitUntilSettled();
      expect(countTransitions(worker!, 'ai breaker closed')).toBe(1);
      sayBoth('recovered', 10, 5);
      await scene.waitUntilSettled();

      const tally = await scene.expectExactlyOnce();
      const outage = toAlice.filter((sent) => /^(fail|errors|hang)-/.test(sent.text));
      const healthy = toAlice.filter((sent) => !outage.includes(sent));
      expect({
        outageNotices: outage.filter(isNotice).length,
        aliceReplies: healthy.filter((sent) => !isNotice(sent)).length,
        bobReplies: toBob.filter((sent) => !isNotice(sent)).length,
      }).toEqual({ outageNotices: outage.length, aliceReplies: healthy.length, bobReplies: toBob.length });
      expect(tally).toEqual({
        replies: healthy.length + toBob.length,
        notices: outage.length,
        limitNotices: 0,
      });
      const notices = scene
        .answers()
        .filter((answer) => answer.authorName === 'Alice' && !answer.content.includes('[stub:'));
      expect(notices).toHaveLength(outage.length);
      for (const notice of notices)
        expect(notice.content).toMatch(/^Alice can't answer right now: the AI service is /);
      expect(providerB.requests.filter((request) => request.outcome === 'answered')).toHaveLength(
        toBob.length,
      );
    });
  });
});
