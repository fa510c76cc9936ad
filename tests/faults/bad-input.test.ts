/**
 * Fault tier — bad input through the running system. Malformed jobs put straight into the BullMQ queue (as a
 * buggy or older producer would) fail for good with their reason and never take a worker down; a burst of
 * hostile messages (zero-width and control characters, markdown, mass mentions, unbalanced code fences, the
 * 2000-character maximum) is answered like any other, and nothing a personality posts pings anyone.
 * Property-based fuzzing of the parsers themselves lives in tests/unit/fuzz.
 */
import { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLY_JOB_NAME } from '../../src/queue/index.js';
import { FaultScene } from './support/fault-scene.js';

const NO_PINGS = { users: [], roles: [], everyone: false };

describe('bad input', () => {
  let scene: FaultScene;

  beforeAll(async () => {
    scene = await FaultScene.start({ workers: 1, channels: 4, users: 8 });
  });

  afterAll(async () => {
    await scene?.[Symbol.asyncDispose]();
  });

  function everyoneAlive(): boolean {
    return scene.cluster.processes.every(
      (running) => running.child.exitCode === null && running.child.signalCode === null,
    );
  }

  describe('when malformed jobs are added to the queue directly', () => {
    it.each([
      ['an empty object', {}],
      ['a string', 'reply to everyone'],
      [
        'a reply job with a bad snowflake',
        { kind: 'reply', version: 1, correlationId: 'x', messageId: '12ab', channelId: '1' },
      ],
      ['a reply job from a future version', { kind: 'reply', version: 2 }],
    ])('fails %s for good with its reason, and the worker keeps answering', async (_name, data) => {
      const jobId = `malformed-${scene.sent.length}-${Date.now()}`;
      await scene.queue.add(REPLY_JOB_NAME, data, { jobId, priority: 1 });
      await scene.waitFor(
        'the malformed job to fail',
        async () => (await Job.fromId(scene.queue, jobId))?.finishedOn !== undefined,
      );
      const job = await Job.fromId(scene.queue, jobId);
      expect(await job?.getState()).toBe('failed');
      expect(job?.failedReason).toMatch(/^invalid reply job: /);
      // Unrecoverable: failed at once, not retried.
      expect(job?.attemptsMade).toBe(1);

      expect(everyoneAlive()).toBe(true);
      scene.say(scene.users[0]!, scene.channelIds[0]!, `after-malformed-${scene.sent.length}`);
      await scene.waitUntilSettled();
      expect((await scene.expectExactlyOnce()).notices).toBe(0);
    });
  });

  describe('when users send a burst of hostile messages', () => {
    it('answers each once, stays up, and no personality message pings anyone', async () => {
      const role = scene.sandbox.createRole(scene.guildId, { name: 'pingable', mentionable: true });
      const mentions = scene.users.map((user) => `<@${user.id}>`).join(' ');
      const hostile = [
        'zero\u200bwidth\u200c joiners\u200d and\u2060 word\ufeff joiners',
        'control \u0000 \u0007 \u001b[31mred\u001b[0m \u0008 characters',
        '**bold** __underline__ ~~strike~~ ||spoiler|| `code` > quote\n# heading\n-# subtext',
        '@everyone @here look at this',
        '```js\nconsole.log("this fence never closes");\n',
        `${mentions} <@&${role.id}> <@&${scene.guildId}> everybody`,
        '\u202eright-to-left override\u202c and Z\u0337\u0327\u031ba\u0335l\u0336g\u0334o\u0337',
        '👩‍👩‍👧‍👦'.repeat(50),
        'x'.repeat(2000 - '@Alice '.length),
        '!say @everyone <@&' + role.id + '> ' + mentions + ' pinged?',
        '!long 5000',
        '@Alice @Alice @Alice three times',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal placeholder is the hostile input.
        '<script>alert(1)</script> {{template}} ${injection} %s %n',
        '\n\n\n   \t  padded   \n\n',
      ];
      for (const [index, text] of hostile.entries()) {
        scene.say(scene.users[index % scene.users.length]!, scene.channelIds[index % 4]!, text);
      }

      await scene.waitUntilSettled(60_000);
      await scene.expectExactlyOnce();
      expect(everyoneAlive()).toBe(true);
      const personaMessages = scene.answers().filter((answer) => answer.webhookId !== null);
      // Every answer is Alice's own (no internal-error notice from the bot), and none pings anyone.
      expect(personaMessages).toHaveLength(scene.answers().length);
      for (const message of personaMessages) expect(message.wouldPing).toEqual(NO_PINGS);
      expect(personaMessages.some((message) => message.content.includes('@everyone'))).toBe(true);

      scene.say(scene.users[0]!, scene.channelIds[1]!, 'still-there?');
      await scene.waitUntilSettled();
      expect(scene.repliesTo(scene.sent.at(-1)!)).toHaveLength(1);
    });
  });
});
