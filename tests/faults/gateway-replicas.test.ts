/**
 * Fault tier — two gateway replicas connected at once. Discord (and the sandbox) delivers every event to every
 * session, so each message is routed twice: admission is idempotent per job id, so there is one job and one
 * reply per message, and a refused flood is told once, not once per replica.
 * Interactions reach both replicas too: the command is applied and answered once.
 */
import { REST } from '@discordjs/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployCommands } from '../../src/commands/index.js';
import { buildReplyJobId } from '../../src/queue/index.js';
import { PersonalityRepository } from '../../src/state/index.js';
import { FaultScene } from './support/fault-scene.js';

describe('two gateway replicas', () => {
  let scene: FaultScene;

  beforeAll(async () => {
    scene = await FaultScene.start({
      gateways: 2,
      workers: 2,
      channels: 8,
      users: 21,
      // Each of the first twenty users sends two messages: within the burst. The twenty-first floods.
      // Debug: the replica that loses an interaction's claim says so only at that level.
      env: { USER_BURST: '3', USER_RATE_PER_MINUTE: '6', LOG_LEVEL: 'debug' },
      aiStub: { behaviour: { latency: { kind: 'uniform', minMs: 50, maxMs: 300 } } },
    });
  });

  afterAll(async () => {
    await scene?.[Symbol.asyncDispose]();
  });

  describe('when both receive every message', () => {
    it('enqueues one job and posts one reply per message', async () => {
      expect(scene.sandbox.connectedSessions).toBe(2);
      await scene.sayMany(40, 'twice-seen', { batch: 10, pauseMs: 100, users: scene.users.slice(0, 20) });

      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 40, notices: 0, limitNotices: 0 });
      // One job per message: each added once (a replica's add of a job already there is no add).
      const added = await scene.addedJobIds();
      expect(added).toHaveLength(40);
      expect(new Set(added).size).toBe(40);
      expect(await scene.queue.getJobCountByTypes('failed')).toBe(0);
    });
  });

  describe('when both receive a slash command', () => {
    it('applies it and answers it once', async () => {
      const { sandbox } = scene;
      await deployCommands(new REST({ api: sandbox.restUrl }).setToken(sandbox.bot.token), {
        applicationId: sandbox.bot.applicationId,
        guildId: undefined,
      });
      const user = scene.users[1]!;
      const handle = sandbox.runSlashCommand(
        user.id,
        scene.channelIds[0]!,
        'personality',
        { name: 'Solo', prompt: 'p' },
        { subcommand: 'create' },
      );
      expect((await handle.waitForResponse(undefined, 15_000)).content).toMatch(/^Created \*\*Solo\*\*/u);
      await scene.waitFor('the other replica to stand down', () =>
        scene
          .processes('gateway')
          .some((gateway) =>
            gateway.logs.some((line) => line['msg'] === 'interaction claimed by another replica'),
          ),
      );
      expect(handle.responses).toHaveLength(1);
      expect(
        await new PersonalityRepository(scene.redis, { prefix: scene.prefix }).countByOwner(user.id),
      ).toBe(1);
    });
  });

  describe('when a user floods past the rate limit', () => {
    it('answers the burst and sends one limit notice, not one per replica', async () => {
      const flooder = scene.users[20]!;
      const flood = Array.from({ length: 10 }, (_, index) =>
        scene.say(flooder, scene.channelIds[index % 2]!, `flood-${index}`),
      );
      const enqueued = async () => {
        const added = new Set(await scene.addedJobIds());
        return flood.filter((sent) => added.has(buildReplyJobId(sent.messageId, sent.personalityId))).length;
      };
      await scene.waitFor(
        'the burst enqueued and the limit notice posted',
        async () =>
          scene.limitNotices().length > 0 && (await enqueued()) >= 3 && (await scene.unfinishedJobs()) === 0,
      );
      const refused = await scene.keepEnqueued();
      expect(refused).toHaveLength(7);
      await scene.waitUntilSettled(60_000);
      expect(await scene.expectExactlyOnce()).toEqual({ replies: 43, notices: 0, limitNotices: 1 });
      expect(scene.limitNotices()[0]?.content).toMatch(/faster than I can answer/);
    });
  });
});
